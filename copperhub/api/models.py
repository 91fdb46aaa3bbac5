"""API tokens for reporting tools: named, revocable, read-only unless said otherwise, stored only as a hash.

A token acts as its ``user``, so who that user may be is the security boundary: a token belongs to the person
who created it, or (created by a superuser) to a ``ServiceAccount`` — a user made for one tool, who cannot log
in. The user of a token never changes once it is saved.
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models

USER_FIXED_MESSAGE = "A token's user never changes; revoke it and create a new one instead."
OWNER_RULE_MESSAGE = (
    "A token belongs to the person who creates it, or (created by a superuser) to a service account."
)


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ServiceAccount(models.Model):
    """A user that exists only to hold the tokens of one tool: no usable password, never staff or superuser.

    Created by a superuser from the API token admin; its permissions (or the "Reporting" group) are granted
    like any user's. ``created_by`` records who made it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account", editable=False
    )
    purpose = models.CharField(max_length=200, blank=True, help_text="What the account is for.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="service_accounts_created",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user.get_username()} (service account)"

    def login_refusal(self) -> str | None:
        """Why this account no longer qualifies as a service account (it could log in), or None."""
        user = self.user
        if user.has_usable_password() or user.is_staff or user.is_superuser:
            return f"Service account {user.get_username()} can log in or is staff; its tokens are refused."
        return None


class ApiToken(models.Model):
    """A token a tool sends as ``Authorization: Token <key>``.

    The key is shown once when the token is created; only its SHA-256 is stored. A read-only token can never
    write, whatever its user's permissions; a read-write token writes only what its user is permitted to.
    Invariants (checked on every save): the user never changes; a token created by someone else belongs to a
    service account.
    """

    name = models.CharField(max_length=100, help_text="What uses this token, e.g. 'Power BI nightly'.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_tokens_created",
        editable=False,
        help_text="Who created the token (empty for tokens created before this was recorded).",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(
        max_length=8, editable=False, help_text="First characters, to recognise it."
    )
    read_only = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    def save(self, *args, **kwargs):
        self.check_owner()
        super().save(*args, **kwargs)

    @staticmethod
    def generate_key() -> str:
        return secrets.token_urlsafe(32)

    def check_owner(self) -> None:
        """Raise ``ValidationError`` if saving would re-point the token or give it to someone else."""
        if self.pk is not None:
            stored = ApiToken.objects.filter(pk=self.pk).values_list("user_id", flat=True).first()
            if stored is not None and stored != self.user_id:
                raise ValidationError({"user": USER_FIXED_MESSAGE})
            return
        if self.created_by_id is None:
            raise ValidationError({"created_by": "A new token records who creates it."})
        if self.created_by_id == self.user_id:
            return
        account = ServiceAccount.objects.filter(user_id=self.user_id).select_related("user").first()
        creator_is_superuser = (
            get_user_model().objects.filter(pk=self.created_by_id, is_superuser=True, is_active=True).exists()
        )
        if account is None or not creator_is_superuser or account.login_refusal():
            raise ValidationError({"user": OWNER_RULE_MESSAGE})
