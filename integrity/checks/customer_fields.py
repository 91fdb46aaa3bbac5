"""Checks of the Fishbowl customers' own fields that commissions depend on: account type and sales rep."""

from urllib.parse import urlencode

from django.apps import apps
from django.db.models import Count, Q
from django.db.models.functions import Lower

from copper.models import CopperCompany, CopperUser
from customers.models import FishbowlCustomer
from customers.normalize import account_type_normalise
from integrity.checks.base import (
    CheckResult,
    Finding,
    check,
    customer_sync_url,
    customer_url,
    limit,
    result,
    url_first,
)


@check(
    "account_types",
    "Customers with an unknown account type, or one that differs from Copper's",
    unit="customers",
)
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
        .values_list(
            "pk", "account_number", "name", "account_type", "copper_company__account_type", "locked_fields"
        )[: limit()]
    )
    findings = []
    sync_url = customer_sync_url()
    for pk, number, name, mine, copper, locked in rows:
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
                **_account_type_fix(pk=pk, copper=copper, locked=locked, sync_url=sync_url),
            ).as_dict()
        )
    count = totals["unknown"] + totals["differs"]
    numbers = {"unknown": totals["unknown"], "differs_from_copper": totals["differs"]}
    return result("account_types", count, numbers, findings)


def _account_type_fix(*, pk: int, copper: str | None, locked, sync_url: str) -> dict[str, str]:
    """The customer sync takes Copper's type when Copper has a known one and nobody locked the field."""
    copper_known = account_type_normalise(copper or "") != FishbowlCustomer.AccountType.UNKNOWN
    if copper_known and "account_type" not in (locked or []):
        return {"action": "Run the customer sync (it takes Copper's type)", "action_url": sync_url}
    if copper_known:
        return {
            "action": "Choose the type here or in Copper (edited by hand here)",
            "action_url": customer_url(pk),
        }
    return {"action": "Set the account type (here, or in Copper and sync)", "action_url": customer_url(pk)}


def known_rep_names() -> set[str]:
    """Lower-cased names of Copper users, plus the Fishbowl usernames the commissions app's ``SalesRep`` table
    maps to a Copper user (when that app defines it)."""
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


@check("sales_reps", "Customers with no sales rep, or a rep who is not a Copper user", unit="sales reps")
def check_sales_reps() -> CheckResult:
    customers = FishbowlCustomer.objects.filter(is_active=True).annotate(rep_lower=Lower("sales_rep"))
    names = known_rep_names()
    no_rep = Q(sales_rep="")
    not_user = ~no_rep & ~Q(rep_lower__in=names)
    totals = customers.aggregate(no_rep=Count("pk", filter=no_rep), not_user=Count("pk", filter=not_user))
    changelist = url_first("admin:customers_fishbowlcustomer_changelist")
    grouped = (
        customers.filter(no_rep | not_user)
        .values("sales_rep")
        .annotate(customers=Count("pk"))
        .order_by("-customers", "sales_rep")
    )
    groups = grouped[: limit()]
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
    # Counted in customers, listed per rep: the list is as long as there are distinct reps.
    return result("sales_reps", count, numbers, findings, rows=grouped.count())
