"""The layout test's list of admin pages is found from the admin site, so it covers every page as pages are
added: every registered model's list, add and change pages, and the custom pages people work on."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.admin_pages import admin_pages
from tests.admin_world import admin_world_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_page_list_holds_every_model_and_the_custom_pages_with_their_ids_filled_in(
    staff_user, second_staff_user, monkeypatch
):
    world = admin_world_create(user=staff_user, second_user=second_staff_user, monkeypatch=monkeypatch)
    pages, problems = admin_pages(user=staff_user, url_args=world.url_args, extra_urls=world.extra_urls)
    urls = {page.url for page in pages}

    assert problems == []
    for model in admin.site._registry:
        assert reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") in urls
    assert reverse("admin:customers_fishbowlcustomer_add") in urls
    assert reverse("admin:syncs_syncrun_add") not in urls  # runs are started, never added by hand
    assert reverse("admin:metrics_changeset_review", args=[world.built_set.pk]) in urls
    assert reverse("admin:syncs_syncrun_progress", args=[world.running_run.pk]) in urls
    assert reverse("admin:customers_customer_sync_preview", args=[world.customer_sync_dry_run.pk]) in urls
    for name in (
        "syncs_syncrun_dashboard",
        "metrics_fieldmapping_check",
        "customers_fishbowl_import",
        "customers_account_number_conflicts",
        "commissions_commissionline_report",
        "integrity_audit",
    ):
        assert reverse(f"admin:{name}") in urls


def test_a_custom_page_whose_arguments_the_world_cannot_fill_is_reported(
    staff_user, second_staff_user, monkeypatch
):
    world = admin_world_create(user=staff_user, second_user=second_staff_user, monkeypatch=monkeypatch)
    del world.url_args["integrity_check_detail"]
    _pages, problems = admin_pages(user=staff_user, url_args=world.url_args)
    assert problems == ["admin:integrity_check_detail needs ['name']: add them to the world's url_args"]
