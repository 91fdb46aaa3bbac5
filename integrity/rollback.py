"""Roll back everything one sync run changed, from the history its writes recorded.

Each object the run changed goes back to its state just before the run's first change to it. Objects the run
created or deleted, and objects changed again after the run (by anyone or anything else), are skipped and
reported. The preview and the apply compute the same plan; the apply writes through
``bulk_update_with_history`` with the change reason "rollback of run #N by <user>", in one transaction.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import JSONField, Max, Min, Model, OuterRef, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from integrity.audit import history_model, run_reason_q, tracked_models
from integrity.audit_display import StoredJSON, ValueFormatter

CHUNK = 500
ROLLBACK_PREFIX = "rollback of run #"


@dataclass
class RollbackItem:
    model_label: str
    model_name: str
    pk: Any
    label: str
    # (field name, current value, value restored)
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)
    skipped: str = ""
    model: type[Model] | None = None
    # (field label, now, restored) in plain words, filled by ``rollback_items_describe`` for the page shown
    shown: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class RollbackPlan:
    run_id: int
    items: list[RollbackItem] = field(default_factory=list)
    applied: bool = False

    @property
    def restorable(self) -> list[RollbackItem]:
        return [item for item in self.items if not item.skipped and item.fields]

    @property
    def skipped(self) -> list[RollbackItem]:
        return [item for item in self.items if item.skipped]


def _restorable_fields(model: type[Model], hmodel: type[Model]) -> list:
    tracked = {f.attname for f in hmodel._meta.concrete_fields}
    return [
        f for f in model._meta.concrete_fields if not f.primary_key and f.editable and f.attname in tracked
    ]


STORED = "_stored_json_"


def _with_stored_json(queryset, json_fields: list):
    """The rows with each JSON field left as its stored text (``STORED + attname``), not decoded."""
    if not json_fields:
        return queryset
    return queryset.defer(*(f.attname for f in json_fields)).annotate(
        **{STORED + f.attname: Cast(f.attname, TextField()) for f in json_fields}
    )


def _value(obj: Model, field_: Any, stored: bool) -> Any:
    if stored and isinstance(field_, JSONField):
        text = getattr(obj, STORED + field_.attname)
        return None if text is None else StoredJSON(text)
    return getattr(obj, field_.attname)


def _plan_model(
    model: type[Model], run_id: int, *, stored_json: bool = False
) -> tuple[list[RollbackItem], dict[Any, dict[str, Any]]]:
    """Items for one model, and pk → {attname: value before the run} for the restorable ones.

    ``stored_json`` (the preview): JSON fields are compared as stored and decoded only when shown, since
    decoding every company's custom fields twice was most of the preview's time. The values then hold
    ``StoredJSON``, so only the apply (which decodes) may write them.
    """
    hmodel = history_model(model)
    manager = hmodel._default_manager
    pk_name = model._meta.pk.attname
    run_rows = manager.filter(run_reason_q(run_id)).exclude(
        history_change_reason__istartswith=ROLLBACK_PREFIX
    )
    spans = {
        row[pk_name]: (row["first"], row["last"])
        for row in run_rows.values(pk_name)
        .annotate(first=Min("history_id"), last=Max("history_id"))
        .order_by()
    }
    if not spans:
        return [], {}
    fields = _restorable_fields(model, hmodel)
    json_fields = [f for f in fields if isinstance(f, JSONField)] if stored_json else []
    items, restore = [], {}
    pks = sorted(spans, key=str)
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        first_ids = [spans[pk][0] for pk in chunk]
        # The version just before the run's first change to each object.
        prev_id = Subquery(
            manager.filter(**{pk_name: OuterRef(pk_name)}, history_id__lt=OuterRef("history_id"))
            .order_by("-history_id")
            .values("history_id")[:1]
        )
        firsts = {
            row[pk_name]: row
            for row in manager.filter(history_id__in=first_ids)
            .annotate(prev_id=prev_id)
            .values(pk_name, "history_id", "history_type", "prev_id")
        }
        before = _with_stored_json(manager.all(), json_fields).in_bulk(
            [r["prev_id"] for r in firsts.values() if r["prev_id"]], field_name="history_id"
        )
        # Any later version not written by this run: the object was changed again after it.
        later = defaultdict(list)
        lowest_last = min(spans[pk][1] for pk in chunk)
        for pk, hid, reason, when in (
            manager.filter(**{f"{pk_name}__in": chunk}, history_id__gt=lowest_last)
            .values_list(pk_name, "history_id", "history_change_reason", "history_date")
            .order_by("history_id")
        ):
            if hid > spans[pk][1]:
                later[pk].append((reason, when))
        current = _with_stored_json(model._default_manager.all(), json_fields).in_bulk(chunk)
        for pk in chunk:
            first = firsts.get(pk, {})
            prev = before.get(first.get("prev_id"))
            obj = current.get(pk)
            label = str(obj) if obj is not None else f"{model._meta.verbose_name} {pk}"
            item = RollbackItem(
                model._meta.label_lower, str(model._meta.verbose_name), pk, label[:200], model=model
            )
            if later.get(pk):
                reason, when = later[pk][0]
                when = timezone.localtime(when) if timezone.is_aware(when) else when
                item.skipped = f"Changed again after the run ({reason or 'by hand'}, {when:%Y-%m-%d %H:%M})."
            elif prev is None:
                item.skipped = (
                    "Created by the run: nothing to go back to (delete it by hand if it should go)."
                )
            elif obj is None:
                item.skipped = "No longer exists (deleted by the run or since)."
            else:
                values = {f.attname: _value(prev, f, stored_json) for f in fields}
                now = {f.attname: _value(obj, f, stored_json) for f in fields}
                item.fields = [
                    (f.name, now[f.attname], values[f.attname])
                    for f in fields
                    if now[f.attname] != values[f.attname]
                ]
                if item.fields:
                    restore[pk] = values
            items.append(item)
    return items, restore


def run_rollback_plan(
    *, run_id: int, stored_json: bool = False
) -> tuple[RollbackPlan, dict[type[Model], dict[Any, dict[str, Any]]]]:
    plan = RollbackPlan(run_id=run_id)
    restore = {}
    for model in tracked_models().values():
        items, values = _plan_model(model, run_id, stored_json=stored_json)
        plan.items.extend(items)
        if values:
            restore[model] = values
    return plan, restore


def rollback_items_describe(items: list[RollbackItem]) -> None:
    """Fill ``shown`` (field labels and values in plain words) for the items of one page, names read in batches."""
    formatter = ValueFormatter()
    for item in items:
        for name, now, before in item.fields:
            formatter.collect(item.model, name, now, before)
    for item in items:
        item.shown = formatter.changes(item.model, item.fields)


def run_rollback_preview(*, run_id: int) -> RollbackPlan:
    """What rolling back run #N would restore (field by field) and what it would skip, without writing."""
    return run_rollback_plan(run_id=run_id, stored_json=True)[0]


@transaction.atomic
def run_rollback_apply(*, run_id: int, user: AbstractBaseUser | None = None) -> RollbackPlan:
    """Restore every object the run changed to its state before the run, with history naming the rollback."""
    plan, restore = run_rollback_plan(run_id=run_id)
    who = user.get_username() if user is not None else "system"
    reason = f"{ROLLBACK_PREFIX}{run_id} by {who}"
    for model, values_by_pk in restore.items():
        objects = list(model._default_manager.select_for_update().filter(pk__in=list(values_by_pk)))
        changed_fields: set[str] = set()
        for obj in objects:
            for f in _restorable_fields(model, history_model(model)):
                value = values_by_pk[obj.pk][f.attname]
                if getattr(obj, f.attname) != value:
                    setattr(obj, f.attname, value)
                    changed_fields.add(f.name)
        if objects and changed_fields:
            bulk_update_with_history(
                objects,
                model,
                sorted(changed_fields),
                batch_size=CHUNK,
                default_user=user,
                default_change_reason=reason,
            )
    plan.applied = True
    return plan
