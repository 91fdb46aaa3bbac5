"""Metric change sets: dry run (build) → approval by a second person → apply → rollback.

Nothing is written to Copper before a person other than the builder approved the exact previewed changes.
Every write re-reads Copper first and only replaces a value that still holds what the preview showed; every
state change lands in the ChangeSet history with its user and a reason. This module builds, approves and
rejects; ``metrics.services.apply`` applies (re-exported here, with the errors of ``base``), and
``metrics.services.rollback`` builds a rollback set, approved and applied like any other.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from copper.client import copper_client_from_settings
from customers.selectors import copper_companies_active_with_number
from metrics import values as mv
from metrics.models import Change, ChangeSet, FieldMapping
from metrics.selectors import metrics_for_customers
from metrics.services.apply import change_set_apply
from metrics.services.base import (  # noqa: F401 - re-exported: callers import errors from here
    CHANGE_COMPANY_GONE,
    CHANGE_CONFLICT,
    CHANGE_NOT_KEPT,
    CHANGE_SET_DEFINITIONS_CHANGED,
    CHANGE_SET_INVALID_MAPPING,
    CHANGE_SET_NO_PERMISSION,
    CHANGE_SET_NOT_APPLIED,
    CHANGE_SET_NOT_APPROVED,
    CHANGE_SET_NOT_AWAITING,
    CHANGE_SET_REASON_REQUIRED,
    CHANGE_SET_ROLLBACK_OF_ROLLBACK,
    CHANGE_SET_ROLLBACK_RUNNING,
    CHANGE_SET_SELF_APPROVAL,
    CHANGE_SET_TOO_OLD,
    CHANGE_STALE,
    ChangeSetError,
    ChangeSetInvalidMapping,
    ChangeSetPermissionDenied,
    ChangeSetStateConflict,
    _batches,
    _fingerprint_now,
    _locked,
    _read_companies,
    _require,
    _save,
    _values_by_definition,
    _who,
)
from metrics.services.field_mapping import (
    definitions_current,
    definitions_fingerprint,
    field_mapping_resolve,
    field_mapping_validate,
)
from metrics.services.rollback import change_set_rollback_build  # noqa: F401 - re-exported
from syncs.models import SyncRun
from syncs.progress import Progress

Status = ChangeSet.Status
Outcome = Change.Outcome


# --- build -----------------------------------------------------------------------------------------------
def change_set_build(
    *,
    client: Any,
    user: AbstractBaseUser | None = None,
    run: SyncRun | None = None,
    progress: Progress | None = None,
    as_of=None,
) -> ChangeSet:
    """Dry run: compute metrics, read the current values from Copper, store the changes that would be written.

    Refuses (``ChangeSetInvalidMapping``) when the mapping has problems. Reads Copper in pages of
    METRICS_BATCH_SIZE ids; stores one ``Change`` per company × field whose value actually changes under the
    field's policy, flagged when suspicious. Writes nothing to Copper; the set and its changes are stored in
    one transaction at the end, so a failed read leaves nothing half-built.
    """
    progress = progress or Progress.null()
    problems = field_mapping_validate()
    if problems:
        raise ChangeSetInvalidMapping(problems)
    definitions = definitions_current()
    resolved = field_mapping_resolve(definitions=definitions)
    writable = [m for m in resolved if m.policy != FieldMapping.Policy.NEVER]
    started = time.perf_counter()
    stats: dict[str, float] = {}
    counts: dict[str, int] = defaultdict(int)

    progress.step("Computing sales metrics")
    metrics = metrics_for_customers(as_of=as_of)
    by_company = {m.copper_company_id: m for m in metrics.values()}
    names = dict(
        copper_companies_active_with_number()
        .filter(fishbowl_customer__isnull=False)
        .values_list("pk", "name")
    )
    company_ids = sorted(pk for pk in by_company if pk in names)
    counts["companies"] = len(company_ids)
    factor = settings.METRICS_SUSPICIOUS_FACTOR

    progress.step("Reading current values from Copper", total=len(company_ids))
    rules = {m.metric: f"{FieldMapping.Metric(m.metric).label} ({m.policy})" for m in writable}
    changes: list[dict[str, Any]] = []
    for chunk in _batches(company_ids, settings.METRICS_BATCH_SIZE):
        progress.check_cancelled()
        records = _read_companies(client, chunk, stats)
        for company_id in chunk:
            record = records.get(company_id)
            if record is None:
                counts["missing_in_copper"] += 1
                progress.log(
                    level="warning",
                    code="company_missing",
                    record=f"{names[company_id]} ({company_id})",
                    message=CHANGE_COMPANY_GONE,
                )
                continue
            current = _values_by_definition(record)
            company_metrics = by_company[company_id]
            for mapping in writable:
                definition = mapping.definition
                old = current.get(definition.id)
                counts["examined"] += 1
                try:
                    new = mv.encode(
                        metric=mapping.metric,
                        value=company_metrics.value(mapping.metric),
                        definition=definition,
                    )
                except mv.EncodeError as exc:
                    counts["errors"] += 1
                    progress.log(
                        level="error",
                        code="cannot_encode",
                        record=f"{names[company_id]} ({company_id}) {definition.name}",
                        message=str(exc),
                    )
                    continue
                if mapping.policy == FieldMapping.Policy.ONLY_IF_EMPTY and not mv.is_empty(old):
                    counts["kept_not_empty"] += 1
                    continue
                if mv.same(data_type=definition.data_type, a=old, b=new):
                    counts["unchanged"] += 1
                    continue
                flags = mv.flags_for(
                    metric=mapping.metric, data_type=definition.data_type, old=old, new=new, factor=factor
                )
                changes.append(
                    {
                        "company_id": company_id,
                        "company_name": names[company_id][:255],
                        "metric": mapping.metric,
                        "field_name": definition.name,
                        "definition_id": definition.id,
                        "data_type": definition.data_type,
                        "old_value": old,
                        "new_value": new,
                        "old_display": mv.display(value=old, definition=definition)[:512],
                        "new_display": mv.display(value=new, definition=definition)[:512],
                        "rule": rules[mapping.metric],
                        "flags": flags,
                        "flagged": bool(flags),
                    }
                )
        progress.add(processed=len(chunk))

    counts["changes"] = len(changes)
    counts["flagged"] = sum(1 for c in changes if c["flagged"])
    counts["companies_changed"] = len({c["company_id"] for c in changes})
    counts["copper_reads"] = int(stats.get("reads", 0))
    with transaction.atomic():
        change_set = ChangeSet(
            status=Status.BUILT,
            built_by=user if user is not None and user.is_authenticated else None,
            definitions_fingerprint=definitions_fingerprint(m.definition for m in resolved),
            mapping_snapshot=[m.snapshot() for m in resolved],
            counts=dict(counts),
            source_run=run,
        )
        reason = f"built by metrics dry run #{run.pk}" if run else f"built by {_who(user)}"
        _save(change_set, user=user, reason=reason)
        _changes_insert(change_set=change_set, rows=changes)
    elapsed = time.perf_counter() - started
    change_set.counts["copper_seconds"] = round(stats.get("copper_seconds", 0.0), 3)
    change_set.counts["local_seconds"] = round(elapsed - stats.get("copper_seconds", 0.0), 3)
    ChangeSet.objects.filter(pk=change_set.pk).update(counts=change_set.counts)  # counts are not in history
    progress.add(created=len(changes), unchanged=counts["unchanged"], errors=counts["errors"])
    progress.set_message(
        f"Built change set #{change_set.pk}: {len(changes)} changes on {counts['companies_changed']} "
        f"companies ({counts['flagged']} flagged); it awaits approval by a second person."
    )
    progress.flush()
    return change_set


def _changes_insert(*, change_set: ChangeSet, rows: list[dict[str, Any]]) -> None:
    """Insert change rows with one ``executemany`` per 1,000 rows.

    ``bulk_create`` spends most of a 15,000-change build building per-value SQL (and model instances); a plain
    parameterised INSERT through Django's cursor does the same write in a fraction of the time. Defaults come
    from the model; JSON values are prepared by their field, so both SQLite and PostgreSQL get what they expect.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    adapt_json = conn.ops.adapt_json_value
    fields = [f for f in Change._meta.concrete_fields if not f.primary_key]
    defaults = {"change_set_id": change_set.pk, "outcome": Outcome.PENDING, "message": "", "outcome_at": None}
    defaults |= {f.attname: f.get_default() for f in fields if f.attname not in defaults and f.has_default()}
    # (name, is JSON): None in a JSON column is SQL NULL, as JSONField.get_db_prep_save does it.
    plan = [(f.attname, f.get_internal_type() == "JSONField") for f in fields]
    table = conn.ops.quote_name(Change._meta.db_table)
    columns = ", ".join(conn.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    with conn.cursor() as cursor:
        for batch in _batches(rows, 1000):
            params = []
            for row in batch:
                values = []
                for name, is_json in plan:
                    value = row[name] if name in row else defaults[name]
                    values.append(adapt_json(value, None) if is_json and value is not None else value)
                params.append(values)
            cursor.executemany(sql, params)


# --- approval ------------------------------------------------------------------------------------------------
def change_set_approve(*, change_set: ChangeSet, user: AbstractBaseUser) -> ChangeSet:
    """Approve a built set: needs ``metrics.approve_changeset``, a different user than the builder (unless
    METRICS_ALLOW_SELF_APPROVAL), a set younger than METRICS_CHANGESET_MAX_AGE_HOURS and unchanged definitions.
    """
    _require(user, "approve_changeset", "approve")
    with transaction.atomic():
        change_set = _locked(change_set)
        if change_set.status != Status.BUILT:
            raise ChangeSetStateConflict(
                CHANGE_SET_NOT_AWAITING.format(
                    pk=change_set.pk, status=change_set.get_status_display().lower(), action="approved"
                )
            )
        if (
            not settings.METRICS_ALLOW_SELF_APPROVAL
            and change_set.built_by_id is not None
            and change_set.built_by_id == user.pk
        ):
            raise ChangeSetPermissionDenied(
                CHANGE_SET_SELF_APPROVAL.format(pk=change_set.pk, user=_who(user))
            )
        age = timezone.now() - change_set.built_at
        limit = settings.METRICS_CHANGESET_MAX_AGE_HOURS
        if age > timedelta(hours=limit):
            raise ChangeSetError(
                CHANGE_SET_TOO_OLD.format(pk=change_set.pk, hours=age.total_seconds() / 3600, limit=limit)
            )
        if _fingerprint_now(change_set) != change_set.definitions_fingerprint:
            raise ChangeSetError(CHANGE_SET_DEFINITIONS_CHANGED.format(pk=change_set.pk))
        change_set.status = Status.APPROVED
        change_set.approved_by = user
        change_set.approved_at = timezone.now()
        _save(change_set, user=user, reason=f"approved by {_who(user)}")
    return change_set


def change_set_reject(*, change_set: ChangeSet, user: AbstractBaseUser, reason: str) -> ChangeSet:
    """Reject a built (or approved, not yet applied) set; it is kept for the record with the reason."""
    _require(user, "approve_changeset", "reject")
    if not (reason or "").strip():
        raise ChangeSetError(CHANGE_SET_REASON_REQUIRED.format(pk=change_set.pk))
    with transaction.atomic():
        change_set = _locked(change_set)
        if change_set.status not in (Status.BUILT, Status.APPROVED):
            raise ChangeSetStateConflict(
                CHANGE_SET_NOT_AWAITING.format(
                    pk=change_set.pk, status=change_set.get_status_display().lower(), action="rejected"
                )
            )
        change_set.status = Status.REJECTED
        change_set.rejected_by = user
        change_set.rejected_at = timezone.now()
        change_set.rejection_reason = reason.strip()
        _save(change_set, user=user, reason=f"rejected by {_who(user)}: {reason.strip()}"[:100])
    return change_set


# --- runners (SyncRun kinds METRICS_DRY_RUN / METRICS_APPLY / METRICS_ROLLBACK) ---------------------------
def _client():
    return copper_client_from_settings()


def change_set_build_run(*, run: SyncRun, progress: Progress) -> None:
    change_set = change_set_build(client=_client(), user=run.started_by, run=run, progress=progress)
    progress.add(change_set_id=change_set.pk)


def change_set_apply_run(*, run: SyncRun, progress: Progress) -> None:
    change_set = ChangeSet.objects.get(pk=run.options["change_set_id"])
    change_set = change_set_apply(
        change_set=change_set, client=_client(), user=run.started_by, run=run, progress=progress
    )
    progress.add(change_set_id=change_set.pk)
    progress.set_message(_outcome_message(change_set))


def change_set_rollback_run(*, run: SyncRun, progress: Progress) -> None:
    """A rollback run builds the rollback set awaiting approval (it writes nothing; its apply is a metrics apply).

    The admin, the API and ``metrics_push`` build rollbacks directly; this keeps a queued run of the kind
    (started before rollbacks needed a second person) from writing to Copper unapproved.
    """
    change_set = ChangeSet.objects.get(pk=run.options["change_set_id"])
    rollback = change_set_rollback_build(change_set=change_set, user=run.started_by)
    progress.add(change_set_id=rollback.pk)
    progress.set_message(
        f"Built {rollback} ({rollback.counts.get('changes', 0)} changes); it awaits approval by a second person."
    )


def _outcome_message(change_set: ChangeSet) -> str:
    counts = change_set.counts
    return (
        f"{change_set} {change_set.get_status_display().lower()}: {counts.get('outcome_applied', 0)} applied, "
        f"{counts.get('outcome_stale', 0)} stale (kept), {counts.get('outcome_failed', 0)} failed."
    )
