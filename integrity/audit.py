"""The audit trail: every change recorded by django-simple-history, across all tracked models, newest first.

Reads stay fast on millions of history rows: one model is read with a LIMIT (no COUNT), and "all models" merges
the newest rows of each model (limited to the first ``MERGED_MAX_PAGES`` pages). Field diffs compare each row
with the previous version of the same object, fetched in two queries per model and page (never per row).
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Model, OuterRef, Q, Subquery
from django.urls import NoReverseMatch, reverse
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_manager_for_model

from integrity.audit_display import ValueFormatter, user_label

PER_PAGE = 50
MERGED_MAX_PAGES = 20
TYPES = {"+": "created", "~": "changed", "-": "deleted"}


def tracked_models() -> dict[str, type[Model]]:
    """``app_label.model_name`` → model, for every installed model that keeps history."""
    found = {}
    for model in apps.get_models():
        if getattr(model._meta, "simple_history_manager_attribute", None) is None and not hasattr(
            model, "history"
        ):
            continue
        try:
            get_history_manager_for_model(model)
        except (NotHistoricalModelError, AttributeError):
            continue
        found[model._meta.label_lower] = model
    return dict(sorted(found.items()))


def history_model(model: type[Model]) -> type[Model]:
    return get_history_manager_for_model(model).model


def run_reason_q(run_id: int) -> Q:
    """Change reasons naming run #N (and not #N0…), e.g. "copper pull run #12".

    The LIKE comes first: SQLite runs it in C over every history row, and the regular expression (a Python
    function on SQLite) only on the few rows that name the run at all.
    """
    return Q(history_change_reason__icontains=f"run #{int(run_id)}") & Q(
        history_change_reason__iregex=rf"run #{int(run_id)}([^0-9]|$)"
    )


@dataclass
class AuditFilters:
    model: str = ""
    run: int | None = None
    user: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def q(self) -> Q:
        q = Q()
        if self.run is not None:
            q &= run_reason_q(self.run)
        if self.user:
            q &= Q(history_user__username=self.user)
        if self.date_from:
            q &= Q(history_date__date__gte=self.date_from)
        if self.date_to:
            q &= Q(history_date__date__lte=self.date_to)
        return q


@dataclass
class AuditRow:
    when: dt.datetime
    who: str
    model_label: str
    model_name: str
    object_pk: Any
    object_label: str
    object_url: str
    history_url: str
    change_type: str
    reason: str
    # (field name, old, new) as recorded
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)
    # (field label, old, new) in plain words (``integrity.audit_display``)
    shown: list[tuple[str, str, str]] = field(default_factory=list)
    model: type[Model] | None = None


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _object_label(model: type[Model], record: Model) -> str:
    """The object's own ``__str__`` built from the history row (no query for fields history leaves out)."""
    values = {
        f.attname: getattr(record, f.attname)
        for f in model._meta.concrete_fields
        if hasattr(record, f.attname)
    }
    try:
        return str(model(**values))[:200]
    except Exception:
        return f"{model._meta.verbose_name} {values.get(model._meta.pk.attname)}"


def _previous_versions(hmodel: type[Model], pk_name: str, records: list[Model]) -> dict[int, Model]:
    """history_id → the previous history row of the same object, in two queries."""
    if not records:
        return {}
    prev_id = Subquery(
        hmodel._default_manager.filter(**{pk_name: OuterRef(pk_name)}, history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    pairs = dict(
        hmodel._default_manager.filter(history_id__in=[r.history_id for r in records])
        .annotate(prev_id=prev_id)
        .values_list("history_id", "prev_id")
    )
    previous = hmodel._default_manager.in_bulk([p for p in pairs.values() if p], field_name="history_id")
    return {hid: previous[p] for hid, p in pairs.items() if p in previous}


def _rows_for(model: type[Model], records: list[Model]) -> list[AuditRow]:
    hmodel = history_model(model)
    pk_name = model._meta.pk.attname
    previous = _previous_versions(hmodel, pk_name, records)
    opts = model._meta
    rows = []
    for record in records:
        pk = getattr(record, pk_name)
        prev = previous.get(record.history_id)
        changes = []
        if prev is not None and record.history_type == "~":
            changes = [(c.field, c.old, c.new) for c in record.diff_against(prev).changes]
        user = record.history_user
        reason = record.history_change_reason or ""
        rows.append(
            AuditRow(
                when=record.history_date,
                who=user_label(user) if user else (reason or "system"),
                model_label=opts.label_lower,
                model_name=str(opts.verbose_name),
                object_pk=pk,
                object_label=_object_label(model, record),
                object_url=_url(f"admin:{opts.app_label}_{opts.model_name}_change", pk),
                history_url=_url(f"admin:{opts.app_label}_{opts.model_name}_history", pk),
                change_type=TYPES.get(record.history_type, record.history_type),
                reason=reason,
                changes=changes,
                model=model,
            )
        )
    return rows


def rows_describe(rows: list[AuditRow]) -> None:
    """Fill each row's ``shown`` changes in plain words, reading related names once for all the rows."""
    formatter = ValueFormatter()
    for row in rows:
        for name, old, new in row.changes:
            formatter.collect(row.model, name, old, new)
    for row in rows:
        row.shown = formatter.changes(row.model, row.changes)


def audit_page(*, filters: AuditFilters, page: int = 1, per_page: int | None = None) -> dict[str, Any]:
    """One page of changes, newest first, with ``has_next``; the model filter reads one table only."""
    per_page = per_page or PER_PAGE
    models = tracked_models()
    if filters.model and filters.model not in models:
        raise ValueError(f"No tracked model {filters.model!r}.")
    page = max(page, 1)
    if not filters.model:
        page = min(page, MERGED_MAX_PAGES)
    offset = (page - 1) * per_page
    chosen = {filters.model: models[filters.model]} if filters.model else models
    q = filters.q()
    fetched: list[tuple[type[Model], Model]] = []
    for model in chosen.values():
        hmodel = history_model(model)
        queryset = (
            hmodel._default_manager.filter(q)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
        )
        if filters.model:
            fetched.extend((model, r) for r in queryset[offset : offset + per_page + 1])
        else:
            fetched.extend((model, r) for r in queryset[: offset + per_page + 1])
    if not filters.model:
        fetched.sort(key=lambda item: item[1].history_date, reverse=True)
        fetched = fetched[offset : offset + per_page + 1]
    has_next = len(fetched) > per_page
    fetched = fetched[:per_page]
    by_model: dict[type[Model], list[Model]] = {}
    for model, record in fetched:
        by_model.setdefault(model, []).append(record)
    built = {}
    for model, records in by_model.items():
        for record, row in zip(records, _rows_for(model, records), strict=True):
            built[(model, record.history_id)] = row
    rows = [built[(model, record.history_id)] for model, record in fetched]
    rows_describe(rows)
    return {
        "rows": rows,
        "page": page,
        "has_next": has_next and (bool(filters.model) or page < MERGED_MAX_PAGES),
        "has_previous": page > 1,
        "models": [(label, str(model._meta.verbose_name)) for label, model in models.items()],
        "merged": not filters.model,
    }
