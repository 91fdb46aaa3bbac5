"""Token authentication against ``ApiToken`` and the permission rules every API view shares."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from copperhub.api.models import ApiToken, api_token_hash


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``; sets ``request.auth`` to the ``ApiToken``."""

    def authenticate_credentials(self, key):
        now = timezone.now()
        token = (
            ApiToken.objects.select_related("user", "user__service_account")
            .filter(key_hash=api_token_hash(key))
            .first()
        )
        if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        # A service account's tokens stop working the moment someone lets that account log in or be staff.
        account = getattr(token.user, "service_account", None)
        refusal = account.login_refusal() if account is not None else None
        if refusal:
            raise exceptions.AuthenticationFailed(refusal)
        # Write last use at most once a minute: reads stay reads.
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class ReadOnlyTokenCannotWrite(permissions.BasePermission):
    message = "This token is read-only."

    def has_permission(self, request, view):
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only:
            return request.method in permissions.SAFE_METHODS
        return True


class HasRequiredPermission(permissions.BasePermission):
    """Checks the Django permission a write view names in ``required_permission``."""

    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        required = getattr(view, "required_permission", None)
        if required is None or request.method in permissions.SAFE_METHODS:
            return True
        return request.user.has_perm(required)


def view_permission(model) -> str:
    """The Django view permission of ``model``, e.g. ``customers.view_salesorder``."""
    return f"{model._meta.app_label}.view_{model._meta.model_name}"


def read_permissions_of(view) -> list[str] | None:
    """The view permissions a GET on ``view`` needs: of ``view.read_models`` if it names them, else of the
    model the view lists (its queryset's or its serializer's). None when the view names no model."""
    models_ = getattr(view, "read_models", None)
    if models_ is None:
        queryset = getattr(view, "queryset", None)
        meta = getattr(getattr(view, "serializer_class", None), "Meta", None)
        model = queryset.model if queryset is not None else getattr(meta, "model", None)
        models_ = [model] if model is not None else None
    return None if models_ is None else [view_permission(model) for model in models_]


class HasReadPermission(permissions.BasePermission):
    """Every read needs the Django view permission of what it reads, as the admin does.

    Granted per user or through a group (the "Reporting" group holds every view permission the API reads).
    A view that reads but names no model is refused (fail closed); a view without GET is left to answer 405.
    """

    message = "You do not have permission to read this (it needs the view permission of what it shows)."

    def has_permission(self, request, view):
        if request.method not in ("GET", "HEAD") or not hasattr(view, "get"):
            return True
        required = read_permissions_of(view)
        return required is not None and request.user.has_perms(required)
