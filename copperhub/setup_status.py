"""The "Setup" status: what a first day on a real Copper account needs, one line each, green or saying what to do.

Reads only, no network: the two live checks (Copper's ``GET /account``, a Fishbowl login) are run by
``copperhub.services.setup_checks_run`` when a person presses "Check now" on the Setup page; here their last
stored outcome is read. About eight queries in all. The README's "Connect a real account" walks the same lines
in the same order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django_q.models import Schedule, Success

from copper.selectors import custom_field_definitions_pulled
from copperhub.models import SetupCheck
from metrics.selectors import field_mappings_enabled_count
from syncs.selectors import sync_runs_latest_heartbeat

OK, TODO, SKIP = "ok", "todo", "skip"
COPPER_SETTINGS = ("COPPER_API_KEY", "COPPER_USER_EMAIL")
FISHBOWL_SETTINGS = ("FISHBOWL_URL", "FISHBOWL_USERNAME", "FISHBOWL_PASSWORD", "FISHBOWL_APP_ID")
# The schedules the migrations create (syncs 0005, integrity 0002, copper 0004), in the words a person reads.
SCHEDULES = {
    "sync-runs-reaper": "the reaper, every minute (fails runs whose worker died)",
    "integrity-checks-hourly": "the integrity checks, every hour",
    "copper-full-pull": "the full Copper pull (every COPPER_FULL_PULL_EVERY_HOURS hours)",
}
# A worker is alive when it finished a task this recently (the reaper is one every minute) or holds a run whose
# heartbeat is fresh (a worker busy with a long pull finishes no other task meanwhile).
WORKER_SEEN_WITHIN = dt.timedelta(minutes=3)


@dataclass
class SetupLine:
    key: str
    label: str
    state: str  # OK, TODO (with ``todo`` saying exactly what to do) or SKIP (not needed here)
    message: str
    todo: str = ""
    url: str = ""
    url_label: str = ""

    @property
    def ok(self) -> bool:
        return self.state != TODO


def copper_target() -> str:
    return f"{settings.COPPER_BASE_URL} as {settings.COPPER_USER_EMAIL}"


def fishbowl_target() -> str:
    return f"{settings.FISHBOWL_URL} as {settings.FISHBOWL_USERNAME}"


def _ago(when: dt.datetime) -> str:
    return f"{timesince(when)} ago"


def _setup_url() -> str:
    return reverse("admin:copperhub_setup")


def _stored(check: SetupCheck | None, *, target: str, label: str, fix: str) -> tuple[str, str, str]:
    """(state, message, todo) of a live check from its stored outcome."""
    check_now = f"Press “Check now” on the Setup page to check {label}."
    if check is None:
        return TODO, "Not checked yet.", check_now
    if check.target != target:
        return TODO, f"Not checked since the settings changed (last checked {_ago(check.checked_at)}).", check_now
    if check.ok:
        return OK, f"{check.message} (checked {_ago(check.checked_at)}).", ""
    return TODO, f"{check.message} (checked {_ago(check.checked_at)}).", f"{fix} Then press “Check now”."


def _copper_line(check: SetupCheck | None) -> SetupLine:
    label = "Copper credentials"
    missing = [name for name in COPPER_SETTINGS if not getattr(settings, name, "")]
    if missing:
        return SetupLine(
            "copper", label, TODO, f"{' and '.join(missing)} not set.",
            todo="Set COPPER_API_KEY (Copper: Settings → Integrations → API Keys) and COPPER_USER_EMAIL (the "
            "email of the user who created the key) in the environment, then restart copperhub.",
        )  # fmt: skip
    state, message, todo = _stored(
        check,
        target=copper_target(),
        label="the key against Copper",
        fix="Check COPPER_API_KEY, COPPER_USER_EMAIL (the key's user) and COPPER_BASE_URL.",
    )
    return SetupLine("copper", label, state, message, todo, _setup_url(), "Setup page")


def _definitions_line() -> SetupLine:
    count, pulled_at = custom_field_definitions_pulled()
    label = "Custom-field definitions pulled"
    url = reverse("admin:copper_customfielddefinition_changelist")
    if count:
        when = f", last pulled {_ago(pulled_at)}" if pulled_at else ""
        return SetupLine("definitions", label, OK, f"{count} definitions{when}.", url=url, url_label="Definitions")
    return SetupLine(
        "definitions", label, TODO, "None pulled yet.",
        todo="Start a Copper pull (Sync dashboard → Copper pull, or manage.py copper_pull): it pulls the users "
        "and custom-field definitions before the companies.",
        url=reverse("admin:syncs_syncrun_dashboard"), url_label="Sync dashboard",
    )  # fmt: skip


def _mappings_line() -> SetupLine:
    count = field_mappings_enabled_count()
    label = "Field mappings configured"
    url = reverse("admin:metrics_fieldmapping_changelist")
    if count:
        return SetupLine(
            "mappings", label, OK, f"{count} enabled mapping{'s' if count != 1 else ''}.",
            url=reverse("admin:metrics_fieldmapping_check"), url_label="Check mapping",
        )  # fmt: skip
    return SetupLine(
        "mappings", label, TODO, "No mapping is enabled: a push would write nothing.",
        todo="Under Field mappings, map each sales metric to its Copper custom field and tick Enabled, then "
        "open Check mapping.",
        url=url, url_label="Field mappings",
    )  # fmt: skip


def _timezone_line() -> SetupLine:
    name = (settings.COPPER_TIMEZONE or "").strip()
    label = "COPPER_TIMEZONE set"
    todo = (
        "Set COPPER_TIMEZONE to the Copper account's timezone as an IANA name (e.g. America/Los_Angeles; "
        "Copper: Settings → Company → Time zone), then restart copperhub."
    )
    if not name:
        return SetupLine("timezone", label, TODO, "Not set: Date fields cannot be pushed.", todo=todo)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return SetupLine("timezone", label, TODO, f"“{name}” is not a timezone name.", todo=todo)
    return SetupLine("timezone", label, OK, f"{name}.")


def _fishbowl_line(check: SetupCheck | None) -> SetupLine:
    label = "Fishbowl reachable"
    given = [name for name in FISHBOWL_SETTINGS if getattr(settings, name, "")]
    if not given:
        return SetupLine(
            "fishbowl", label, SKIP,
            "Not configured: Fishbowl's exports are imported as files (Import from Fishbowl). Set "
            f"{', '.join(FISHBOWL_SETTINGS)} to import from the Fishbowl API instead.",
        )  # fmt: skip
    missing = [name for name in FISHBOWL_SETTINGS if name not in given]
    if missing:
        return SetupLine(
            "fishbowl", label, TODO, f"{', '.join(missing)} not set.",
            todo=f"Set {', '.join(missing)} in the environment (or unset the other FISHBOWL_* settings to "
            "import files only), then restart copperhub.",
        )  # fmt: skip
    state, message, todo = _stored(
        check,
        target=fishbowl_target(),
        label="the Fishbowl login",
        fix="Check FISHBOWL_URL, FISHBOWL_USERNAME, FISHBOWL_PASSWORD and FISHBOWL_APP_ID (approve the app in "
        "Fishbowl: Setup → Integrated Apps).",
    )
    return SetupLine("fishbowl", label, state, message, todo, _setup_url(), "Setup page")


def worker_last_seen() -> dt.datetime | None:
    """When a worker last showed it is alive: its newest finished task, or the heartbeat of a run it holds."""
    finished = Success.objects.order_by("-stopped").values_list("stopped", flat=True).first()
    heartbeat = sync_runs_latest_heartbeat()
    seen = [when for when in (finished, heartbeat) if when is not None]
    return max(seen) if seen else None


def _worker_line() -> SetupLine:
    label = "A worker alive"
    seen = worker_last_seen()
    if seen is not None and timezone.now() - seen <= WORKER_SEEN_WITHIN:
        return SetupLine("worker", label, OK, f"A worker was last seen {_ago(seen)}.")
    message = f"No worker seen for {timesince(seen)}." if seen else "No worker has run a task yet."
    return SetupLine(
        "worker", label, TODO, message,
        todo="Start one with manage.py qcluster and keep it running (a systemd service or your process "
        "manager): every pull, sync and push runs in it.",
    )  # fmt: skip


def _schedules_line() -> SetupLine:
    label = "Schedules active"
    rows = {row.name: row for row in Schedule.objects.filter(name__in=SCHEDULES)}
    missing = [SCHEDULES[name] for name in SCHEDULES if name not in rows]
    stopped = [SCHEDULES[name] for name, row in rows.items() if row.repeats == 0]
    url = reverse("admin:django_q_schedule_changelist")
    if missing:
        return SetupLine(
            "schedules", label, TODO, f"Missing: {'; '.join(missing)}.",
            todo="Run manage.py migrate: the migrations create the schedules.", url=url, url_label="Schedules",
        )  # fmt: skip
    if stopped:
        return SetupLine(
            "schedules", label, TODO, f"Stopped (no repeats left): {'; '.join(stopped)}.",
            todo="Open it under Django Q → Scheduled tasks and set Repeats to -1 (for ever).",
            url=url, url_label="Schedules",
        )  # fmt: skip
    return SetupLine(
        "schedules", label, OK, f"{len(rows)} schedules: {'; '.join(SCHEDULES.values())}.",
        url=url, url_label="Schedules",
    )  # fmt: skip


def setup_lines() -> list[SetupLine]:
    """Every setup line, in the order of the README's "Connect a real account"."""
    stored = {check.name: check for check in SetupCheck.objects.all()}
    return [
        _copper_line(stored.get(SetupCheck.Name.COPPER)),
        _definitions_line(),
        _mappings_line(),
        _timezone_line(),
        _fishbowl_line(stored.get(SetupCheck.Name.FISHBOWL)),
        _worker_line(),
        _schedules_line(),
    ]


def setup_may_view(*, user) -> bool:
    """Setup concerns whoever starts the jobs it makes possible (and superusers)."""
    return user.is_active and (user.is_superuser or user.has_perm("syncs.start_syncrun"))
