"""Whether copperhub can talk to Copper at all: the settings a pull needs (no request is made)."""

from django.conf import settings


def copper_configuration_problem() -> str:
    """Which Copper setting is missing (shown before anyone starts a pull), or ``""``."""
    missing = [name for name in ("COPPER_API_KEY", "COPPER_USER_EMAIL") if not getattr(settings, name, "")]
    if not missing:
        return ""
    return (
        f"Copper is not configured ({', '.join(missing)} not set): a Copper pull will fail with that message "
        "until it is."
    )
