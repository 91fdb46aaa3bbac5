"""Orders outside commissions: the customer is unknown (not imported) or not linked to a Copper company.

Findings are groups (an account number, or a customer) and each names the one step that brings its orders in:
choose the owner of a shared number, run the customer sync (it creates or links the customer), import the
Fishbowl customers, or link the customer by hand.
"""

from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef

from customers.models import SalesOrder
from customers.selectors import HELD_BY_CONFLICT, SYNCABLE, copper_companies_classified
from integrity.checks.base import (
    CheckResult,
    Finding,
    check,
    conflicts_url,
    customer_sync_url,
    customer_url,
    limit,
    result,
    sync_dashboard_url,
    url_first,
)


def _fix(
    *, syncable: bool, held: bool, unknown: bool, customer_pk: int | None = None
) -> tuple[str, str, str]:
    """(why, action, action URL) for a group of orders, from what Copper holds for its account number."""
    if held:
        return (
            "several active Copper companies claim this account number",
            "Choose the company that owns it",
            conflicts_url(),
        )
    if syncable:
        what = "the customer does not exist yet" if unknown else "the customer is not linked yet"
        return (
            f"{what}; an active Copper company has this number",
            "Run the customer sync",
            customer_sync_url(),
        )
    if unknown:
        return (
            "Fishbowl did not export this customer and no active Copper company has the number",
            "Import Fishbowl customers",
            sync_dashboard_url(),
        )
    return (
        "no active Copper company carries the customer's number",
        "Link the customer to its Copper company",
        customer_url(customer_pk) if customer_pk else "",
    )


@check(
    "orders_unattributed", "Sales orders outside commissions (unknown or unlinked customer)", unit="groups"
)
def check_orders_unattributed() -> CheckResult:
    """Orders whose customer is unknown or unlinked; counted in orders, listed per account number or customer."""
    classified = copper_companies_classified()
    unknown = SalesOrder.objects.filter(customer__isnull=True)
    unlinked = SalesOrder.objects.filter(customer__isnull=False, customer__copper_company__isnull=True)
    n_unknown, n_unlinked = unknown.count(), unlinked.count()
    order_changelist = url_first("admin:customers_salesorder_changelist")

    def by(number_field: str):
        same = classified.filter(account_number=OuterRef(number_field))
        return {"syncable": Exists(same.filter(SYNCABLE)), "held": Exists(same.filter(HELD_BY_CONFLICT))}

    by_account = (
        unknown.values("customer_account_number")
        .annotate(orders=Count("pk"))
        .annotate(**by("customer_account_number"))
        .order_by("-orders", "customer_account_number")
    )
    by_customer = (
        unlinked.values("customer", "customer__account_number", "customer__name")
        .annotate(orders=Count("pk"))
        .annotate(**by("customer__account_number"))
        .order_by("-orders", "customer")
    )
    n_accounts, n_customers = by_account.count(), by_customer.count()
    findings: list[dict[str, str]] = []
    for row in by_account[: limit()]:
        number = row["customer_account_number"]
        why, action, action_url = _fix(syncable=row["syncable"], held=row["held"], unknown=True)
        findings.append(
            Finding(
                label=f"Account {number or '(blank)'}",
                url=f"{order_changelist}?{urlencode({'customer_account_number': number, 'customer__isnull': 'True'})}",
                message=f"{row['orders']} orders name a customer unknown here: {why}.",
                action=action,
                action_url=action_url,
            ).as_dict()
        )
    for row in by_customer[: max(limit() - len(findings), 0)]:
        why, action, action_url = _fix(
            syncable=row["syncable"], held=row["held"], unknown=False, customer_pk=row["customer"]
        )
        findings.append(
            Finding(
                label=f"{row['customer__account_number']} {row['customer__name']}",
                url=f"{order_changelist}?{urlencode({'customer': row['customer']})}",
                message=f"{row['orders']} orders; {why}.",
                action=action,
                action_url=action_url,
            ).as_dict()
        )
    count = n_unknown + n_unlinked
    numbers = {
        "unknown_customer": n_unknown,
        "unlinked_customer": n_unlinked,
        "accounts_unknown": n_accounts,
        "customers_unlinked": n_customers,
    }
    return result("orders_unattributed", count, numbers, findings, rows=n_accounts + n_customers)
