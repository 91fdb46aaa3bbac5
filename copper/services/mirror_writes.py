"""Writing Copper mirror rows: only rows whose values changed, each with a history row naming the run.

Used by the Copper pull (``syncs.services.pull``). ``MirrorWriter.upsert`` reads the existing rows of a batch
in one query, compares values, inserts new rows and updates changed ones with django-simple-history's bulk
helpers (or, for large inserts, ``insert_with_history``, which stores the same rows faster).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from copper.models import CopperCompany

MISSING_BATCH = 500
# While a bulk pull runs on SQLite: a page cache large enough to hold the hot index pages (32 MiB, whatever
# the number of rows), and fewer WAL checkpoints (each one syncs and copies the pages written since the last;
# the WAL file may grow to about 120 MB meanwhile). Measured at 100,000 companies: about 2x faster.
SQLITE_BULK_PRAGMAS = {"cache_size": -32768, "wal_autocheckpoint": 30000}


@contextmanager
def sqlite_bulk_tuning(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Raise SQLite's page cache and checkpoint interval for a bulk job, restoring both afterwards.

    Does nothing on other databases. Memory stays bounded (32 MiB of cache at most).
    """
    conn = connections[using]
    if conn.vendor != "sqlite":
        yield
        return
    with conn.cursor() as cursor:
        previous = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in SQLITE_BULK_PRAGMAS}
        for name, value in SQLITE_BULK_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        with conn.cursor() as cursor:
            for name, value in previous.items():
                cursor.execute(f"PRAGMA {name} = {int(value)}")


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged

    def __iadd__(self, other: Counts) -> Counts:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


class MirrorWriter:
    """Writes only changed rows, with history naming the run."""

    def __init__(self, *, reason: str, user: AbstractBaseUser | None) -> None:
        self.reason = reason
        self.user = user

    def upsert(
        self,
        model: type[models.Model],
        incoming: dict[int, tuple],
        fields: Iterable[str],
        *,
        fast: bool = False,
    ) -> Counts:
        """``incoming`` maps pk → values in ``fields`` order. One query reads the existing rows.

        ``fast`` inserts new rows (and their history) with ``_insert_with_history`` instead of building model
        instances for ``bulk_create_with_history``: the same rows, three times quicker (see its docstring).
        """
        fields = tuple(fields)
        counts = Counts()
        if not incoming:
            return counts
        pk_name = model._meta.pk.attname
        now = timezone.now()
        existing: dict[int, tuple] = {}
        ids = list(incoming)
        for start in range(0, len(ids), 500):
            for row in model._default_manager.filter(pk__in=ids[start : start + 500]).values_list(
                pk_name, *fields
            ):
                existing[row[0]] = row[1:]
        creates, updates, changed = [], [], set()
        for pk, values in incoming.items():
            old = existing.get(pk)
            if old == values:
                counts.unchanged += 1
            elif old is None:
                creates.append((pk, values))
            else:
                changed.update(f for f, a, b in zip(fields, values, old, strict=True) if a != b)
                updates.append(
                    model(**{pk_name: pk, "pulled_at": now, **dict(zip(fields, values, strict=True))})
                )
        if creates and fast:
            creates.sort(key=lambda item: item[0])  # in key order: neighbouring rows share table pages
            insert_with_history(model, fields, creates, now=now, reason=self.reason, user=self.user)
        elif creates:
            bulk_create_with_history(
                [
                    model(**{pk_name: pk, "pulled_at": now, **dict(zip(fields, v, strict=True))})
                    for pk, v in creates
                ],
                model,
                batch_size=500,
                default_user=self.user,
                default_change_reason=self.reason,
                default_date=now,
            )
        counts.created = len(creates)
        if updates:
            bulk_update_with_history(
                updates,
                model,
                [f for f in fields if f in changed] + ["pulled_at"],
                batch_size=500,
                default_user=self.user,
                default_change_reason=self.reason,
                default_date=now,
            )
            counts.updated = len(updates)
        return counts

    def mark_missing(self, *, seen: set[int], now: datetime) -> int:
        """Stamp ``missing_from_copper_since`` on companies a full pull did not see (rows are kept)."""
        present = CopperCompany.objects.filter(missing_from_copper_since__isnull=True)
        missing = [pk for pk in present.values_list("pk", flat=True).iterator() if pk not in seen]
        for start in range(0, len(missing), MISSING_BATCH):
            with transaction.atomic():
                rows = list(CopperCompany.objects.filter(pk__in=missing[start : start + MISSING_BATCH]))
                for row in rows:
                    row.missing_from_copper_since = now
                bulk_update_with_history(
                    rows,
                    CopperCompany,
                    ["missing_from_copper_since"],
                    default_user=self.user,
                    default_change_reason=self.reason,
                )
        return len(missing)


def insert_with_history(
    model: type[models.Model],
    fields: tuple[str, ...],
    rows: list[tuple[int, tuple]],
    *,
    now: datetime,
    reason: str,
    user: AbstractBaseUser | None,
) -> None:
    """Insert new rows and their "+" history rows exactly as ``bulk_create_with_history`` would.

    Why not that function: for a 100,000-company first pull it spends most of its time compiling Django's
    INSERT value by value and building two model instances per row. Here each value goes once through its
    field's own ``get_db_prep_save`` (so JSON, datetimes and defaults are stored as Django stores them) and
    the rows are sent with one ``executemany`` per table. ``tests/syncs/test_pull.py`` checks the rows match.
    """
    conn = connections[model._default_manager.db]  # the real connection: the proxy costs a lookup per use
    history = model.history.model  # type: ignore[attr-defined]
    names = (model._meta.pk.attname, *fields)
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    converters = [_converter(by_attname[name], conn) for name in names]
    prepared = [
        [
            value if conv is None or value is None else conv(value)
            for conv, value in zip(converters, (pk, *values), strict=True)
        ]
        for pk, values in rows
    ]
    supplied = {name: i for i, name in enumerate(names)}
    fixed = {
        "pulled_at": model._meta.get_field("pulled_at").get_db_prep_save(now, conn),
        "history_date": history._meta.get_field("history_date").get_db_prep_save(now, conn),
        "history_change_reason": reason,
        "history_type": "+",
        "history_user_id": user.pk if user is not None else None,
    }
    with conn.cursor() as cursor:
        for target in (model, history):
            columns, picks, constants = [], [], []
            for f in target._meta.concrete_fields:
                if f.attname in supplied:
                    picks.append(supplied[f.attname])
                elif f.primary_key:  # the history table's own auto id
                    continue
                else:
                    value = (
                        fixed[f.attname] if f.attname in fixed else f.get_db_prep_save(f.get_default(), conn)
                    )
                    constants.append(value)
                    picks.append(-len(constants))
                columns.append(conn.ops.quote_name(f.column))
            table = conn.ops.quote_name(target._meta.db_table)
            # Table and column names come from the models' own metadata, quoted; values travel as parameters.
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
            # One statement for every row: a long multi-row VALUES measured slower on SQLite and PostgreSQL.
            cursor.executemany(
                sql, [[row[i] if i >= 0 else constants[-i - 1] for i in picks] for row in prepared]
            )


# Field types whose Python values the database drivers take as they are.
_PLAIN_TYPES = frozenset(
    {
        "CharField",
        "TextField",
        "BigIntegerField",
        "IntegerField",
        "PositiveIntegerField",
        "BooleanField",
        "EmailField",
    }
)


def _converter(field: models.Field, conn):
    """How one field's Python value becomes a database parameter (``None``: as it is).

    JSON and datetimes go straight to the backend's own adapters (what ``get_db_prep_save`` ends in, minus
    three layers of calls per value); anything else not plainly storable takes the field's full path.
    """
    internal = field.get_internal_type()
    if internal in _PLAIN_TYPES:
        return None
    if internal == "ForeignKey":
        return _converter(field.target_field, conn)
    if internal == "JSONField":
        return lambda value: conn.ops.adapt_json_value(value, field.encoder)
    if internal == "DateTimeField":
        return conn.ops.adapt_datetimefield_value
    return lambda value: field.get_db_prep_save(value, conn)
