"""A busy Copper for the sandbox: companies edited or deleted between the pages of a pull.

``WalkChaos`` runs after every company search that pages through the list (not a lookup by ``ids``) and
before the next one arrives, as a rep working in Copper during a pull would:
- ``edits_per_page`` companies get ``date_modified`` = now (nothing else changes). ``edit_pick="oldest"`` edits
  the least recently modified companies (those a ``date_modified asc`` walk has already read: the case that
  makes offset paging skip a row); ``"newest"`` edits the most recently modified (not yet read: they move past
  the walk's upper bound, so only a lookup by id finds them).
- ``deletes_per_page`` of the most recently modified companies are deleted (not yet read by the walk).
Only companies modified before the chaos was set up are picked, so each is edited or deleted at most once.
``budget`` caps the total number of edits and deletes (``None``: no cap). Every action is recorded in
``edited`` / ``deleted`` for the tests.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class WalkChaos:
    edits_per_page: int = 0
    deletes_per_page: int = 0
    edit_pick: str = "oldest"
    budget: int | None = None
    since: int = field(default_factory=lambda: int(time.time()))
    edited: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> WalkChaos:
        """From the control endpoint's JSON; raises ``ValueError`` naming a bad option."""
        known = {"edits_per_page", "deletes_per_page", "edit_pick", "budget"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown walk options: {', '.join(unknown)}")
        chaos = cls(**options)
        if chaos.edit_pick not in ("oldest", "newest"):
            raise ValueError("edit_pick must be oldest or newest")
        return chaos

    @property
    def active(self) -> bool:
        return bool(self.edits_per_page or self.deletes_per_page)

    def after_search(self, store: Any, query: dict[str, Any]) -> None:
        """Act between pages (called after a companies search was answered)."""
        if not self.active or query.get("ids") is not None:
            return
        with self._lock:
            edits = self._allowed(self.edits_per_page)
            if edits:
                order = "ASC" if self.edit_pick == "oldest" else "DESC"
                for company_id in _pick(store, order=order, count=edits, before=self.since):
                    store.company_update(company_id, {}, date_modified=int(time.time()))
                    self.edited.append(company_id)
            deletes = self._allowed(self.deletes_per_page)
            for company_id in _pick(store, order="DESC", count=deletes, before=self.since) if deletes else []:
                store.company_delete(company_id)
                self.deleted.append(company_id)

    def _allowed(self, wanted: int) -> int:
        if self.budget is None:
            return wanted
        return max(0, min(wanted, self.budget - len(self.edited) - len(self.deleted)))

    def as_dict(self) -> dict[str, Any]:
        return {"edits_per_page": self.edits_per_page, "deletes_per_page": self.deletes_per_page,
                "edit_pick": self.edit_pick, "budget": self.budget, "edited": len(self.edited),
                "deleted": len(self.deleted)}  # fmt: skip


def _pick(store: Any, *, order: str, count: int, before: int) -> list[int]:
    with store._lock:
        rows = store._db.execute(
            f"SELECT id FROM companies WHERE date_modified < ? ORDER BY date_modified {order}, id {order} LIMIT ?",  # noqa: S608 - order is ASC/DESC
            (before, count),
        ).fetchall()
    return [row[0] for row in rows]
