"""Creating API tokens and service accounts: the only writes of the API app besides revoking.

Every rule about who a token may act as lives in ``ApiToken.check_owner`` (run on every save); these functions
add the creator and the one-time key, and refuse early with a message the admin can show.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from copperhub.api.models import ApiToken, ServiceAccount, api_token_hash

SERVICE_ACCOUNT_SUPERUSER_ONLY = "Only a superuser can create tokens for a service account."


@transaction.atomic
def service_account_create(*, username: str, purpose: str, created_by) -> ServiceAccount:
    """Create a user for one tool (no usable password, not staff) and record it as a service account."""
    if not created_by.is_superuser:
        raise PermissionDenied(SERVICE_ACCOUNT_SUPERUSER_ONLY)
    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError({"new_service_account": "Name the service account."})
    if User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
        raise ValidationError({"new_service_account": f"A user named {username!r} already exists."})
    user = User(**{User.USERNAME_FIELD: username}, is_staff=False, is_superuser=False, is_active=True)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return ServiceAccount.objects.create(user=user, purpose=purpose, created_by=created_by)


@transaction.atomic
def api_token_create(
    *,
    name: str,
    created_by,
    read_only: bool = True,
    expires_at: dt.datetime | None = None,
    service_account: ServiceAccount | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``created_by`` (or, by a superuser, for ``service_account``); return it and its key.

    The key is returned once and never stored; only its SHA-256 and first 8 characters are kept.
    """
    if service_account is not None and not created_by.is_superuser:
        raise PermissionDenied(SERVICE_ACCOUNT_SUPERUSER_ONLY)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Give a time in the future (or none)."})
    key = ApiToken.generate_key()
    token = ApiToken(
        name=name,
        user=service_account.user if service_account is not None else created_by,
        created_by=created_by,
        key_hash=api_token_hash(key),
        key_prefix=key[:8],
        read_only=read_only,
        expires_at=expires_at,
    )
    token.save()
    return token, key


def api_token_revoke(*, tokens) -> int:
    """Revoke every not yet revoked token of ``tokens`` (a queryset); return how many."""
    # ApiToken has no history, and update() cannot touch the user: one statement for the whole selection.
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
