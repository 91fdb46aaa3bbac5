"""The one bulk writer with history: rows and their django-simple-history rows, one ``executemany`` per table.

Why not simple-history's ``bulk_create_with_history`` / ``bulk_update_with_history``: at 100,000+ rows they
spend most of their time compiling Django's SQL value by value (about 10 µs a value), building two model
instances per row and, for updates, one ``CASE`` expression per field and row. Here each table gets one
prepared statement executed for every row, each value prepared once the way its field prepares it (JSON,
datetimes, dates and decimals through the backend's own adapters, anything unusual through
``get_db_prep_save``), microseconds a row.

The rows written are those django-simple-history writes: the history row's columns come from the historical
model's own fields (every tracked field, ``history_date``, ``history_change_reason``, ``history_type`` "+" or
"~", ``history_user``), so any tracked model works; a historical model with a column this module cannot fill
is refused with a ``ValueError`` rather than given a wrong row. ``tests/syncs/test_bulk.py`` compares both
tables with what simple-history writes for every model the project writes in bulk.

Like Django's bulk methods these send no signals and run no ``save()``. Call them inside the caller's
transaction (a failed statement then leaves nothing half-written). This module imports no other app.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.operations import BaseDatabaseOperations

HISTORY_SPECIAL = ("history_date", "history_change_reason", "history_type", "history_user_id")
# Internal types whose Python values the drivers (sqlite3, psycopg) store as Django would.
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "CharField",
        "TextField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "BooleanField",
    }
)

Row = Mapping[str, Any] | models.Model


def bulk_insert_with_history(
    *,
    model: type[models.Model],
    rows: Sequence[Row],
    history_user: Any,
    change_reason: str,
    history_date: datetime,
    key: tuple[str, ...] = (),
    lookup: models.QuerySet | None = None,
    history: bool = True,
    using: str = DEFAULT_DB_ALIAS,
) -> dict[Any, Any]:
    """INSERT ``rows`` of ``model`` and one "+" history row each, as ``bulk_create_with_history`` would.

    ``rows`` are mappings of attname → value (every mapping with the keys of the first) or model instances
    (every concrete field read; their ``auto_now``/``auto_now_add`` fields are set to ``history_date``). A field
    a mapping leaves out takes its default, an ``auto_now``/``auto_now_add`` one ``history_date``. When the rows carry their primary key it is inserted as given;
    otherwise ``key`` names the attnames of a unique key and the new primary keys are read back in one query
    from ``lookup`` (a queryset holding the new rows; extra rows are ignored), by default ``key`` IN the new
    values (one-field keys only). Returns ``{key value (a tuple for a composite key): pk}`` of the rows read
    back, else ``{}``; instances get their ``pk`` set. ``history=False`` writes the rows only (a dry run).
    """
    if not rows:
        return {}
    conn = connections[using]
    meta = model._meta
    pk_name = meta.pk.attname
    instances = isinstance(rows[0], models.Model)
    if instances:
        names = [f.attname for f in meta.concrete_fields if not f.primary_key or rows[0].pk is not None]
        auto = [
            f.attname
            for f in meta.concrete_fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        for obj in rows:  # as ``pre_save`` does on an insert
            for name in auto:
                setattr(obj, name, history_date)
    else:
        names = list(rows[0])
    has_pk = pk_name in names
    if not has_pk and not key:
        raise ValueError(
            f"Inserting {meta.object_name} rows without primary keys needs a unique key to read them back."
        )
    constants = _constants(conn, [f for f in meta.concrete_fields if f.attname not in names], history_date)
    prepared = _prepared(conn, meta, rows, names, instances)
    constant_values = list(constants.values())
    _insert(conn, meta.db_table, [_column(meta, n) for n in (*names, *constants)], prepared, constant_values)

    pks: dict[Any, Any] = {}
    if has_pk:
        row_pks = [row[names.index(pk_name)] for row in prepared]
    else:
        key_of = operator.itemgetter(*key) if not instances else operator.attrgetter(*key)
        wanted = {key_of(row) for row in rows}
        if lookup is None:
            if len(key) != 1:
                raise ValueError("A composite key needs a lookup queryset holding the new rows.")
            lookup = model._default_manager.using(using).filter(**{f"{key[0]}__in": list(wanted)})
        for pk, *found in lookup.values_list("pk", *key):
            found_key = found[0] if len(key) == 1 else tuple(found)
            if found_key in wanted:
                pks[found_key] = pk
        row_pks = [pks[key_of(row)] for row in rows]
        if instances:
            for obj, pk in zip(rows, row_pks, strict=True):
                obj.pk = pk
                obj._state.adding = False
    if history:
        _history_insert(
            conn, model, prepared, names, row_pks, constants, "+", history_user, change_reason, history_date
        )
    return pks


def bulk_update_with_history(
    *,
    model: type[models.Model],
    rows: Sequence[models.Model],
    fields: Sequence[str],
    history_user: Any,
    change_reason: str,
    history_date: datetime,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """``UPDATE … SET <fields> WHERE pk = …`` for each instance, then one "~" history row each.

    As ``bulk_update_with_history`` would: the rows get the instances' current values of ``fields`` (names or
    attnames); the history rows hold every tracked value the instances hold now. The caller sets ``auto_now``
    fields it wants changed (and names them in ``fields``).
    """
    if not rows:
        return
    conn = connections[using]
    meta = model._meta
    set_fields = [meta.get_field(name) for name in fields]
    quote = conn.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in set_fields)
    # Identifiers come from the model and are quoted; every value is a parameter.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    names = [f.attname for f in set_fields] + [meta.pk.attname]
    with conn.cursor() as cursor:
        cursor.executemany(sql, _prepared(conn, meta, rows, names, True))
    all_names = [f.attname for f in meta.concrete_fields]
    prepared = _prepared(conn, meta, rows, all_names, True)
    row_pks = [row[all_names.index(meta.pk.attname)] for row in prepared]
    _history_insert(
        conn, model, prepared, all_names, row_pks, {}, "~", history_user, change_reason, history_date
    )


def _history_insert(
    conn,
    model: type[models.Model],
    prepared: list[Sequence[Any]],
    names: list[str],
    row_pks: list[Any],
    constants: dict[str, Any],
    history_type: str,
    user: Any,
    reason: str,
    date: datetime,
) -> None:
    """One history row per prepared row: each historical field picked from the row, its pk or a constant."""
    historical = model.history.model  # type: ignore[attr-defined]
    pk_name = model._meta.pk.attname
    specials = {
        "history_date": historical._meta.get_field("history_date").get_db_prep_save(date, conn),
        "history_change_reason": reason,
        "history_type": history_type,
        "history_user_id": getattr(user, "pk", user),  # a user, a user's id or None
    }
    index = {name: i for i, name in enumerate(names)}
    tracked = {f.attname for f in historical.tracked_fields}
    columns, picks, fixed = [], [], []
    for field in historical._meta.concrete_fields:
        if field.attname == "history_id":
            continue
        if field.attname in specials:
            fixed.append(specials[field.attname])
            picks.append(("fixed", len(fixed) - 1))
        elif field.attname == pk_name:
            picks.append(("pk", 0))
        elif field.attname in tracked and field.attname in index:
            picks.append(("row", index[field.attname]))
        elif field.attname in tracked and field.attname in constants:
            fixed.append(constants[field.attname])
            picks.append(("fixed", len(fixed) - 1))
        else:  # a history column this module does not know how to fill: refuse rather than write a wrong row
            raise ValueError(
                f"Cannot write history for {historical.__name__}: unexpected field {field.name!r}."
            )
        columns.append(field.column)
    # Each history row is picked from (row values…, pk, fixed values…) by one itemgetter.
    width = len(names)
    positions = [i if kind == "row" else width if kind == "pk" else width + 1 + i for kind, i in picks]
    pick = operator.itemgetter(*positions)
    values = [pick((*row, pk, *fixed)) for row, pk in zip(prepared, row_pks, strict=True)]
    _insert(conn, historical._meta.db_table, columns, values, [])


def _constants(conn, fields: list[models.Field], now: datetime) -> dict[str, Any]:
    """Database values of the fields rows leave out: ``now`` for auto-now fields, else the default."""
    out = {}
    for f in fields:
        if f.primary_key:
            continue
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        out[f.attname] = f.get_db_prep_save(now if auto else f.get_default(), conn)
    return out


def _prepared(conn, meta, rows: Sequence[Row], names: list[str], instances: bool) -> list[Sequence[Any]]:
    """Each row's values of ``names``, in that order, ready for the driver."""
    by_attname = {f.attname: f for f in meta.concrete_fields}
    try:
        fields = [by_attname[name] for name in names]
    except KeyError as exc:
        raise ValueError(f"{meta.object_name} has no field {exc.args[0]!r}.") from None
    get = (operator.attrgetter if instances else operator.itemgetter)(*names)
    preps = [
        (i, prep, _kept_type(f, conn)) for i, f in enumerate(fields) if (prep := _prep(f, conn)) is not None
    ]
    try:
        out = [(get(row),) for row in rows] if len(names) == 1 else [get(row) for row in rows]
    except KeyError as exc:
        number = next(n for n, row in enumerate(rows, 1) if exc.args[0] not in row)
        raise ValueError(f"{meta.object_name} row {number} has no value for {exc.args[0]!r}.") from None
    # A column holding only values its preparation keeps as they are (decimals, often) is left alone: one
    # C-speed pass instead of a Python call per value. Rows stay tuples unless a column needs converting.
    convert = [
        (i, prep)
        for i, prep, kept in preps
        if kept is None or not {type(values[i]) for values in out} <= {kept, type(None)}
    ]
    if convert:
        out = [list(values) for values in out]
        for values in out:
            for i, prep in convert:
                if values[i] is not None:
                    values[i] = prep(values[i])
    return out


def _kept_type(field: models.Field, conn) -> type | None:
    """A value type the field's preparation would return unchanged on this backend (so it is not called)."""
    target = field.target_field if field.is_relation else field
    ops_adapt = type(conn.ops).adapt_decimalfield_value
    if (
        target.get_internal_type() == "DecimalField"
        and ops_adapt is BaseDatabaseOperations.adapt_decimalfield_value
    ):
        return Decimal  # ``to_python`` returns a Decimal as it is, and the backend adapts it as it is
    return None


def _prep(field: models.Field, conn) -> Callable[[Any], Any] | None:
    """How one field's non-null value reaches the database: ``None`` for as it is, else a function."""
    target = field.target_field if field.is_relation else field
    internal = target.get_internal_type()
    if internal in _AS_IS:
        return None
    if internal == "DateTimeField":
        adapt, seen = conn.ops.adapt_datetimefield_value, {}

        def adapt_datetime(value):  # the rows of a batch share timestamps: adapt each distinct one once
            if value not in seen:
                seen[value] = adapt(value)
            return seen[value]

        return adapt_datetime
    if internal == "JSONField":
        return lambda value: conn.ops.adapt_json_value(value, target.encoder)
    if internal == "DateField":
        return conn.ops.adapt_datefield_value
    if internal == "DecimalField":
        adapt_decimal, digits, places = (
            conn.ops.adapt_decimalfield_value,
            target.max_digits,
            target.decimal_places,
        )
        to_python = target.to_python

        def adapt_decimal_value(value):  # a Decimal is what ``to_python`` would return: skip that call
            return adapt_decimal(value if type(value) is Decimal else to_python(value), digits, places)

        return adapt_decimal_value
    return lambda value: target.get_db_prep_save(value, conn)


def _column(meta, attname: str) -> str:
    return next(f.column for f in meta.concrete_fields if f.attname == attname)


def _insert(conn, table: str, columns: list[str], rows: list, constants: list[Any]) -> None:
    """One INSERT statement executed for every row; ``constants`` are appended to each row."""
    quote = conn.ops.quote_name
    marks = ", ".join(["%s"] * len(columns))
    # Identifiers come from the models' metadata, quoted; every value is a parameter. One statement for every
    # row: a long multi-row VALUES measured slower on SQLite and PostgreSQL.
    sql = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES ({marks})"  # noqa: S608
    params = [[*row, *constants] for row in rows] if constants else rows
    with conn.cursor() as cursor:
        cursor.executemany(sql, params)
