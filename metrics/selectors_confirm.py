"""Reads for the confirmation pages of a change set: what a rollback would write back, per field.

``change_set_field_summary`` (``metrics.selectors``) sums a set's own changes; a rollback writes back only the
changes that were applied, with before and after swapped, so its confirmation page sums those here.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, Count, FloatField, Max, Sum, When
from django.db.models.functions import Cast

from metrics.models import Change, ChangeSet
from metrics.selectors import FieldSummary
from metrics.values import NUMBER_TYPES

ZERO = Decimal("0.00")


def _number_sum(column: str) -> Sum:
    # CASE keeps the cast off non-numeric rows (PostgreSQL refuses to cast a JSON string to a number).
    return Sum(
        Case(
            When(data_type__in=NUMBER_TYPES, then=Cast(column, FloatField())),
            default=None,
            output_field=FloatField(),
        )
    )


def change_set_rollback_field_summary(*, change_set: ChangeSet) -> list[FieldSummary]:
    """Per Copper field, what rolling ``change_set`` back would write: its applied changes, the value Copper
    should now hold (the set's "after") as ``old_total`` and the value put back as ``new_total``.

    ONE aggregate query grouped by field; reads only. No flags (a rollback puts back values Copper held).
    """
    rows = (
        Change.objects.filter(change_set=change_set, outcome=Change.Outcome.APPLIED)
        .values("field_name", "data_type")
        .annotate(
            metric=Max("metric"),
            n=Count("pk"),
            now_sum=_number_sum("new_value"),
            back_sum=_number_sum("old_value"),
            sample_company=Max("company_name"),
        )
        .order_by("field_name", "data_type")
    )
    result = []
    for row in rows:
        numeric = row["data_type"] in NUMBER_TYPES
        result.append(
            FieldSummary(
                field_name=row["field_name"],
                metric=row["metric"] or "",
                data_type=row["data_type"],
                changes=row["n"],
                flagged=0,
                flag_counts={},
                outcome_counts={Change.Outcome.APPLIED: row["n"]},
                old_total=_decimal(row["now_sum"]) if numeric else None,
                new_total=_decimal(row["back_sum"]) if numeric else None,
                sample_company=row["sample_company"] or "",
                sample_before="",
                sample_after="",
            )
        )
    return result


def _decimal(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(ZERO)
