"""Token authentication against ``ApiToken`` and the permission rules every API view shares."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from copperhub.api.models import ApiToken, api_token_hash


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``; sets ``request.auth`` to the ``ApiToken``."""

    def authenticate_credentials(self, key):
        now = timezone.now()
        token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()
        if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
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
