"""Writes of the top floor: the live setup checks (the only place the Setup status touches the network)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from copper.client import CopperClient, copper_client_from_settings
from copper.errors import CopperError
from copperhub.models import SetupCheck
from copperhub.setup_status import COPPER_SETTINGS, FISHBOWL_SETTINGS, copper_target, fishbowl_target
from customers.fishbowl_api import FishbowlClient, FishbowlError, fishbowl_client_from_settings

# A person waits for the page: one short try, no retry budget (the pull's client waits out 429s; this must not).
CHECK_TIMEOUT_SECONDS = 10.0


def _copper_account(client: CopperClient) -> tuple[bool, str]:
    try:
        account = client.account()
    except CopperError as exc:
        return False, f"Copper refused: {exc.user_message}"
    name = (account or {}).get("name") or "(no name)"
    return True, f"Connected to Copper account “{name}” (id {(account or {}).get('id', '?')})"


def _fishbowl_login(client: FishbowlClient) -> tuple[bool, str]:
    try:
        with client:
            pass
    except FishbowlError as exc:
        return False, f"Fishbowl refused: {exc.user_message}"
    return True, f"Logged in to Fishbowl at {client.base_url} as {client.username}"


def _store(name: str, *, ok: bool, message: str, target: str, user) -> SetupCheck:
    check, _created = SetupCheck.objects.update_or_create(
        name=name,
        defaults={"ok": ok, "message": message, "target": target, "checked_at": timezone.now(), "checked_by": user},
    )
    return check


def setup_checks_run(
    *,
    user: Any,
    copper_client: CopperClient | None = None,
    fishbowl_client: FishbowlClient | None = None,
) -> list[SetupCheck]:
    """Check the Copper credentials (``GET /account``) and, when configured, the Fishbowl login, now.

    Stores each outcome (one ``SetupCheck`` row per check, replacing the last) with who checked and against
    which settings, and returns them. A check whose settings are missing is not attempted (the Setup status
    already says which setting to set). Network: one Copper call, one Fishbowl login and logout; each failure
    becomes a stored message, never an exception. Tests pass fake clients.
    """
    checks = []
    if all(getattr(settings, name, "") for name in COPPER_SETTINGS):
        try:
            client = copper_client or copper_client_from_settings(
                timeout=CHECK_TIMEOUT_SECONDS, max_retries=0, retry_budget_seconds=0
            )
            ok, message = _copper_account(client)
        except CopperError as exc:
            ok, message = False, exc.user_message
        checks.append(_store(SetupCheck.Name.COPPER, ok=ok, message=message, target=copper_target(), user=user))
    if all(getattr(settings, name, "") for name in FISHBOWL_SETTINGS):
        try:
            client = fishbowl_client or fishbowl_client_from_settings(timeout=CHECK_TIMEOUT_SECONDS)
            ok, message = _fishbowl_login(client)
        except ImproperlyConfigured as exc:
            ok, message = False, str(exc)
        checks.append(
            _store(SetupCheck.Name.FISHBOWL, ok=ok, message=message, target=fishbowl_target(), user=user)
        )
    return checks
