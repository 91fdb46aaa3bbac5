"""The Copper sandbox's persisted state: a SQLite file of its own (WAL), loaded once from the demo generator.

Companies are kept as their JSON text next to the indexed columns a search filters or sorts on, so a page is one
query whose stored texts are joined into the answer. Writes follow Copper's rules: only the top-level keys sent
change, ``custom_fields`` entries are merged by definition id, unknown keys and wrongly typed values are
rejected (``SandboxInputError``, answered as a 422), ``email_domain`` stays unique, ``date_modified`` moves.
One connection guarded by a lock: the server's threads take turns (a page query takes milliseconds).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

from copper.sandbox.world import (
    GENERATOR_VERSION,
    company_definitions,
    demo_account,
    demo_definitions,
    demo_users,
    iter_companies,
    unset_value,
)

STATE_VERSION = f"{GENERATOR_VERSION}.1"
# The recorded real account keeps dates at midnight US Pacific (2025-08-01 is 1754031600).
DEFAULT_TIMEZONE = "America/Los_Angeles"
MAX_PAGE_SIZE = 200
# Copper answers at most the first 100,000 records of one search, whatever the paging.
SEARCH_CAP = 100_000
WRITABLE = {"name", "address", "assignee_id", "contact_type_id", "details", "email_domain", "phone_numbers",
            "socials", "tags", "websites", "custom_fields", "primary_contact_id"}  # fmt: skip
READ_ONLY = {
    "id",
    "interaction_count",
    "date_created",
    "date_modified",
}  # accepted and ignored, as Copper does
SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "name", "assignee_ids",
               "contact_type_ids", "tags", "city", "state", "postal_code", "country", "minimum_created_date",
               "maximum_created_date", "minimum_modified_date", "maximum_modified_date", "custom_fields",
               "minimum_interaction_count", "maximum_interaction_count"}  # fmt: skip
SORTS = {
    "date_modified": "date_modified",
    "date_created": "date_created",
    "name": "name COLLATE NOCASE",
    "id": "id",
}
_FIELD_VALUE = ("(SELECT json_extract(f.value, '$.value') FROM json_each(companies.body, '$.custom_fields') AS f "
                "WHERE json_extract(f.value, '$.custom_field_definition_id') = ?)")  # fmt: skip
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS companies (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, date_created INTEGER, date_modified INTEGER,
    assignee_id INTEGER, contact_type_id INTEGER, email_domain TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS companies_modified ON companies (date_modified, id);
CREATE INDEX IF NOT EXISTS companies_created ON companies (date_created, id);
CREATE INDEX IF NOT EXISTS companies_name ON companies (name COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS companies_domain ON companies (email_domain);
"""


class SandboxInputError(ValueError):
    """Input Copper would refuse; the text follows "Invalid input: Validation errors: "."""


class SandboxStateMismatch(RuntimeError):
    """The state file holds another world (seed / number of companies)."""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _int(value: Any, label: str) -> int:
    """An integer, also from a numeric string (Copper accepts those where numbers are expected)."""
    if isinstance(value, bool) or value is None:
        raise SandboxInputError(f"{label}: is not a number")
    try:
        number = float(value) if isinstance(value, str) else value
        if not isinstance(number, int | float) or number != int(number):
            raise ValueError
        return int(number)
    except (TypeError, ValueError):
        raise SandboxInputError(f"{label}: is not a number") from None


def _int_list(value: Any, label: str) -> list[int]:
    return [_int(v, label) for v in (value if isinstance(value, list) else [value])]


class SandboxStore:
    """The sandbox's world on disk. Create with ``SandboxStore.open``."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._lock = threading.RLock()
        self._totals: dict[tuple[str, str], int] = {}
        self.search_cap = SEARCH_CAP  # rows one search can reach (page_number * page_size beyond it: nothing)
        meta = dict(db.execute("SELECT key, value FROM meta"))
        self.seed, self.companies = int(meta["seed"]), int(meta["companies"])
        self._account = meta["account"]
        self.definitions: list[dict] = json.loads(meta["definitions"])
        self._definitions_json = meta["definitions"]
        self.company_definitions = company_definitions(self.definitions)
        self._definition = {d["id"]: d for d in self.company_definitions}
        # The account's timezone: a Date custom field is kept at 00:00 of its day there, as Copper does.
        self.timezone = zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)
        # Called after every company write as ``listener(event, id, updated_attributes)`` (webhooks).
        self.listeners: list[Callable[[str, int, dict | None], None]] = []

    @classmethod
    def open(cls, path: Path | str, *, seed: int, companies: int, reset: bool = False) -> SandboxStore:
        """Open the state at ``path``, building it from the generator on first use (or with ``reset``).

        Raises ``SandboxStateMismatch`` when the file holds another seed or size; a file written by an older
        generator is rebuilt (its world would no longer match the demo CSVs)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if reset:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.executescript(_SCHEMA)
        meta = dict(db.execute("SELECT key, value FROM meta"))
        if meta.get("ready") == "1" and (int(meta["seed"]), int(meta["companies"])) != (seed, companies):
            db.close()
            raise SandboxStateMismatch(
                f"{path} holds the world of seed {meta['seed']} with {meta['companies']} companies, not seed "
                f"{seed} with {companies}: pass --reset to rebuild it, or another --state file."
            )
        if meta.get("ready") != "1" or meta.get("version") != STATE_VERSION:
            # Loading is one transaction into a file nobody else reads yet: a rollback journal writes the rows
            # once, where WAL would write them twice (log, then checkpoint).
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("PRAGMA synchronous=OFF")
            cls._build(db, seed=seed, companies=companies)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return cls(db, path)

    @staticmethod
    def _build(db: sqlite3.Connection, *, seed: int, companies: int) -> None:
        db.execute("BEGIN")
        try:
            for table in ("meta", "users", "companies"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            db.executemany("INSERT INTO users (id, body) VALUES (?, ?)",
                           [(u.copper_id, _dumps(u.as_copper())) for u in demo_users(seed)])  # fmt: skip
            batch = []
            for company in iter_companies(seed, companies):
                batch.append(_row(company.copper))
                if len(batch) >= 2000:
                    db.executemany("INSERT INTO companies VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
                    batch.clear()
            db.executemany("INSERT INTO companies VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
            meta = {"seed": str(seed), "companies": str(companies), "version": STATE_VERSION,
                    "account": _dumps(demo_account(seed)), "definitions": _dumps(demo_definitions(seed)),
                    "ready": "1"}  # fmt: skip
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- reads ---------------------------------------------------------------------------------------------

    def account_json(self) -> str:
        return self._account

    def definitions_json(self) -> str:
        return self._definitions_json

    def company_json(self, company_id: int) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM companies WHERE id = ?", (company_id,)).fetchone()
        return row[0] if row else None

    def company(self, company_id: int) -> dict | None:
        text = self.company_json(company_id)
        return json.loads(text) if text is not None else None

    def company_ids(self) -> list[int]:
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT id FROM companies ORDER BY id")]

    def users_search(self, query: dict[str, Any]) -> tuple[int, str]:
        unknown = sorted(set(query) - {"page_number", "page_size", "sort_by", "sort_direction"})
        if unknown:
            raise SandboxInputError(f"Base: Unrecognized attributes specified: {', '.join(unknown)}")
        size, number = self._paging(query)
        with self._lock:
            total = self._db.execute("SELECT count(*) FROM users").fetchone()[0]
            rows = self._db.execute("SELECT body FROM users ORDER BY id LIMIT ? OFFSET ?",
                                    (size, (number - 1) * size)).fetchall()  # fmt: skip
        return total, "[" + ",".join(r[0] for r in rows) + "]"

    def companies_search(self, query: dict[str, Any]) -> tuple[int, str]:
        """``POST /companies/search``: ``(matches, page as JSON text)``; raises ``SandboxInputError``."""
        unknown = sorted(set(query) - SEARCH_KEYS)
        if unknown:
            raise SandboxInputError(f"Base: Unrecognized attributes specified: {', '.join(unknown)}")
        size, number = self._paging(query)
        sort_by = query.get("sort_by") or "date_modified"
        if sort_by not in SORTS:
            raise SandboxInputError(f"Sort by: is not included in the list ({', '.join(SORTS)})")
        direction = str(query.get("sort_direction") or "asc").lower()
        if direction not in ("asc", "desc"):
            raise SandboxInputError("Sort direction: is not included in the list (asc, desc)")
        where, params = self._where(query)
        order = f"{SORTS[sort_by]} {direction}, id {direction}"
        offset = (number - 1) * size
        size = max(0, min(size, self.search_cap - offset))  # past the cap a search returns nothing more
        with self._lock:
            # Paging repeats one query page after page: count its matches once (until the next write).
            key = (where, _dumps(params))
            total = self._totals.get(key)
            if total is None:
                sql = f"SELECT count(*) FROM companies WHERE {where}"  # noqa: S608 - clauses are fixed SQL
                total = self._db.execute(sql, params).fetchone()[0]
                self._totals = {key: total}
            rows = self._db.execute(
                f"SELECT body FROM companies WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",  # noqa: S608
                [*params, size, offset],
            ).fetchall()
        return total, "[" + ",".join(r[0] for r in rows) + "]"

    @staticmethod
    def _paging(query: dict[str, Any]) -> tuple[int, int]:
        size = _int(query.get("page_size", 20), "Page size")
        number = _int(query.get("page_number", 1), "Page number")
        if size > MAX_PAGE_SIZE:
            raise SandboxInputError(f"Page size: must be less than or equal to {MAX_PAGE_SIZE}")
        if size < 1 or number < 1:
            raise SandboxInputError("Page size and page number: must be greater than 0")
        return size, number

    def _where(self, query: dict[str, Any]) -> tuple[str, list[Any]]:  # noqa: C901 - one branch per filter
        clauses, params = ["1 = 1"], []
        if query.get("ids") is not None:
            clauses.append("id IN (SELECT value FROM json_each(?))")
            params.append(_dumps(_int_list(query["ids"], "Ids")))
        if query.get("name"):
            clauses.append("name LIKE ?")
            params.append(f"%{query['name']}%")
        for key, column in (("assignee_ids", "assignee_id"), ("contact_type_ids", "contact_type_id")):
            if query.get(key) is not None:
                wanted = _int_list(query[key], key.replace("_", " ").capitalize())
                none = " OR " + column + " IS NULL" if -2 in wanted else ""
                clauses.append(f"({column} IN (SELECT value FROM json_each(?)){none})")  # noqa: S608 - fixed names
                params.append(_dumps(wanted))
        if query.get("tags"):
            clauses.append("EXISTS (SELECT 1 FROM json_each(companies.body, '$.tags') t "
                           "WHERE t.value IN (SELECT value FROM json_each(?)))")  # fmt: skip
            params.append(_dumps(query["tags"] if isinstance(query["tags"], list) else [query["tags"]]))
        for key in ("city", "state", "postal_code", "country"):
            if query.get(key):
                clauses.append(f"lower(json_extract(companies.body, '$.address.{key}')) = lower(?)")
                params.append(str(query[key]))
        for key, column, op in (("minimum_created_date", "date_created", ">="),
                                ("maximum_created_date", "date_created", "<="),
                                ("minimum_modified_date", "date_modified", ">="),
                                ("maximum_modified_date", "date_modified", "<="),
                                ("minimum_interaction_count", "json_extract(body, '$.interaction_count')", ">="),
                                ("maximum_interaction_count", "json_extract(body, '$.interaction_count')", "<=")):  # fmt: skip
            if query.get(key) is not None:
                clauses.append(f"{column} {op} ?")
                params.append(_int(query[key], key.replace("_", " ").capitalize()))
        filters = query.get("custom_fields") or []
        if not isinstance(filters, list):
            raise SandboxInputError("Custom fields: must be a list of {custom_field_definition_id, value}")
        for entry in filters:
            clause, values = self._custom_field_filter(entry)
            clauses.append(clause)
            params.extend(values)
        return " AND ".join(clauses), params

    def _custom_field_filter(self, entry: Any) -> tuple[str, list[Any]]:
        if not isinstance(entry, dict) or "custom_field_definition_id" not in entry:
            raise SandboxInputError("Custom fields: each filter needs a custom_field_definition_id")
        def_id = _int(entry["custom_field_definition_id"], "Custom field definition")
        definition = self._definition.get(def_id)
        if definition is None:
            raise SandboxInputError(f"Custom fields: unknown custom_field_definition_id {def_id}")
        data_type, value = definition["data_type"], entry.get("value")
        if data_type == "Checkbox":
            return (
                (f"{_FIELD_VALUE} = 1", [def_id]) if value else (f"coalesce({_FIELD_VALUE}, 0) = 0", [def_id])
            )
        if data_type == "Dropdown":
            return f"{_FIELD_VALUE} IN (SELECT value FROM json_each(?))", [  # noqa: S608 - fixed SQL
                def_id,
                _dumps(_int_list(value, "Value")),
            ]
        if data_type == "MultiSelect":
            return ("EXISTS (SELECT 1 FROM json_each(companies.body, '$.custom_fields') AS f, "
                    "json_each(f.value, '$.value') AS v WHERE json_extract(f.value, '$.custom_field_definition_id') "
                    "= ? AND v.value IN (SELECT value FROM json_each(?)))",
                    [def_id, _dumps(_int_list(value, "Value"))])  # fmt: skip
        if data_type in ("Float", "Currency", "Percentage", "Date"):
            clauses, params = [], []
            for key, op in (("minimum_value", ">="), ("maximum_value", "<="), ("value", "=")):
                if entry.get(key) is not None:
                    clauses.append(f"{_FIELD_VALUE} {op} ?")
                    params += [def_id, _number(entry[key])]
            return (" AND ".join(clauses) or "1 = 1"), params
        if data_type == "Connect":
            raise SandboxInputError(f"Custom fields: {definition['name']} cannot be filtered")
        return f"{_FIELD_VALUE} = ?", [def_id, str(value)]

    # --- writes --------------------------------------------------------------------------------------------

    def company_update(self, company_id: int, changes: dict[str, Any], *,
                       date_modified: int | None = None) -> dict | None:  # fmt: skip
        """Copper's ``PUT /companies/{id}``: the updated company, or ``None`` when there is no such company."""
        with self._lock:
            company = self.company(company_id)
            if company is None:
                return None
            before = json.loads(_dumps(company))
            self._apply(company, changes)
            company["date_modified"] = int(date_modified) if date_modified is not None else int(time.time())
            self._save(company)
        updated = {k: [before.get(k), v] for k, v in company.items() if k != "date_modified" and before.get(k) != v}
        self._emit("update", company_id, updated)
        return company

    def company_create(self, body: dict[str, Any]) -> dict:
        """Copper's ``POST /companies`` (``name`` required)."""
        with self._lock:
            now = int(time.time())
            new_id = (self._db.execute("SELECT max(id) FROM companies").fetchone()[0] or 10_000_000) + 1
            company = {"id": new_id, "name": "", "address": None, "assignee_id": None, "contact_type_id": None,
                       "details": None, "email_domain": None, "phone_numbers": [], "primary_contact_id": None,
                       "socials": [], "tags": [], "websites": [],
                       "custom_fields": [{"custom_field_definition_id": d["id"], "value": unset_value(d["data_type"])}
                                         for d in self.company_definitions],
                       "interaction_count": 0, "date_created": now, "date_modified": now}  # fmt: skip
            self._apply(company, {"name": None, **body})
            self._save(company)
        self._emit("new", company["id"])
        return company

    def company_delete(self, company_id: int) -> bool:
        with self._lock:
            self._totals = {}
            deleted = self._db.execute("DELETE FROM companies WHERE id = ?", (company_id,)).rowcount > 0
        if deleted:
            self._emit("delete", company_id)
        return deleted

    def _emit(self, event: str, company_id: int, updated: dict | None = None) -> None:
        for listener in self.listeners:
            listener(event, company_id, updated)

    def _save(self, company: dict) -> None:
        domain = company.get("email_domain")
        if domain and self._db.execute("SELECT 1 FROM companies WHERE email_domain = ? AND id != ?",
                                       (domain, company["id"])).fetchone():  # fmt: skip
            raise SandboxInputError("Email domain: has already been taken")
        self._db.execute("INSERT OR REPLACE INTO companies VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _row(company))
        self._totals = {}

    def _apply(self, company: dict, changes: dict[str, Any]) -> None:  # noqa: C901 - one check per attribute
        unknown = [key for key in changes if key not in WRITABLE | READ_ONLY]
        if unknown:
            raise SandboxInputError(f"Base: Unrecognized attributes specified: {', '.join(unknown)}")
        for key, value in changes.items():
            if key in READ_ONLY:
                continue
            if key == "name":
                if not isinstance(value, str) or not value.strip():
                    raise SandboxInputError("Name: can't be blank")
            elif key in ("assignee_id", "contact_type_id", "primary_contact_id"):
                value = (
                    None
                    if value is None
                    else _int(value, key.replace("_id", "").replace("_", " ").capitalize())
                )
            elif key in ("details", "email_domain"):
                if value is not None and not isinstance(value, str):
                    raise SandboxInputError(f"{key.replace('_', ' ').capitalize()}: must be a string")
            elif key == "address":
                if value is not None and not (isinstance(value, dict) and all(
                        isinstance(v, str | None) for v in value.values())):  # fmt: skip
                    raise SandboxInputError("Address: is invalid")
            elif key == "tags":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise SandboxInputError("Tags: must be a list of strings")
            elif key in ("phone_numbers", "socials", "websites"):
                if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                    raise SandboxInputError(f"{key.replace('_', ' ').capitalize()}: is invalid")
            elif key == "custom_fields":
                value = self._merge_custom_fields(company.get("custom_fields") or [], value)
            company[key] = value

    def _merge_custom_fields(self, current: list[dict], entries: Any) -> list[dict]:
        if not isinstance(entries, list):
            raise SandboxInputError("Custom fields: must be a list")
        merged = {entry["custom_field_definition_id"]: entry["value"] for entry in current}
        for entry in entries:
            if not isinstance(entry, dict) or "custom_field_definition_id" not in entry:
                raise SandboxInputError(
                    "Custom fields: each entry needs a custom_field_definition_id and a value"
                )
            def_id = _int(entry["custom_field_definition_id"], "Custom field definition")
            definition = self._definition.get(def_id)
            if definition is None:
                raise SandboxInputError(
                    f"Custom fields: custom_field_definition_id {def_id} is not available on companies"
                )
            value = _custom_value(definition, entry.get("value"))
            if definition["data_type"] == "Date" and value is not None:
                value = _local_midnight(value, self.timezone)
            # Only the entries sent change; every other entry keeps its value (partial merge, as Copper does).
            merged[def_id] = value
        order = [d["id"] for d in self.company_definitions]
        return [{"custom_field_definition_id": i, "value": merged[i]} for i in order if i in merged] + [
            {"custom_field_definition_id": i, "value": v}
            for i, v in merged.items()
            if i not in self._definition
        ]


def _local_midnight(seconds: int, tz: dt.tzinfo) -> int:
    """A Date as Copper keeps it: 00:00 of the day ``seconds`` falls on in the account's timezone ``tz``.

    Writing UTC midnight of a day therefore lands on the previous day for a US account, as in Copper.
    """
    day = dt.datetime.fromtimestamp(seconds, tz=tz).date()
    return int(dt.datetime.combine(day, dt.time.min, tzinfo=tz).timestamp())


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SandboxInputError("Value: is not a number")
    try:
        return float(value)
    except ValueError:
        raise SandboxInputError("Value: is not a number") from None


def _custom_value(definition: dict, value: Any) -> Any:  # noqa: C901 - one rule per data type
    """Check ``value`` against the definition's data type, as Copper stores it; ``None`` clears the field."""
    data_type, name = definition["data_type"], definition["name"]
    if value is None:
        return unset_value(data_type)
    options = {o["id"] for o in definition.get("options", [])}

    def wrong(expected: str) -> SandboxInputError:
        return SandboxInputError(f"Custom fields: {name} ({data_type}) must be {expected}, not {value!r}")

    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if data_type in ("String", "Text", "URL"):
        if not isinstance(value, str):
            raise wrong("a string")
        if data_type == "String" and len(value) > 255:
            raise SandboxInputError(f"Custom fields: {name} is too long (maximum is 255 characters)")
        return value
    if data_type == "Dropdown":
        if not (isinstance(value, int) and not isinstance(value, bool)) or value not in options:
            raise wrong(f"one of the option ids {sorted(options)}")
        return value
    if data_type == "MultiSelect":
        if not isinstance(value, list) or not all(isinstance(v, int) and v in options for v in value):
            raise wrong(f"a list of option ids from {sorted(options)}")
        return value
    if data_type == "Checkbox":
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if data_type == "Date":
        if not is_number or value != int(value):
            raise wrong("a date as unix seconds")
        return int(value)
    if data_type in ("Float", "Currency"):
        if not is_number:
            raise wrong("a number")
        return float(value)
    if data_type == "Percentage":
        if not is_number:
            raise wrong("a number")
        return value
    if data_type == "Connect":
        if not isinstance(value, list):
            raise wrong("a list")
        return value
    return value


def _row(company: dict) -> tuple:
    return (company["id"], company["name"], company.get("date_created"), company.get("date_modified"),
            company.get("assignee_id"), company.get("contact_type_id"), company.get("email_domain"),
            _dumps(company))  # fmt: skip
