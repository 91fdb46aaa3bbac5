"""Walk Copper's companies by ``(date_modified, id)`` in windows, so no edit during the walk hides a company.

Offset paging over ``date_modified asc`` skips a row whenever a row already read is edited meanwhile (it moves
to the end and everything after it shifts back one), and one search never returns more than its first 100,000
records. So every search here is the *first page of a new window*: ``minimum_modified_date`` = the last
``date_modified`` seen (inclusive; rows already seen at that second are dropped by id), ``maximum_modified_date``
= the walk's upper bound (the run's start). An edit moves a row to "now", past the upper bound or at least
past the lower one, and never shifts a row the walk still has to read. Page numbers appear only inside a window
whose one second holds more than a page (a bulk import): that second is read again until a pass finds nothing
new (an edit meanwhile shifts page numbers), and each of those searches stays under the search cap.

The walk needs ``ceil(N / page_size)`` searches plus one per page for the row at the boundary second that it
reads twice (about ``N / 40,000`` for distinct timestamps), plus the final short page. Memory is one page
plus the ids at the current boundary second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from copper.errors import CopperError
from copper.responses import decode_json, int_or_none

if TYPE_CHECKING:
    import requests

SEARCH_PATH = "/companies/search"
# Passes over one crowded second: the first, a check that finds nothing new, and one more if it did.
MAX_SAME_SECOND_PASSES = 3


@dataclass
class WalkInfo:
    """What a walk did; ``completed`` is true only once a short page proved the last window exhausted."""

    searches: int = 0
    windows: int = 0
    same_second_windows: int = 0
    rows: int = 0
    duplicates: int = 0
    total_estimate: int | None = None
    completed: bool = False
    lower: int | None = None  # the lower bound the walk had reached


class SearchClient(Protocol):
    """What the walk needs of a client (``copper.client.CopperClient`` is one): send a call, keep the walk."""

    last_walk: WalkInfo | None

    def request(self, method: str, path: str, *, body: Any = None) -> requests.Response: ...


def companies_walk(
    client: SearchClient,
    filters: dict[str, Any] | None = None,
    *,
    minimum_modified: int | None = None,
    maximum_modified: int | None = None,
    page_size: int = 200,
    search_cap: int = 100_000,
    on_total: Callable[[int | None], None] | None = None,
    info: WalkInfo | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Yield pages of companies modified in ``[minimum_modified, maximum_modified]`` (either may be open).

    Every row is yielded once per walk while its ``date_modified`` does not change; a row edited during the
    walk may come again with its new values (or not at all, when the edit takes it past
    ``maximum_modified``: the next incremental pull reads it). ``info`` (or ``client.last_walk``) tells
    whether the walk covered every window. Raises ``CopperError`` when one second holds more companies than
    one search may return (``search_cap``): no filter Copper offers splits such a second.
    """
    info = info if info is not None else WalkInfo()
    client.last_walk = info
    base = {k: v for k, v in (filters or {}).items() if k not in ("page_number", "page_size")}
    base.update(sort_by="date_modified", sort_direction="asc", page_size=page_size)
    if maximum_modified is not None:
        base["maximum_modified_date"] = int(maximum_modified)
    lower = None if minimum_modified is None else int(minimum_modified)
    at_lower: set[int] = set()  # ids already yielded whose date_modified == lower
    while True:
        info.lower = lower
        info.windows += 1
        rows = _search(client, base, lower=lower, upper=None, page_number=1, info=info, on_total=on_total)
        fresh = [row for row in rows if row["id"] not in at_lower]
        info.duplicates += len(rows) - len(fresh)
        if fresh:
            info.rows += len(fresh)
            yield fresh
        if len(rows) < page_size:
            info.completed = True
            return
        last = _modified(rows[-1])
        if lower is not None and last < lower:
            raise CopperError(
                f"Copper answered a search from date_modified {lower} with a row modified at {last}: the "
                "rows are not in date_modified order, so the walk cannot tell what it covered."
            )
        if lower is None or last > lower:
            lower = last
            at_lower = {row["id"] for row in rows if _modified(row) == last}
            continue
        # The whole page sits at one second: page through that second alone, then move past it. Page numbers
        # shift when a row of that second is edited meanwhile, so the second is read again until a pass
        # finds nothing new (a bulk import's second is read about twice; any other second once).
        info.same_second_windows += 1
        seen = set(at_lower) | {row["id"] for row in rows}
        page_number, passes, found_new = 2, 1, False
        while True:
            if (page_number - 1) * page_size >= search_cap:
                raise CopperError(
                    f"More than {search_cap:,} Copper companies were modified in the same second "
                    f"({lower}); one search cannot return them all and no filter splits one second. "
                    "Nothing was marked missing; ask Copper support to spread their date_modified."
                )
            page = _search(client, base, lower=lower, upper=lower, page_number=page_number, info=info)
            fresh = [row for row in page if row["id"] not in seen]
            info.duplicates += len(page) - len(fresh)
            seen.update(row["id"] for row in fresh)
            if fresh:
                found_new = True
                info.rows += len(fresh)
                yield fresh
            if len(page) == page_size:
                page_number += 1
                continue
            if passes > 1 and not found_new or passes >= MAX_SAME_SECOND_PASSES:
                break
            page_number, passes, found_new = 1, passes + 1, False
        lower, at_lower = lower + 1, set()


def _search(
    client: SearchClient,
    base: dict[str, Any],
    *,
    lower: int | None,
    upper: int | None,
    page_number: int,
    info: WalkInfo,
    on_total: Callable[[int | None], None] | None = None,
) -> list[dict[str, Any]]:
    query = dict(base, page_number=page_number)
    if lower is not None:
        query["minimum_modified_date"] = lower
    if upper is not None:
        query["maximum_modified_date"] = upper
    response = client.request("POST", SEARCH_PATH, body=query)
    rows = decode_json("POST", SEARCH_PATH, response)
    info.searches += 1
    if info.searches == 1:
        info.total_estimate = int_or_none(response.headers.get("X-PW-TOTAL"))
        if on_total is not None:
            on_total(info.total_estimate)
    return rows


def _modified(row: dict[str, Any]) -> int:
    value = row.get("date_modified")
    return int(value) if isinstance(value, int | float) else 0
