"""Reads of commission results: settings, per-rep summary, unattributed orders, CSV rows."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from commissions.models import CommissionLine, CommissionSettings, Title
from commissions.months import month_format, month_parse, months_add
from customers.models import SalesOrder
from syncs.models import SyncRun

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")
Reason = CommissionLine.Reason

CSV_HEADER = [
    "month",
    "order",
    "date_issued",
    "sales_person",
    "rep",
    "customer_account_number",
    "customer",
    "segment",
    "customer_status",
    "status_pinned",
    "revenue",
    "base",
    "rate",
    "amount",
    "spiff_amount",
    "total",
    "override_applied",
    "attributed",
    "reason",
]


def money(value) -> Decimal:
    """Sums come back from SQLite unquantised (floats underneath): round them to cents."""
    return Decimal(value or 0).quantize(CENT)


def commission_orders_superseded(*, start: date, end: date) -> dict[int, str]:
    """Orders issued in [start, end) that a later import of the same Fishbowl order replaces: id → its number.

    Fishbowl re-exports an order under a new number now and then; the latest import (highest id) among the
    month's orders, whatever their status, is the order. One query over the month's orders (date index).
    """
    latest: dict[int, tuple[int, str]] = {}
    rows = list(
        SalesOrder.objects.filter(date_issued__gte=start, date_issued__lt=end, fishbowl_id__isnull=False)
        .order_by("pk")
        .values_list("pk", "fishbowl_id", "number")
    )
    for pk, fishbowl_id, number in rows:
        latest[fishbowl_id] = (pk, number)
    return {pk: latest[fishbowl_id][1] for pk, fishbowl_id, _ in rows if latest[fishbowl_id][0] != pk}


def commission_settings_get() -> CommissionSettings:
    """The settings row (created with the defaults if a migration-less database lacks it)."""
    settings_row, _ = CommissionSettings.objects.get_or_create(pk=1)
    return settings_row


def commission_lines(*, month: date | str | None = None) -> QuerySet[CommissionLine]:
    lines = CommissionLine.objects.all()
    if month is not None:
        lines = lines.filter(month=month_parse(month))
    return lines


def commission_months() -> list[date]:
    """Months that have lines, newest first."""
    return list(CommissionLine.objects.order_by("-month").values_list("month", flat=True).distinct())


def title_label(title: str | None) -> str:
    """A rep title as a person reads it: its label ("Sales manager"), a title-cased word for an unknown one."""
    if not title:
        return ""
    if title in Title.values:
        return str(Title(title).label)
    return title.replace("_", " ").capitalize()


def commission_month_default(*, today: date | None = None) -> date:
    """The month a calculation offers first: the latest month before this one with orders it counts (this month
    is not over yet); this month when only it has some; last month when there are no such orders at all."""
    this_month = (today or timezone.localdate()).replace(day=1)
    counted = list(commission_settings_get().counted_statuses)
    orders = SalesOrder.objects.filter(status__in=counted, date_issued__isnull=False).order_by("-date_issued")
    latest = orders.filter(date_issued__lt=this_month).values_list("date_issued", flat=True).first()
    if latest is None:
        latest = (
            orders.filter(date_issued__lt=months_add(this_month, 1))
            .values_list("date_issued", flat=True)
            .first()
        )
    return latest.replace(day=1) if latest else months_add(this_month, -1)


def commission_rep_summary(*, month: date | str) -> list[dict[str, Any]]:
    """Per rep (or per sales person with no rep): orders, paid orders, base, commission, spiffs and total."""
    paid = Q(reason=Reason.PAID)
    rows = (
        commission_lines(month=month)
        .filter(attributed=True)
        .values("rep_id", "rep__name", "rep__title", "sales_person")
        .annotate(
            orders=Count("pk"),
            paid_orders=Count("pk", filter=paid),
            base=Coalesce(Sum("base", filter=paid), ZERO, output_field=MONEY),
            amount=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
            spiff_amount=Coalesce(Sum("spiff_amount"), ZERO, output_field=MONEY),
            excluded=Count("pk", filter=~paid),
        )
        .order_by("rep__name", "sales_person")
    )
    summary: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        # Lines of one rep may carry the username in different cases; a rep is one row.
        key = (row["rep_id"],) if row["rep_id"] else (None, row["sales_person"].lower())
        entry = summary.setdefault(
            key,
            {
                "rep_id": row["rep_id"],
                "name": row["rep__name"] or row["sales_person"] or "(none)",
                "title": row["rep__title"] or "",
                "title_label": title_label(row["rep__title"]),
                "sales_person": row["sales_person"],
                "orders": 0,
                "paid_orders": 0,
                "excluded": 0,
                "base": ZERO,
                "amount": ZERO,
                "spiff_amount": ZERO,
            },
        )
        for name in ("orders", "paid_orders", "excluded"):
            entry[name] += row[name]
        for name in ("base", "amount", "spiff_amount"):
            entry[name] += money(row[name])
    for entry in summary.values():
        entry["total"] = entry["amount"] + entry["spiff_amount"]
    return sorted(summary.values(), key=lambda e: (-e["total"], e["name"]))


def commission_month_totals(*, month: date | str) -> dict[str, Any]:
    """Totals of a month: orders, paid, commission, spiffs, and count/revenue per reason."""
    lines = commission_lines(month=month)
    totals = lines.aggregate(
        orders=Count("pk"),
        paid=Count("pk", filter=Q(reason=Reason.PAID)),
        amount=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
        spiff_amount=Coalesce(Sum("spiff_amount"), ZERO, output_field=MONEY),
        revenue=Coalesce(Sum("revenue"), ZERO, output_field=MONEY),
    )
    by_reason = {
        row["reason"]: {
            "label": Reason(row["reason"]).label,
            "count": row["n"],
            "revenue": money(row["revenue"]),
        }
        for row in lines.exclude(reason=Reason.PAID)
        .values("reason")
        .annotate(n=Count("pk"), revenue=Coalesce(Sum("revenue"), ZERO, output_field=MONEY))
        .order_by("reason")
    }
    for name in ("amount", "spiff_amount", "revenue"):
        totals[name] = money(totals[name])
    totals["total"] = totals["amount"] + totals["spiff_amount"]
    totals["by_reason"] = by_reason
    return totals


def commission_unattributed_lines(*, month: date | str | None = None) -> QuerySet[CommissionLine]:
    """Orders nobody can be paid for (unknown customer or account type, no or unknown sales person)."""
    return commission_lines(month=month).filter(attributed=False).order_by("-revenue", "order_number")


def commission_unattributed_summary(*, month: date | str | None = None) -> dict[str, Any]:
    """Count and revenue of unattributed orders, in total and per reason (all months when ``month`` is None).

    ``{"month": "2026-01" | None, "count": int, "revenue": Decimal,
    "by_reason": {reason: {"label": str, "count": int, "revenue": Decimal}}}`` — for the integrity check.
    """
    rows = (
        commission_lines(month=month)
        .filter(attributed=False)
        .values("reason")
        .annotate(n=Count("pk"), revenue=Coalesce(Sum("revenue"), ZERO, output_field=MONEY))
        .order_by("reason")
    )
    by_reason = {
        r["reason"]: {"label": Reason(r["reason"]).label, "count": r["n"], "revenue": money(r["revenue"])}
        for r in rows
    }
    return {
        "month": month_format(month_parse(month)) if month is not None else None,
        "count": sum(r["count"] for r in by_reason.values()),
        "revenue": sum((r["revenue"] for r in by_reason.values()), ZERO),
        "by_reason": by_reason,
    }


def commission_lines_csv_rows(*, month: date | str) -> Iterator[list[Any]]:
    """The header, then one row per line of the month (streamed)."""
    yield CSV_HEADER
    lines = commission_lines(month=month).order_by("sales_person", "order_number")
    fields = [
        "month",
        "order_number",
        "date_issued",
        "sales_person",
        "rep__name",
        "customer_account_number",
        "customer__name",
        "segment",
        "customer_status",
        "status_pinned",
        "revenue",
        "base",
        "rate",
        "amount",
        "spiff_amount",
        "override_applied",
        "attributed",
        "reason",
    ]
    for row in lines.values_list(*fields).iterator(chunk_size=2000):
        values = dict(zip(fields, row, strict=True))
        yield [
            month_format(values["month"]),
            values["order_number"],
            values["date_issued"].isoformat(),
            values["sales_person"],
            values["rep__name"] or "",
            values["customer_account_number"],
            values["customer__name"] or "",
            values["segment"],
            values["customer_status"],
            "yes" if values["status_pinned"] else "no",
            values["revenue"],
            values["base"],
            "" if values["rate"] is None else values["rate"],
            values["amount"],
            values["spiff_amount"],
            values["amount"] + values["spiff_amount"],
            "yes" if values["override_applied"] else "no",
            "yes" if values["attributed"] else "no",
            Reason(values["reason"]).label if values["reason"] else "",
        ]


def commission_runs_recent(*, limit: int = 5) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(kind=SyncRun.Kind.COMMISSIONS).order_by("-queued_at")[:limit]


def commission_month_latest_calculated() -> date | None:
    """The month of the newest successful calculation (else the newest month with lines), for "the latest
    report" links; one query, two when nothing was calculated through a run."""
    run = (
        SyncRun.objects.filter(kind=SyncRun.Kind.COMMISSIONS, status=SyncRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .only("options")
        .first()
    )
    if run is not None and run.options.get("month"):
        try:
            return month_parse(run.options["month"])
        except ValueError:
            pass
    return CommissionLine.objects.order_by("-month").values_list("month", flat=True).first()
