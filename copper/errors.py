"""The typed failures of every Copper call: one base (``CopperError``) and one subclass per kind of answer.

Plain exceptions, importing nothing: anything (services, admin, commands, tests) may catch them without
pulling in the HTTP client.
"""

from __future__ import annotations


class CopperError(Exception):
    """Base of every Copper failure. ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    @property
    def user_message(self) -> str:
        """What a person sees on the run (``sync_run_execute`` shows this instead of a type name)."""
        return self.message


class CopperConfigurationError(CopperError):
    """A required setting (``COPPER_API_KEY``, ``COPPER_USER_EMAIL``) is missing."""


class CopperAuthError(CopperError):
    """401/403: the key or the user email is wrong, or the user may not do this."""


class CopperRateLimited(CopperError):
    """429 still answered after every retry."""


class CopperValidationError(CopperError):
    """422: Copper rejected the input; ``message`` is Copper's own."""


class CopperNotFound(CopperError):
    """404."""


class CopperServerError(CopperError):
    """5xx (or no answer at all) after every retry."""


class CopperTimeout(CopperServerError):
    """No complete answer within the call's deadline (connect + read, however slowly the bytes came)."""
