"""The stored outcome of the setup checks that need the network (Copper's ``GET /account``, a Fishbowl login).

They run only when a person presses "Check now" on the Setup page; the admin index shows the last outcome.
"""

from django.conf import settings
from django.db import models


class SetupCheck(models.Model):
    """The latest outcome of one live setup check (one row per check, overwritten by the next check)."""

    class Name(models.TextChoices):
        COPPER = "copper", "Copper credentials"
        FISHBOWL = "fishbowl", "Fishbowl reachable"

    name = models.CharField(max_length=32, choices=Name.choices, unique=True)
    ok = models.BooleanField(default=False)
    # What was found ("Connected to Copper account Acme (id 42)") or what went wrong, in plain words.
    message = models.TextField(blank=True)
    # Where it was checked (Copper: base URL and user email; Fishbowl: URL and user): a result for other
    # settings than today's is "not checked since the settings changed", never a stale green.
    target = models.CharField(max_length=500, blank=True)
    checked_at = models.DateTimeField()
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.get_name_display()}: {'ok' if self.ok else 'failed'}"
