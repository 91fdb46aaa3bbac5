"""What a change set's page shows above its buttons: labelled counts, the per-field summary and the flag legend.

The page itself is ``ChangeSetAdmin.review_view``; the changes are listed (filtered, searched, paged, exported)
by the changes' changelist (``metrics.admin_changes``), which every figure here links to. Three queries at
most, whatever the set's size: the summary is one grouped query.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import QueryDict

from metrics import values as mv
from metrics.admin_changes import CHANGE_SET_PARAM, changes_url
from metrics.counts import LabelledCount, counts_labelled
from metrics.models import Change, ChangeSet, FieldMapping
from metrics.selectors import FieldSummary, change_set_field_summary


@dataclass(frozen=True)
class FieldRow:
    """One line of the summary table, with its links into the changelist."""

    summary: FieldSummary
    changes_url: str
    flagged_url: str
    flags: list[tuple[str, int, str]]  # (label, count, url)
    totals: str  # "575.00 → 780.00 (+205.00)" for numbers, "" otherwise
    outcomes: str  # "Applied 3, stale (kept) 1" once anything is no longer pending


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _number(value: Decimal, data_type: str) -> str:
    if data_type == "Currency":
        return f"{value:,.2f}"
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _totals(row: FieldSummary) -> str:
    if row.old_total is None or row.new_total is None or row.metric not in mv.SUMMABLE_METRICS:
        return ""
    difference = row.new_total - row.old_total
    sign = "+" if difference >= 0 else "−"
    return (
        f"{_number(row.old_total, row.data_type)} → {_number(row.new_total, row.data_type)} "
        f"({sign}{_number(abs(difference), row.data_type)})"
    )


def _outcomes(row: FieldSummary) -> str:
    if set(row.outcome_counts) <= {Change.Outcome.PENDING}:
        return ""
    labels = dict(Change.Outcome.choices)
    parts = [f"{labels[o]} {n:,}" for o, n in row.outcome_counts.items()]
    return ", ".join(parts[:1] + [_lower_first(p) for p in parts[1:]])


def field_rows(*, change_set: ChangeSet, summary: list[FieldSummary]) -> list[FieldRow]:
    rows = []
    for row in summary:
        rows.append(
            FieldRow(
                summary=row,
                changes_url=changes_url(change_set.pk, field=row.field_name),
                flagged_url=changes_url(change_set.pk, field=row.field_name, flag="any"),
                flags=[
                    (mv.flag_label(flag), n, changes_url(change_set.pk, field=row.field_name, flag=flag))
                    for flag, n in row.flag_counts.items()
                ],
                totals=_totals(row),
                outcomes=_outcomes(row),
            )
        )
    return rows


def review_context(*, change_set: ChangeSet) -> dict[str, Any]:
    """Context for the top of the change set's page (one query: the summary)."""
    summary = change_set_field_summary(change_set=change_set)
    flags_shown = {flag for row in summary for flag in row.flag_counts}
    outcome_totals: dict[str, int] = {}
    for row in summary:
        for outcome, n in row.outcome_counts.items():
            outcome_totals[outcome] = outcome_totals.get(outcome, 0) + n
    labels = dict(Change.Outcome.choices)
    total = sum(row.changes for row in summary)
    flagged = sum(row.flagged for row in summary)
    rows = field_rows(change_set=change_set, summary=summary)
    policies = dict(FieldMapping.Policy.choices)
    return {
        "summary_rows": rows,
        "show_outcomes": any(row.outcomes for row in rows),
        "fields_used": [
            (m.get("copper_field", ""), _lower_first(policies.get(m.get("policy"), m.get("policy", ""))))
            for m in change_set.mapping_snapshot
        ],
        "total_changes": total,
        "total_flagged": flagged,
        "outcome_totals": [
            (labels[o], n, changes_url(change_set.pk, outcome=o))
            for o in Change.Outcome.values
            if (n := outcome_totals.get(o))
        ],
        "legend": mv.flag_legend(factor=settings.METRICS_SUSPICIOUS_FACTOR, flags=flags_shown),
        "labelled_counts": change_set_counts(change_set=change_set),
        "changes_url": changes_url(change_set.pk),
        "flagged_url": changes_url(change_set.pk, flag="any"),
    }


def change_set_counts(*, change_set: ChangeSet) -> list[LabelledCount]:
    """The set's counts in plain words (``metrics.counts``)."""
    return counts_labelled(change_set.counts)


# The filters the change set's page took before its changes had their own changelist.
LEGACY_FILTERS = {"q", "field", "outcome", "flagged", "page"}


def changelist_params(*, change_set: ChangeSet, query: QueryDict) -> QueryDict:
    """The changelist query for ``change_set`` narrowed as ``query`` asks: the changelist's filter names
    (``q``, ``field``, ``flag``, ``outcome``), and ``flagged=1`` as the change set page used to say it."""
    params = QueryDict(mutable=True)
    for key, values in query.lists():
        if key in (CHANGE_SET_PARAM, "flagged", "page", "p"):
            continue
        params.setlist(key, values)
    if query.get("flagged") == "1" and "flag" not in params:
        params["flag"] = "any"
    params[CHANGE_SET_PARAM] = str(change_set.pk)
    return params
