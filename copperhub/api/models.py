"""API tokens for reporting tools: named, revocable, read-only unless said otherwise, stored only as a hash."""

import hashlib
import secrets

from django.conf import settings
from django.db import models


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A token a tool sends as ``Authorization: Token <key>``.

    The key is shown once when the token is created; only its SHA-256 is stored. A read-only token can never
    write, whatever its user's permissions; a read-write token writes only what its user is permitted to.
    """

    name = models.CharField(max_length=100, help_text="What uses this token, e.g. 'Power BI nightly'.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
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

    @staticmethod
    def generate_key() -> str:
        return secrets.token_urlsafe(32)
