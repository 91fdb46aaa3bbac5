"""What one customer sync did (or, for a dry run, would do): the counts and the first rows of each kind."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CustomerSyncResult:
    """What a run did (or, for a dry run, would do). ``creates``/``updates``/``flags`` hold the first rows."""

    apply: bool
    run_id: int | None = None
    examined: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    skipped: int = 0
    errors: int = 0
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        names = ("examined", "created", "updated", "unchanged", "conflicts", "skipped", "errors")
        return {name: getattr(self, name) for name in names}

    @property
    def summary(self) -> str:
        c = self.counts
        verb = "" if self.apply else "Dry run, nothing written: would have "
        return (
            f"{verb}examined {c['examined']} companies: created {c['created']}, updated {c['updated']}, "
            f"unchanged {c['unchanged']}, skipped {c['skipped']} (inactive or no id), "
            f"{c['conflicts']} conflicts, {c['errors']} errors."
        )
