"""The Fishbowl import as a recorded sync run (kind ``fishbowl_import``): the runner, and the uploads it reads.

``fishbowl_import_run`` is the runner (``syncs.services.runs.RUNNERS``). Its options: ``customers_path`` /
``orders_path`` (files on this machine, e.g. an admin upload under ``var/imports/``) and ``customers_name`` /
``orders_name`` (the names to quote in messages), or ``from_api``; plus ``dry_run``, ``skip_invalid`` and
``number_format``. It records on the run: counts per entity (``counts``), every problem and notice as a log
entry, the summary as the message. An import refused for its problems (nothing written, not a dry run) ends
the run as failed, with the first problems in the message. Fishbowl's password never reaches the run: the
client redacts it from every error.

``fishbowl_upload_store`` saves uploaded files under ``var/imports/<random id>/`` for a preview and the run.
"""

from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from customers.fishbowl_csv import ImportFileError
from customers.services.imports import ImportResult, fishbowl_import
from syncs.models import SyncRun
from syncs.progress import Progress

UPLOAD_DIR_NAME = "imports"
UPLOAD_KEEP_SECONDS = 7 * 86400
_RESULTS: dict[int, ImportResult] = {}  # run id → result, for a command that executed the run in-process


class ImportRefused(Exception):
    """The input had problems and nothing was written; ``user_message`` is what the run records."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


def fishbowl_import_options(
    *,
    customers_path: str | Path | None = None,
    orders_path: str | Path | None = None,
    customers_name: str = "",
    orders_name: str = "",
    from_api: bool = False,
    dry_run: bool = False,
    skip_invalid: bool = False,
    number_format: str = "auto",
) -> dict[str, Any]:
    """The run options of an import (JSON), checked: files given or the API, not both."""
    if from_api and (customers_path or orders_path):
        raise ValueError("Give either the Fishbowl API or the CSV files, not both.")
    if not from_api and not (customers_path or orders_path):
        raise ValueError("Nothing to import: give a customer list and/or a sales-order line report.")
    return {
        "customers_path": str(Path(customers_path).resolve()) if customers_path else "",
        "orders_path": str(Path(orders_path).resolve()) if orders_path else "",
        "customers_name": customers_name,
        "orders_name": orders_name,
        "from_api": from_api,
        "dry_run": dry_run,
        "skip_invalid": skip_invalid,
        "number_format": number_format,
    }


def fishbowl_import_from_options(
    *, options: dict[str, Any], user=None, progress: Progress | None = None, dry_run: bool | None = None
) -> ImportResult:
    """Call ``fishbowl_import`` with run options (``dry_run`` overrides the option: the admin preview)."""
    names = {"customers": options.get("customers_name") or None, "orders": options.get("orders_name") or None}
    return fishbowl_import(
        customers_path=options.get("customers_path") or None,
        orders_path=options.get("orders_path") or None,
        from_api=bool(options.get("from_api")),
        dry_run=options.get("dry_run", False) if dry_run is None else dry_run,
        skip_invalid=bool(options.get("skip_invalid")),
        number_format=options.get("number_format") or "auto",
        user=user,
        progress=progress,
        names={k: v for k, v in names.items() if v},
    )


def fishbowl_import_run(*, run: SyncRun, progress: Progress) -> None:
    """Runner of the FISHBOWL_IMPORT sync run (see the module docstring)."""
    try:
        result = fishbowl_import_from_options(options=run.options, user=run.started_by, progress=progress)
    except ImportFileError as exc:
        raise ImportRefused(f"Nothing imported: {exc}") from None
    _RESULTS[run.pk] = result
    for old in sorted(_RESULTS)[:-4]:  # a worker runs many imports: keep only the last few
        _RESULTS.pop(old, None)
    for notice in result.notices:
        progress.log(level="info", code="notice", message=notice)
    counts: dict[str, int] = {}
    for entity in ("customers", "orders", "lines"):
        for name, value in vars(getattr(result, entity)).items():
            counts[f"{entity}_{name}"] = value
    counts["orders_without_customer"] = result.orders_without_customer
    counts["duplicate_rows"] = result.duplicate_rows
    counts["negative_amounts"] = result.amounts.negative
    counts["amount_mismatches"] = result.amounts.mismatched
    progress.add(**counts)
    progress.add(unchanged=result.lines.unchanged + result.orders.unchanged + result.customers.unchanged)
    summary = "; ".join(result.summary())
    if result.error_count and not result.written and not result.dry_run:
        shown = "; ".join(str(p) for p in result.errors[:3])
        more = f" (and {result.error_count - 3} more, in the log)" if result.error_count > 3 else ""
        raise ImportRefused(
            f"{result.error_count} problem(s) in the input; nothing was imported: {shown}{more}"
        )
    heading = "Dry run, nothing written. Would have: " if result.dry_run else "Imported: "
    progress.set_message(heading + summary)
    progress.flush()


def fishbowl_import_result(*, run_id: int) -> ImportResult | None:
    """The full result of a run executed in this process (the command prints it), once."""
    return _RESULTS.pop(run_id, None)


def upload_root() -> Path:
    return Path(settings.VAR_DIR) / UPLOAD_DIR_NAME


def fishbowl_upload_store(*, files: dict[str, Any]) -> tuple[str, dict[str, Path]]:
    """Save uploaded files (``{"customers": UploadedFile, "orders": …}``) under a new random directory of
    ``var/imports/``, streaming their chunks; returns the directory's id and the stored paths. Uploads older
    than a week are removed on the way (a preview nobody confirmed)."""
    root = upload_root()
    root.mkdir(parents=True, exist_ok=True)
    _uploads_prune(root)
    token = secrets.token_hex(12)
    directory = root / token
    directory.mkdir()
    stored = {}
    for kind, upload in files.items():
        if upload is None:
            continue
        path = directory / f"{kind}.csv"
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        stored[kind] = path
    return token, stored


def fishbowl_upload_paths(*, token: str) -> dict[str, Path]:
    """The stored files of an upload id (``{}`` when unknown; the id is checked, never used as a path as is)."""
    if not (len(token) == 24 and all(c in "0123456789abcdef" for c in token)):
        return {}
    directory = upload_root() / token
    return {
        kind: directory / f"{kind}.csv"
        for kind in ("customers", "orders")
        if (directory / f"{kind}.csv").exists()
    }


def _uploads_prune(root: Path) -> None:
    cutoff = time.time() - UPLOAD_KEEP_SECONDS
    for directory in root.iterdir():
        try:
            if directory.is_dir() and directory.stat().st_mtime < cutoff:
                shutil.rmtree(directory, ignore_errors=True)
        except OSError:
            continue
