"""What every integrity check shares: ``Finding``, ``CheckResult``, the ``@check`` registry and small helpers.

A check is a function ``() -> CheckResult`` registered with ``@check(name, title, unit=...)``; the dashboard shows
checks in registration order (the order ``integrity.checks`` imports its family modules). Checks only read.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from integrity.models import SEVERITY, State


@dataclass
class Finding:
    """One object (or group of objects) a check found, with where to see it and what fixes it."""

    label: str
    message: str
    url: str = ""
    action: str = ""
    action_url: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class CheckResult:
    """A check's outcome. ``count`` is what the check counts (``numbers`` break it down); ``findings`` are the
    first ``INTEGRITY_FINDINGS_LIMIT`` rows of a list of ``rows`` rows, each row being one ``unit`` (a company,
    an account number, a group of orders…), so a page can say "41 of 60 accounts" and not mix units."""

    check: str
    title: str
    state: str = State.OK
    count: int = 0
    numbers: dict[str, Any] = field(default_factory=dict)
    findings: list[dict[str, str]] = field(default_factory=list)
    note: str = ""
    rows: int | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        if self.rows is None:
            self.rows = self.count


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    unit: str
    func: Callable[[], CheckResult]


CHECKS: dict[str, Check] = {}


def check(name: str, title: str, *, unit: str = ""):
    """Register ``func() -> CheckResult`` under ``name``; ``unit`` names what one finding row is (plural)."""

    def register(func: Callable[[], CheckResult]) -> Callable[[], CheckResult]:
        CHECKS[name] = Check(name, title, unit, func)
        return func

    return register


def check_title(name: str, fallback: str = "") -> str:
    """The title a person reads for check ``name``: the registered one, else ``fallback`` (e.g. the title an
    alert stored when it was raised), else the name in words (a check removed since)."""
    registered = CHECKS.get(name)
    if registered is not None:
        return registered.title
    return fallback or name.replace("_", " ").capitalize()


def result(
    name: str, count: int, numbers: dict[str, Any], findings: list[dict[str, str]], **extra
) -> CheckResult:
    """The ``CheckResult`` of registered check ``name``: its title and unit, the state its thresholds give."""
    registered = CHECKS[name]
    return CheckResult(
        name,
        registered.title,
        state_for(name, count),
        count,
        numbers,
        findings,
        unit=registered.unit,
        **extra,
    )


def url_first(*candidates: tuple[str, tuple] | str, query: dict[str, Any] | None = None) -> str:
    """The first URL name that reverses (other apps add some pages later), with an optional query string."""
    for candidate in candidates:
        name, args = (candidate, ()) if isinstance(candidate, str) else candidate
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            continue
        return f"{url}?{urlencode(query)}" if query else url
    return ""


def sync_dashboard_url() -> str:
    return url_first("admin:syncs_syncrun_dashboard", "admin:syncs_syncrun_changelist")


def customer_sync_url() -> str:
    return url_first("admin:customers_customer_sync", "admin:syncs_syncrun_dashboard")


def conflicts_url() -> str:
    return url_first("admin:customers_account_number_conflicts", "admin:customers_accountnumberowner_add")


def limit() -> int:
    return settings.INTEGRITY_FINDINGS_LIMIT


def state_for(name: str, count: int) -> str:
    """``critical`` at or above the check's critical threshold, ``warning`` at or above its warning one."""
    thresholds = settings.INTEGRITY_THRESHOLDS.get(name, {"warning": 1, "critical": 0})
    if thresholds.get("critical") and count >= thresholds["critical"]:
        return State.CRITICAL
    if thresholds.get("warning") and count >= thresholds["warning"]:
        return State.WARNING
    return State.OK


def worst(states: list[str]) -> str:
    return max(states, key=lambda s: SEVERITY[s], default=State.OK)


def company_url(pk: int) -> str:
    return url_first(("admin:copper_coppercompany_change", (pk,)))


def customer_url(pk: int) -> str:
    return url_first(("admin:customers_fishbowlcustomer_change", (pk,)))
