"""API tokens: nobody can mint or re-point a token that acts as someone else (issue 16, item 1)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError

from copperhub.api.models import ApiToken, ServiceAccount
from copperhub.api.services import api_token_create, service_account_create

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/api/apitoken/add/"


@pytest.fixture
def clerk(db):
    """Staff who may manage API tokens, and nothing more."""
    user = get_user_model().objects.create_user("clerk", password="clerk-password", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_apitoken", "change_apitoken", "view_apitoken"])
    )
    return user


@pytest.fixture
def reviewer(db):
    user = get_user_model().objects.create_user("reviewer", password="reviewer-password", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="approve_changeset"))
    return user


def _add(client, **extra):
    data = {"name": "Power BI", "read_only": "", "expires_at_0": "", "expires_at_1": "", **extra}
    return client.post(ADD_URL, data)


def test_a_token_minted_for_another_user_in_the_admin_belongs_to_its_creator(client, clerk, reviewer):
    client.force_login(clerk)
    response = _add(client, user=reviewer.pk, owner=str(reviewer.pk))
    assert response.status_code == 302, response.content[:2000]
    token = ApiToken.objects.get()
    assert token.user == clerk and token.created_by == clerk
    assert not reviewer.api_tokens.exists()


def test_a_token_minted_for_the_superuser_by_a_clerk_belongs_to_the_clerk(client, clerk, staff_user):
    client.force_login(clerk)
    _add(client, user=staff_user.pk)
    assert ApiToken.objects.get().user == clerk
    # Nor can code (a shell, a future view) save such a token.
    with pytest.raises(ValidationError, match="belongs to the person who creates it"):
        ApiToken(name="x", user=staff_user, created_by=clerk, key_hash="h" * 64, key_prefix="h").save()


def test_the_add_form_offers_a_clerk_no_choice_of_user(client, clerk):
    client.force_login(clerk)
    page = client.get(ADD_URL).content.decode()
    assert 'name="user"' not in page and 'name="owner"' not in page


def test_re_pointing_ones_own_token_to_the_superuser_through_the_change_form_changes_nothing(
    client, clerk, staff_user
):
    token, _ = api_token_create(name="mine", created_by=clerk)
    client.force_login(clerk)
    url = f"/admin/api/apitoken/{token.pk}/change/"
    data = {"name": "mine", "user": staff_user.pk, "read_only": "on"}
    data |= {"expires_at_0": "", "expires_at_1": "", "revoked_at_0": "", "revoked_at_1": ""}
    assert client.post(url, data).status_code == 302
    token.refresh_from_db()
    assert token.user == clerk
    token.user = staff_user
    with pytest.raises(ValidationError, match="never changes"):
        token.save()
    assert ApiToken.objects.get(pk=token.pk).user == clerk


def test_a_clerk_sees_and_changes_only_their_own_tokens(client, clerk, staff_user):
    theirs, _ = api_token_create(name="superuser's", created_by=staff_user)
    mine, _ = api_token_create(name="clerk's", created_by=clerk)
    client.force_login(clerk)
    page = client.get("/admin/api/apitoken/").content.decode()
    assert "clerk&#x27;s" in page and "superuser&#x27;s" not in page
    assert client.get(f"/admin/api/apitoken/{theirs.pk}/change/").status_code in (302, 404)


def test_the_token_list_shows_who_created_each_token(client, staff_user):
    account = service_account_create(username="powerbi", purpose="nightly refresh", created_by=staff_user)
    api_token_create(name="nightly", created_by=staff_user, service_account=account)
    client.force_login(staff_user)
    page = client.get("/admin/api/apitoken/").content.decode()
    assert "Created by" in page
    assert "powerbi" in page and "alice" in page


def test_a_superuser_creates_a_token_for_a_new_service_account_that_cannot_log_in(client, staff_user, api):
    client.force_login(staff_user)
    response = _add(client, owner="new", new_service_account="powerbi", service_account_purpose="BI refresh")
    assert response.status_code == 302, response.content[:3000]
    token = ApiToken.objects.get()
    account = ServiceAccount.objects.get()
    assert token.user == account.user and token.created_by == staff_user
    assert account.created_by == staff_user and account.purpose == "BI refresh"
    user = account.user
    assert user.username == "powerbi" and not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser
    assert not client.login(username="powerbi", password="")
    # The key was shown once, and it works as the service account.
    key = [str(m) for m in response.wsgi_request._messages][0].rsplit(" ", 1)[-1]
    user.groups.add(Group.objects.get(name="Reporting"))
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/sync-runs/").status_code == 200


def test_a_superuser_can_not_mint_a_token_for_another_person(staff_user, reviewer):
    with pytest.raises(ValidationError, match="service account"):
        ApiToken(name="x", user=reviewer, created_by=staff_user, key_hash="k" * 64, key_prefix="k").save()


def test_a_superusers_owner_choices_are_only_themself_and_service_accounts(client, staff_user, reviewer):
    client.force_login(staff_user)
    response = _add(client, owner=str(reviewer.pk))
    assert response.status_code == 200  # the form is shown again with the error
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_only_a_superuser_may_create_a_service_account(clerk):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        service_account_create(username="sneaky", purpose="", created_by=clerk)
    assert not get_user_model().objects.filter(username="sneaky").exists()


def test_a_service_accounts_tokens_stop_working_once_it_is_made_staff(api, staff_user):
    account = service_account_create(username="powerbi", purpose="", created_by=staff_user)
    account.user.groups.add(Group.objects.get(name="Reporting"))
    _, key = api_token_create(name="nightly", created_by=staff_user, service_account=account)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/sync-runs/").status_code == 200
    account.user.is_staff = True
    account.user.save()
    response = api.get("/api/v1/sync-runs/")
    assert response.status_code == 401
    assert "can log in or is staff" in response.json()["error"]["message"]


def test_a_clerks_token_acts_as_the_clerk_so_it_cannot_approve_for_the_reviewer(api, clerk, reviewer):
    from metrics.models import ChangeSet

    change_set = ChangeSet.objects.create(built_by=reviewer, definitions_fingerprint="f")
    _, key = api_token_create(name="mine", created_by=clerk, read_only=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.post(f"/api/v1/change-sets/{change_set.pk}/approve/").status_code == 403
    change_set.refresh_from_db()
    assert change_set.approved_by is None
