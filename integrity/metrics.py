"""The metrics check: Copper's metric custom fields vs the metrics computed from Fishbowl.

Wired to the metrics push (``syncs.models.FieldMapping``, ``syncs.selectors.metrics_for_customers`` and
``syncs.metric_values``) when it is there; without it, or before any metrics apply succeeded, the check is ok
with a note saying why nothing was compared. Metrics are computed in a constant number of aggregate queries;
companies are streamed in chunks.
"""

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from integrity.models import State

logger = logging.getLogger(__name__)


def _push_modules():
    """The metrics-push collaborators, or ``None`` when the push is not part of this build."""
    try:
        from metrics import values as metric_values
        from metrics.models import FieldMapping
        from metrics.selectors import metrics_for_customers
    except ImportError:
        return None
    return FieldMapping, metrics_for_customers, metric_values


def metrics_disagreements(*, name: str, title: str):
    """Compare each mapped Copper field with the value the push would write; count the disagreeing values."""
    from copper.models import CopperCompany, CustomFieldDefinition
    from integrity.checks import CheckResult, Finding, company_url, state_for, url_first
    from syncs.models import SyncRun

    modules = _push_modules()
    if modules is None:
        return CheckResult(name, title, State.OK, note="Metrics push not configured.")
    field_mapping, metrics_for_customers, metric_values = modules
    mappings = list(field_mapping.objects.filter(enabled=True).exclude(policy=field_mapping.Policy.NEVER))
    if not mappings:
        return CheckResult(
            name, title, State.OK, note="Metrics push not configured (no enabled field mapping)."
        )
    last_apply = (
        SyncRun.objects.filter(
            kind=SyncRun.Kind.METRICS_APPLY, status=SyncRun.Status.SUCCEEDED, finished_at__isnull=False
        )
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if last_apply is None:
        return CheckResult(name, title, State.OK, note="No metrics push has been applied yet.")

    definitions = {
        d.name: d for d in CustomFieldDefinition.objects.filter(name__in=[m.copper_field for m in mappings])
    }
    targets = []
    for mapping in mappings:
        row = definitions.get(mapping.copper_field)
        if row is not None:
            targets.append((mapping, metric_values.Definition.from_any(row)))
    # Day-relative metrics (days since last order, last 12 months) as of the push, so they do not drift daily.
    metrics = metrics_for_customers(as_of=timezone.localdate(last_apply))
    by_company = {m.copper_company_id: m for m in metrics.values()}
    count = 0
    per_field: dict[str, int] = {}
    findings: list[dict[str, str]] = []
    action_url = url_first("admin:metrics_changeset_changelist", "admin:syncs_syncrun_dashboard")
    # Through the join, not an IN list of tens of thousands of ids.
    companies = CopperCompany.objects.filter(fishbowl_customer__isnull=False).values_list(
        "pk", "name", "custom_fields"
    )
    for pk, company_name, custom_fields in companies.iterator(chunk_size=2000):
        current = _values_by_definition(custom_fields)
        if pk not in by_company:
            continue
        for mapping, definition in targets:
            actual = current.get(definition.id)
            if mapping.policy == field_mapping.Policy.ONLY_IF_EMPTY and not metric_values.is_empty(actual):
                continue
            try:
                expected = metric_values.encode(
                    metric=mapping.metric, value=by_company[pk].value(mapping.metric), definition=definition
                )
            except ValueError:
                continue  # the push cannot write it either; the mapping validation reports it
            if metric_values.same(data_type=definition.data_type, a=actual, b=expected):
                continue
            count += 1
            per_field[mapping.copper_field] = per_field.get(mapping.copper_field, 0) + 1
            if len(findings) < settings.INTEGRITY_FINDINGS_LIMIT:
                findings.append(
                    Finding(
                        label=f"{company_name}: {mapping.copper_field}",
                        url=company_url(pk),
                        message=f"Copper holds {actual!r}; Fishbowl gives {expected!r}.",
                        action="Build and apply a metrics change set",
                        action_url=action_url,
                    ).as_dict()
                )
    numbers = {"companies_compared": len(by_company), "values_disagreeing": count, **per_field}
    return CheckResult(name, title, state_for(name, count), count, numbers, findings)


def _values_by_definition(custom_fields: Any) -> dict[int, Any]:
    values = {}
    for entry in custom_fields or []:
        if isinstance(entry, dict) and entry.get("custom_field_definition_id") is not None:
            try:
                values[int(entry["custom_field_definition_id"])] = entry.get("value")
            except (TypeError, ValueError):
                continue
    return values
