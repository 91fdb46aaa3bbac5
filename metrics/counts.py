"""A change set's counts in plain words, for every page that shows them (review, confirmations, lists).

``ChangeSet.counts`` keeps machine keys (``kept_not_empty``, ``copper_reads``…) so the build, the apply and the
API read one shape; people read the labels below, in this order. Keys without a label (a count added later)
fall back to their key in words, so nothing is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metrics.models import Change

# key → label, in the order a reviewer reads them: what was looked at, what changes, what was left alone.
COUNT_LABELS: dict[str, str] = {
    "companies": "Companies checked",
    "examined": "Company fields compared",
    "changes": "Changes to write",
    "companies_changed": "Companies with a change",
    "flagged": "Changes flagged for a second look",
    "unchanged": "Fields already right in Copper",
    "kept_not_empty": "Fields kept because Copper already has a value (“only if empty”)",
    "missing_in_copper": "Companies no longer found in Copper",
    "errors": "Values the Copper field cannot hold (see the run's log)",
    "rolled_back": "Changes rolled back",
    **{
        f"outcome_{value}": f"Outcome: {label[0].lower()}{label[1:]}"
        for value, label in Change.Outcome.choices
    },
    "copper_reads": "Requests to read Copper",
    "copper_seconds": "Time spent waiting for Copper",
    "local_seconds": "Time spent computing here",
}
# Keys that are not counts (the list of apply runs is shown as links).
NOT_COUNTS = {"apply_runs"}


@dataclass(frozen=True)
class LabelledCount:
    key: str
    label: str
    value: Any


def _seconds_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def counts_labelled(counts: dict[str, Any]) -> list[LabelledCount]:
    """``counts`` as (key, label, shown value): known keys first in ``COUNT_LABELS`` order, then any other key
    in words; durations as seconds or minutes."""
    known = [key for key in COUNT_LABELS if key in counts]
    others = sorted(key for key in counts if key not in COUNT_LABELS and key not in NOT_COUNTS)
    result = []
    for key in known + others:
        value = counts[key]
        if key.endswith("_seconds") and isinstance(value, int | float):
            value = _seconds_text(float(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:,}"
        label = COUNT_LABELS.get(key) or key.replace("_", " ").capitalize()
        result.append(LabelledCount(key=key, label=label, value=value))
    return result
