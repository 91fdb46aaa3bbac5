"""The integrity checks, one module per family, registered in dashboard order by importing them here.

- ``base``: ``Finding``, ``CheckResult``, the ``@check`` registry (``CHECKS``) and helpers;
- ``companies``: customer gap, shared Account Order IDs, customers linked to gone companies;
- ``orders``: orders outside commissions; ``customer_fields``: account types and sales reps;
- ``metrics``: Copper's metric fields vs Fishbowl; ``staleness``: syncs that have not succeeded lately.

Every check is set-based (aggregates, ``Exists`` and grouped counts in the database, never a query per row):
counts are exact, finding lists are capped by ``INTEGRITY_FINDINGS_LIMIT``. Storing a report and alerting is
``integrity.services``. Severity comes from ``INTEGRITY_THRESHOLDS`` / ``INTEGRITY_STALE_HOURS``.
"""

import logging

from customers.models import FishbowlCustomer, SalesOrder
from customers.selectors import copper_companies_active_with_number
from integrity.checks import companies, customer_fields, metrics, orders, staleness  # noqa: F401 - registers
from integrity.checks.base import CHECKS, CheckResult, Finding, check, check_title, state_for, worst
from integrity.models import State

__all__ = [
    "CHECKS",
    "CheckResult",
    "Finding",
    "chain_summary",
    "check",
    "check_title",
    "checks_run",
    "state_for",
    "worst",
]

logger = logging.getLogger(__name__)

# The dashboard's order: along the chain (Copper, orders, customer fields, the push), then freshness.
ORDER = (
    "customer_gap",
    "duplicate_account_ids",
    "customers_inactive_company",
    "orders_unattributed",
    "account_types",
    "sales_reps",
    "copper_metrics",
    "staleness",
)
_registered = dict(CHECKS)
CHECKS.clear()
CHECKS.update({name: _registered[name] for name in ORDER if name in _registered})
CHECKS.update({name: c for name, c in _registered.items() if name not in CHECKS})


def checks_run(*, names: list[str] | None = None) -> list[CheckResult]:
    """Run the registered checks (all, or ``names``) in order. A check that fails reports itself critical."""
    results = []
    for name, registered in CHECKS.items():
        if names is not None and name not in names:
            continue
        try:
            results.append(registered.func())
        except Exception as exc:
            logger.exception("Integrity check %s failed", name)
            results.append(
                CheckResult(
                    name,
                    registered.title,
                    State.CRITICAL,
                    0,
                    note=f"The check itself failed: {type(exc).__name__}: {exc}",
                    unit=registered.unit,
                )
            )
    return results


def chain_summary(results: list[CheckResult]) -> dict[str, int]:
    """Counts of the ecosystem chain, read from the check results (plus the order count, and the customer and
    company counts when the gap check was not run), with the same definitions the customer sync uses."""
    by_name = {r.check: r for r in results}
    gap = by_name.get("customer_gap")
    orders_result = by_name.get("orders_unattributed")
    if gap is not None:
        fishbowl, active, matched = (
            gap.numbers.get(key, 0) for key in ("fishbowl_customers", "active_companies_with_id", "matched")
        )
    else:
        active_companies = copper_companies_active_with_number()
        fishbowl, active = FishbowlCustomer.objects.count(), active_companies.count()
        matched = active_companies.filter(fishbowl_customer__isnull=False).count()
    return {
        "fishbowl_customers": fishbowl,
        "active_companies_with_id": active,
        "matched": matched,
        "orders": SalesOrder.objects.count(),
        "unattributed_orders": orders_result.count if orders_result else 0,
    }
