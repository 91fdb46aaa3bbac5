"""The integrity checks: one small function per rule, each returning a ``CheckResult``.

Every check is set-based (aggregates, ``Exists`` and grouped counts in the database, never a query per row):
counts are exact, finding lists are capped by ``INTEGRITY_FINDINGS_LIMIT``. Checks only read; storing a report
and alerting is ``integrity.services``. Severity comes from ``INTEGRITY_THRESHOLDS`` / ``INTEGRITY_STALE_HOURS``.
"""

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from copper.models import CopperCompany, CopperUser
from customers.models import FishbowlCustomer, SalesOrder
from customers.normalize import account_type_normalise
from integrity.models import SEVERITY, State
from syncs.models import SyncRun

logger = logging.getLogger(__name__)


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
    check: str
    title: str
    state: str = State.OK
    count: int = 0
    numbers: dict[str, Any] = field(default_factory=dict)
    findings: list[dict[str, str]] = field(default_factory=list)
    note: str = ""


CHECKS: dict[str, tuple[str, Callable[[], CheckResult]]] = {}


def check(name: str, title: str):
    """Register ``func() -> CheckResult`` under ``name``; the dashboard shows checks in this order."""

    def register(func: Callable[[], CheckResult]) -> Callable[[], CheckResult]:
        CHECKS[name] = (title, func)
        return func

    return register


# --- helpers ----------------------------------------------------------------------------------------------
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


def _active_with_id():
    return CopperCompany.objects.filter(is_active_customer=True).exclude(account_number="")


# --- checks -----------------------------------------------------------------------------------------------
@check("customer_gap", "Active Copper companies with no linked Fishbowl customer")
def check_customer_gap() -> CheckResult:
    """Active companies with an Account Order ID vs the Fishbowl customers linked to them.

    A company counts as missing when no Fishbowl customer is linked to it (whether or not a customer with its
    account number exists: both show separately). Companies whose Account Order ID several active companies
    share are conflicts, reported by ``duplicate_account_ids``, and left out of this count.
    """
    active = _active_with_id()
    linked = Exists(FishbowlCustomer.objects.filter(copper_company=OuterRef("pk")))
    by_number = Exists(FishbowlCustomer.objects.filter(account_number=OuterRef("account_number")))
    shared = Exists(
        CopperCompany.objects.filter(
            is_active_customer=True, account_number=OuterRef("account_number")
        ).exclude(pk=OuterRef("pk"))
    )
    totals = active.aggregate(
        companies=Count("pk"),
        linked=Count("pk", filter=Q(linked)),
        with_number=Count("pk", filter=Q(by_number)),
        conflicts=Count("pk", filter=~Q(linked) & Q(shared)),
        missing=Count("pk", filter=~Q(linked) & ~Q(shared)),
    )
    missing = active.filter(~linked & ~shared).annotate(has_number=by_number)
    count = totals["missing"]
    action_url = sync_dashboard_url()
    findings = [
        Finding(
            label=f"{name} (Account Order ID {account_order_id or number})",
            url=company_url(pk),
            message=(
                f"Fishbowl customer {number} exists but is not linked to this company."
                if has_number
                else f"No Fishbowl customer has account number {number}."
            ),
            action="Run the customer sync",
            action_url=action_url,
        ).as_dict()
        for pk, name, account_order_id, number, has_number in missing.order_by("name", "pk").values_list(
            "pk", "name", "account_order_id", "account_number", "has_number"
        )[: limit()]
    ]
    numbers = {
        "active_companies_with_id": totals["companies"],
        "fishbowl_customers": FishbowlCustomer.objects.count(),
        "matched": totals["linked"],
        "customer_with_that_number": totals["with_number"],
        "unmatched": count,
        "left_to_conflicts": totals["conflicts"],
    }
    return CheckResult(
        "customer_gap", CHECKS["customer_gap"][0], state_for("customer_gap", count), count, numbers, findings
    )


@check("duplicate_account_ids", "Account Order IDs shared by several active companies")
def check_duplicate_account_ids() -> CheckResult:
    dupes = (
        _active_with_id()
        .values("account_number")
        .annotate(companies=Count("pk"))
        .filter(companies__gt=1)
        .order_by("-companies", "account_number")
    )
    totals = dupes.aggregate(numbers=Count("account_number"))  # aggregate over the grouped subquery
    count = totals["numbers"]
    company_changelist = url_first("admin:copper_coppercompany_changelist")
    findings = [
        Finding(
            label=f"Account Order ID {row['account_number']}",
            url=f"{company_changelist}?{urlencode({'account_number': row['account_number']})}",
            message=f"{row['companies']} active companies claim this account number.",
            action="Choose the company that owns it",
            action_url=url_first(
                "admin:customers_accountnumberowner_add", query={"account_number": row["account_number"]}
            ),
        ).as_dict()
        for row in dupes[: limit()]
    ]
    numbers = {"duplicated_ids": count}
    title = CHECKS["duplicate_account_ids"][0]
    return CheckResult(
        "duplicate_account_ids", title, state_for("duplicate_account_ids", count), count, numbers, findings
    )


@check("customers_inactive_company", "Customers linked to an inactive or deleted Copper company")
def check_customers_inactive_company() -> CheckResult:
    inactive = Q(copper_company__is_active_customer=False)
    missing = Q(copper_company__missing_from_copper_since__isnull=False)
    linked = FishbowlCustomer.objects.filter(copper_company__isnull=False)
    totals = linked.aggregate(
        inactive=Count("pk", filter=inactive & ~missing), missing=Count("pk", filter=missing)
    )
    count = totals["inactive"] + totals["missing"]
    rows = (
        linked.filter(inactive | missing)
        .order_by("account_number")
        .values_list(
            "pk",
            "account_number",
            "name",
            "copper_company__name",
            "copper_company__missing_from_copper_since",
        )[: limit()]
    )
    findings = [
        Finding(
            label=f"{number} {name}",
            url=customer_url(pk),
            message=(
                f"Linked to {company!r}, which Copper no longer returns (since {gone:%Y-%m-%d})."
                if gone
                else f"Linked to {company!r}, which is not an active customer in Copper."
            ),
            action="Review the link",
            action_url=customer_url(pk),
        ).as_dict()
        for pk, number, name, company, gone in rows
    ]
    numbers = {"inactive_company": totals["inactive"], "deleted_company": totals["missing"]}
    title = CHECKS["customers_inactive_company"][0]
    state = state_for("customers_inactive_company", count)
    return CheckResult("customers_inactive_company", title, state, count, numbers, findings)


@check("orders_unattributed", "Sales orders outside commissions (unknown or unlinked customer)")
def check_orders_unattributed() -> CheckResult:
    """Orders whose customer is unknown (not imported) or not linked to a Copper company."""
    unknown = SalesOrder.objects.filter(customer__isnull=True)
    unlinked = SalesOrder.objects.filter(customer__isnull=False, customer__copper_company__isnull=True)
    n_unknown, n_unlinked = unknown.count(), unlinked.count()
    order_changelist = url_first("admin:customers_salesorder_changelist")
    action_url = sync_dashboard_url()
    findings: list[dict[str, str]] = []
    by_account = (
        unknown.values("customer_account_number")
        .annotate(orders=Count("pk"))
        .order_by("-orders", "customer_account_number")[: limit()]
    )
    for row in by_account:
        number = row["customer_account_number"]
        findings.append(
            Finding(
                label=f"Account {number or '(blank)'}",
                url=f"{order_changelist}?{urlencode({'customer_account_number': number, 'customer__isnull': 'True'})}",
                message=f"{row['orders']} orders name a customer that Fishbowl did not export.",
                action="Import Fishbowl customers, then run the customer sync",
                action_url=action_url,
            ).as_dict()
        )
    by_customer = (
        unlinked.values("customer", "customer__account_number", "customer__name")
        .annotate(orders=Count("pk"))
        .order_by("-orders", "customer")[: max(limit() - len(findings), 0)]
    )
    for row in by_customer:
        findings.append(
            Finding(
                label=f"{row['customer__account_number']} {row['customer__name']}",
                url=f"{order_changelist}?{urlencode({'customer': row['customer']})}",
                message=f"{row['orders']} orders; the customer is not linked to a Copper company.",
                action="Run the customer sync or link the customer",
                action_url=customer_url(row["customer"]),
            ).as_dict()
        )
    count = n_unknown + n_unlinked
    numbers = {"unknown_customer": n_unknown, "unlinked_customer": n_unlinked}
    title = CHECKS["orders_unattributed"][0]
    return CheckResult(
        "orders_unattributed", title, state_for("orders_unattributed", count), count, numbers, findings
    )


@check("account_types", "Customers with an unknown account type, or one that differs from Copper's")
def check_account_types() -> CheckResult:
    customers = FishbowlCustomer.objects.filter(is_active=True)
    unknown = Q(account_type=FishbowlCustomer.AccountType.UNKNOWN)
    # Copper's labels are few: normalise them in Python, compare in the database.
    labels = set(
        CopperCompany.objects.filter(fishbowl_customer__isnull=False)
        .exclude(account_type="")
        .values_list("account_type", flat=True)
        .distinct()
    )
    normalised = {label: account_type_normalise(label) for label in labels}
    differs = Q(pk__in=[])
    for value in FishbowlCustomer.AccountType.values:
        others = [
            label
            for label, norm in normalised.items()
            if norm not in (value, FishbowlCustomer.AccountType.UNKNOWN)
        ]
        if others:
            differs |= Q(account_type=value, copper_company__account_type__in=others)
    differs &= ~unknown
    totals = customers.aggregate(unknown=Count("pk", filter=unknown), differs=Count("pk", filter=differs))
    rows = (
        customers.filter(unknown | differs)
        .order_by("account_number")
        .values_list("pk", "account_number", "name", "account_type", "copper_company__account_type")[
            : limit()
        ]
    )
    findings = []
    for pk, number, name, mine, copper in rows:
        if mine == FishbowlCustomer.AccountType.UNKNOWN:
            message = "Account type unknown: its orders would be paid at the wrong commission rate."
            if copper:
                message += f" Copper says {copper!r}."
        else:
            message = f"Account type {mine!r} here, {copper!r} in Copper."
        findings.append(
            Finding(
                label=f"{number} {name}",
                url=customer_url(pk),
                message=message,
                action="Set the account type (or run the customer sync)",
                action_url=customer_url(pk),
            ).as_dict()
        )
    count = totals["unknown"] + totals["differs"]
    numbers = {"unknown": totals["unknown"], "differs_from_copper": totals["differs"]}
    title = CHECKS["account_types"][0]
    return CheckResult("account_types", title, state_for("account_types", count), count, numbers, findings)


def known_rep_names() -> set[str]:
    """Lower-cased names of Copper users, plus the Fishbowl usernames the commissions app's ``SalesRep`` table
    maps to a Copper user (when that app defines it)."""
    from django.apps import apps

    names = {name.strip().lower() for name in CopperUser.objects.values_list("name", flat=True) if name}
    if not apps.is_installed("commissions"):
        return names
    try:
        sales_rep = apps.get_model("commissions", "SalesRep")
    except LookupError:
        return names
    fields = {f.name for f in sales_rep._meta.concrete_fields}
    if "fishbowl_username" in fields:
        reps = sales_rep.objects.all()
        if "copper_user" in fields:
            reps = reps.filter(copper_user__isnull=False)
        names.update(u.strip().lower() for u in reps.values_list("fishbowl_username", flat=True) if u)
    return names


@check("sales_reps", "Customers with no sales rep, or a rep who is not a Copper user")
def check_sales_reps() -> CheckResult:
    customers = FishbowlCustomer.objects.filter(is_active=True).annotate(rep_lower=Lower("sales_rep"))
    names = known_rep_names()
    no_rep = Q(sales_rep="")
    not_user = ~no_rep & ~Q(rep_lower__in=names)
    totals = customers.aggregate(no_rep=Count("pk", filter=no_rep), not_user=Count("pk", filter=not_user))
    changelist = url_first("admin:customers_fishbowlcustomer_changelist")
    groups = (
        customers.filter(no_rep | not_user)
        .values("sales_rep")
        .annotate(customers=Count("pk"))
        .order_by("-customers", "sales_rep")[: limit()]
    )
    findings = [
        Finding(
            label=f"Rep {row['sales_rep']!r}" if row["sales_rep"] else "No sales rep",
            url=f"{changelist}?{urlencode({'sales_rep': row['sales_rep']})}",
            message=(
                f"{row['customers']} customers have a rep who is not a Copper user."
                if row["sales_rep"]
                else f"{row['customers']} customers have no sales rep."
            ),
            action="Map this Fishbowl username to a Copper user"
            if row["sales_rep"]
            else "Assign a sales rep",
            action_url=(
                url_first("admin:commissions_salesrep_add", query={"fishbowl_username": row["sales_rep"]})
                if row["sales_rep"]
                else ""
            )
            or f"{changelist}?{urlencode({'sales_rep': row['sales_rep']})}",
        ).as_dict()
        for row in groups
    ]
    count = totals["no_rep"] + totals["not_user"]
    numbers = {"no_rep": totals["no_rep"], "rep_not_copper_user": totals["not_user"]}
    return CheckResult(
        "sales_reps", CHECKS["sales_reps"][0], state_for("sales_reps", count), count, numbers, findings
    )


@check("copper_metrics", "Copper metric fields that disagree with Fishbowl")
def check_copper_metrics() -> CheckResult:
    from integrity.metrics import metrics_disagreements

    return metrics_disagreements(name="copper_metrics", title=CHECKS["copper_metrics"][0])


STALE_KINDS = {
    "copper_pull": SyncRun.Kind.COPPER_PULL,
    "customer_sync": SyncRun.Kind.CUSTOMER_SYNC,
    "metrics_apply": SyncRun.Kind.METRICS_APPLY,
}


@check("staleness", "Syncs that have not succeeded recently")
def check_staleness() -> CheckResult:
    """Last successful pull, customer sync and metrics apply vs ``INTEGRITY_STALE_HOURS``.

    Stale is a warning; three times the limit, or never succeeded, is critical. The metrics apply counts only
    once it has succeeded at least once (before that, the metrics push is not in use).
    """
    now = timezone.now()
    last = dict(
        SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED, kind__in=STALE_KINDS.values())
        .values("kind")
        .annotate(last=Max("finished_at"))
        .values_list("kind", "last")
    )
    numbers: dict[str, Any] = {}
    states, findings = [], []
    action_url = sync_dashboard_url()
    for key, kind in STALE_KINDS.items():
        hours = settings.INTEGRITY_STALE_HOURS.get(key, 0)
        finished = last.get(kind)
        numbers[f"{key}_hours_ago"] = round((now - finished).total_seconds() / 3600, 1) if finished else None
        if not hours or (finished is None and key == "metrics_apply"):
            continue
        if finished is None:
            state, message = State.CRITICAL, "Never succeeded."
        elif now - finished > timedelta(hours=hours * 3):
            state, message = (
                State.CRITICAL,
                f"Last success {numbers[f'{key}_hours_ago']} h ago (limit {hours:g} h).",
            )
        elif now - finished > timedelta(hours=hours):
            state, message = (
                State.WARNING,
                f"Last success {numbers[f'{key}_hours_ago']} h ago (limit {hours:g} h).",
            )
        else:
            continue
        states.append(state)
        label = SyncRun.Kind(kind).label
        findings.append(
            Finding(
                label, message, url=action_url, action=f"Run the {label.lower()}", action_url=action_url
            ).as_dict()
        )
    return CheckResult("staleness", CHECKS["staleness"][0], worst(states), len(findings), numbers, findings)


def checks_run(*, names: list[str] | None = None) -> list[CheckResult]:
    """Run the registered checks (all, or ``names``) in order. A check that fails reports itself critical."""
    results = []
    for name, (title, func) in CHECKS.items():
        if names is not None and name not in names:
            continue
        try:
            results.append(func())
        except Exception as exc:
            logger.exception("Integrity check %s failed", name)
            results.append(
                CheckResult(
                    name,
                    title,
                    State.CRITICAL,
                    0,
                    note=f"The check itself failed: {type(exc).__name__}: {exc}",
                )
            )
    return results


def chain_summary(results: list[CheckResult]) -> dict[str, int]:
    """Counts of the ecosystem chain, read from the check results (no extra queries but the order count)."""
    by_name = {r.check: r for r in results}
    gap = by_name.get("customer_gap")
    orders = by_name.get("orders_unattributed")
    return {
        "fishbowl_customers": gap.numbers.get("fishbowl_customers", 0)
        if gap
        else FishbowlCustomer.objects.count(),
        "active_companies_with_id": gap.numbers.get("active_companies_with_id", 0) if gap else 0,
        "matched": gap.numbers.get("matched", 0) if gap else 0,
        "orders": SalesOrder.objects.count(),
        "unattributed_orders": orders.count if orders else 0,
    }
