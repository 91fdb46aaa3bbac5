"""The Copper sandbox's persisted state: a SQLite file of its own (WAL), loaded once from the demo generator.

Companies are kept as their JSON text next to the indexed columns a search filters or sorts on, so a page is one
query whose stored texts are joined into the answer. Writes follow Copper's rules: only the top-level keys sent
change, ``custom_fields`` entries are merged by definition id, unknown keys and wrongly typed values are
rejected (``SandboxInputError``, answered as a 422), ``email_domain`` stays unique, ``date_modified`` moves.
One connection guarded by a lock: the server's threads take turns (a page query takes milliseconds). How a
search is read and turned into SQL is ``copper.sandbox.search``; the input checks are
``copper.sandbox.validation``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

from copper.sandbox.search import companies_query, paging
from copper.sandbox.validation import SandboxInputError, as_int, custom_value, dumps, local_midnight
from copper.sandbox.world import (
    ACCOUNT_TIMEZONE,
    GENERATOR_VERSION,
    company_definitions,
    demo_account,
    demo_definitions,
    demo_users,
    iter_companies,
    unset_value,
)

STATE_VERSION = f"{GENERATOR_VERSION}.1"
DEFAULT_TIMEZONE = ACCOUNT_TIMEZONE
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


class SandboxStateMismatch(RuntimeError):
    """The state file holds another world (seed / number of companies)."""


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
                           [(u.copper_id, dumps(u.as_copper())) for u in demo_users(seed)])  # fmt: skip
            batch = []
            for company in iter_companies(seed, companies):
                batch.append(_row(company.copper))
                if len(batch) >= 2000:
                    db.executemany("INSERT INTO companies VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
                    batch.clear()
            db.executemany("INSERT INTO companies VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
            meta = {"seed": str(seed), "companies": str(companies), "version": STATE_VERSION,
                    "account": dumps(demo_account(seed)), "definitions": dumps(demo_definitions(seed)),
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
        size, number = paging(query)
        with self._lock:
            total = self._db.execute("SELECT count(*) FROM users").fetchone()[0]
            rows = self._db.execute("SELECT body FROM users ORDER BY id LIMIT ? OFFSET ?",
                                    (size, (number - 1) * size)).fetchall()  # fmt: skip
        return total, "[" + ",".join(r[0] for r in rows) + "]"

    def companies_search(self, query: dict[str, Any]) -> tuple[int, str]:
        """``POST /companies/search``: ``(matches, page as JSON text)``; raises ``SandboxInputError``."""
        where, params, order, size, number = companies_query(query, definitions=self._definition)
        offset = (number - 1) * size
        size = max(0, min(size, self.search_cap - offset))  # past the cap a search returns nothing more
        with self._lock:
            # Paging repeats one query page after page: count its matches once (until the next write).
            key = (where, dumps(params))
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

    # --- writes --------------------------------------------------------------------------------------------

    def company_update(self, company_id: int, changes: dict[str, Any], *,
                       date_modified: int | None = None) -> dict | None:  # fmt: skip
        """Copper's ``PUT /companies/{id}``: the updated company, or ``None`` when there is no such company."""
        with self._lock:
            company = self.company(company_id)
            if company is None:
                return None
            before = json.loads(dumps(company))
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
                    else as_int(value, key.replace("_id", "").replace("_", " ").capitalize())
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
            def_id = as_int(entry["custom_field_definition_id"], "Custom field definition")
            definition = self._definition.get(def_id)
            if definition is None:
                raise SandboxInputError(
                    f"Custom fields: custom_field_definition_id {def_id} is not available on companies"
                )
            value = custom_value(definition, entry.get("value"))
            if definition["data_type"] == "Date" and value is not None:
                value = local_midnight(value, self.timezone)
            # Only the entries sent change; every other entry keeps its value (partial merge, as Copper does).
            merged[def_id] = value
        order = [d["id"] for d in self.company_definitions]
        return [{"custom_field_definition_id": i, "value": merged[i]} for i in order if i in merged] + [
            {"custom_field_definition_id": i, "value": v}
            for i, v in merged.items()
            if i not in self._definition
        ]


def _row(company: dict) -> tuple:
    return (company["id"], company["name"], company.get("date_created"), company.get("date_modified"),
            company.get("assignee_id"), company.get("contact_type_id"), company.get("email_domain"),
            dumps(company))  # fmt: skip
