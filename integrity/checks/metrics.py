"""The metrics check: Copper's metric custom fields vs the values the metrics push would write from Fishbowl.

Before any metrics apply succeeded, or with no enabled field mapping, the check is ok with a note saying why
nothing was compared. Only the metrics that are mapped are computed (``metrics_for_customers(only=...)``), in a
constant number of aggregate queries; companies are streamed in chunks.
"""

from typing import Any

from django.utils import timezone

from copper.models import CustomFieldDefinition
from customers.selectors import copper_companies_active_with_number
from integrity.checks.base import CHECKS, CheckResult, Finding, check, company_url, limit, result, url_first
from integrity.models import State
from metrics import values as metric_values
from metrics.models import FieldMapping
from metrics.selectors import metrics_for_customers
from syncs.models import SyncRun

NAME = "copper_metrics"


def _skip(note: str) -> CheckResult:
    registered = CHECKS[NAME]
    return CheckResult(NAME, registered.title, State.OK, note=note, unit=registered.unit)


@check(NAME, "Copper metric fields that disagree with Fishbowl", unit="values")
def check_copper_metrics() -> CheckResult:
    """Compare each mapped Copper field with the value the push would write; count the disagreeing values.

    Day-relative metrics (days since last order, last 12 months) are taken as of the last successful apply, so
    they do not drift daily; orders issued since still count, since Copper is then behind and a push fixes it.
    """
    mappings = list(FieldMapping.objects.filter(enabled=True).exclude(policy=FieldMapping.Policy.NEVER))
    if not mappings:
        return _skip("Metrics push not configured (no enabled field mapping).")
    last_apply = (
        SyncRun.objects.filter(
            kind=SyncRun.Kind.METRICS_APPLY, status=SyncRun.Status.SUCCEEDED, finished_at__isnull=False
        )
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if last_apply is None:
        return _skip("No metrics push has been applied yet.")

    definitions = {
        d.name: d for d in CustomFieldDefinition.objects.filter(name__in=[m.copper_field for m in mappings])
    }
    targets = [
        (mapping, metric_values.Definition.from_any(definitions[mapping.copper_field]))
        for mapping in mappings
        if mapping.copper_field in definitions
    ]
    metrics = metrics_for_customers(
        as_of=timezone.localdate(last_apply), later_orders=True, only={str(m.metric) for m, _ in targets}
    )
    by_company = {m.copper_company_id: m for m in metrics.values()}
    count = 0
    per_field: dict[str, int] = {}
    findings: list[dict[str, str]] = []
    action_url = url_first("admin:metrics_changeset_changelist", "admin:syncs_syncrun_dashboard")
    keep = limit()
    # Through the join, not an IN list of tens of thousands of ids.
    companies = (
        copper_companies_active_with_number()
        .filter(fishbowl_customer__isnull=False)
        .values_list("pk", "name", "custom_fields")
    )
    for pk, company_name, custom_fields in companies.iterator(chunk_size=2000):
        company_metrics = by_company.get(pk)
        if company_metrics is None:
            continue
        current = _values_by_definition(custom_fields)
        for mapping, definition in targets:
            actual = current.get(definition.id)
            if mapping.policy == FieldMapping.Policy.ONLY_IF_EMPTY and not metric_values.is_empty(actual):
                continue
            try:
                expected = metric_values.encode(
                    metric=mapping.metric, value=company_metrics.value(mapping.metric), definition=definition
                )
            except ValueError:
                continue  # the push cannot write it either; the mapping validation reports it
            if metric_values.same(data_type=definition.data_type, a=actual, b=expected):
                continue
            count += 1
            per_field[mapping.copper_field] = per_field.get(mapping.copper_field, 0) + 1
            if len(findings) < keep:
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
    return result(NAME, count, numbers, findings)


def _values_by_definition(custom_fields: Any) -> dict[int, Any]:
    values = {}
    for entry in custom_fields or []:
        if isinstance(entry, dict) and entry.get("custom_field_definition_id") is not None:
            try:
                values[int(entry["custom_field_definition_id"])] = entry.get("value")
            except (TypeError, ValueError):
                continue
    return values
