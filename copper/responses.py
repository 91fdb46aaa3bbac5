"""Reading Copper's answers: the JSON body, a header integer, Copper's own error message and the typed error
a 4xx answer becomes.

Pure functions of a ``requests.Response`` (no I/O, no settings), shared by the client and the keyset walk.
"""

from __future__ import annotations

from typing import Any

import requests

from copper.errors import CopperAuthError, CopperError, CopperNotFound, CopperValidationError


def decode_json(method: str, path: str, response: requests.Response) -> Any:
    """The body of ``response`` as JSON; raises ``CopperError`` naming the call when it is not JSON."""
    try:
        return response.json()
    except ValueError as exc:
        raise CopperError(
            f"Copper answered {method} /{path.lstrip('/')} with something that is not JSON: "
            f"{response.text[:200]!r}",
            status=response.status_code,
        ) from exc


def int_or_none(value: str | None) -> int | None:
    """A header's integer (``X-PW-TOTAL``); ``None`` when absent or garbled."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def error_message(response: requests.Response) -> str:
    """Copper's own message from an error body (JSON ``message``/``error``), else the start of the text."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        for key in ("message", "error", "errors"):
            if payload.get(key):
                return str(payload[key])
    text = (response.text or "").strip()
    return text[:300] if text else f"HTTP {response.status_code}"


def client_error(method: str, path: str, response: requests.Response) -> CopperError:
    """The typed error for a 4xx answer that is not retried (401/403, 404, 422, any other)."""
    status = response.status_code
    where = f"{method} /{path.lstrip('/')}"
    message = error_message(response)
    if status in (401, 403):
        return CopperAuthError(
            f"Copper refused the credentials ({status}) for {where}: {message}. "
            "Check COPPER_API_KEY and COPPER_USER_EMAIL.",
            status=status,
        )
    if status == 404:
        return CopperNotFound(f"Copper found nothing at {where}: {message}", status=status)
    if status == 422:
        return CopperValidationError(message, status=status)
    return CopperError(f"Copper answered {status} to {where}: {message}", status=status)
