"""Field mapping checks: every metric → Copper field mapping validated against the pulled definitions.

An invalid mapping blocks the metrics push. Each problem names the field and what is wrong; the messages are
module constants so the admin, the API and the tests read the same words.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from copper.dates import copper_timezone, is_local_midnight, seconds_to_local
from copper.models import CopperCompany, CustomFieldDefinition
from customers.models import FishbowlCustomer
from customers.selectors import copper_companies_active_with_number
from metrics.models import FieldMapping
from metrics.selectors import metrics_for_customers
from metrics.values import BOOL_OPTION_NAMES, KIND_TYPES, METRIC_KINDS, Definition, display, encode

MAPPING_NONE_ENABLED = "No field mapping is enabled: map at least one metric to a Copper field."
MAPPING_FIELD_MISSING = (
    'Copper has no custom field named "{field}" (mapped from {metric}); pull Copper or fix the name.'
)
MAPPING_FIELD_NOT_ON_COMPANIES = (
    'Copper field "{field}" (mapped from {metric}) is not available on companies.'
)
MAPPING_FIELD_AMBIGUOUS = (
    'Copper has {count} custom fields named "{field}"; rename one in Copper so the mapping is unambiguous.'
)
MAPPING_WRONG_TYPE = 'Copper field "{field}" is a {actual} field; {metric} needs {expected}.'
MAPPING_MISSING_OPTION = (
    'Copper field "{field}" is a Dropdown without an option named "{option}", needed by {metric}.'
)
MAPPING_DUPLICATE_TARGET = 'Copper field "{field}" is targeted by more than one metric: {metrics}.'
MAPPING_TIMEZONE_REQUIRED = (
    'Copper field "{field}" (mapped from {metric}) is a Date field: {reason}'
)
MAPPING_DATES_NOT_AT_MIDNIGHT = (
    'Copper field "{field}" holds {count} value(s) not at midnight of {zone} (e.g. {company}: {shown}); '
    "COPPER_TIMEZONE may not be the account's timezone (dates would read and write a day off)."
)
MAPPING_PROTECTED_FIELD = (
    'Copper field "{field}" is protected and may not be written by any mapping (mapped from {metric}).'
)
# Problems that a setting causes, not the mapping: a save goes through with a warning, the push stays blocked.
MAPPING_SETTING_CODES = frozenset({"timezone_required"})


@dataclass(frozen=True)
class MappingProblem:
    """One reason the mapping cannot be used: ``code`` is machine-readable, ``message`` names the field."""

    code: str
    field: str
    metric: str
    message: str
    expected: str = ""
    actual: str = ""


@dataclass(frozen=True)
class ResolvedMapping:
    """An enabled mapping resolved to its Copper definition."""

    metric: str
    copper_field: str
    policy: str
    definition: Definition

    def snapshot(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "copper_field": self.copper_field,
            "policy": self.policy,
            "definition_id": self.definition.id,
            "data_type": self.definition.data_type,
        }


def _label(metric: str) -> str:
    return str(FieldMapping.Metric(metric).label)


def _protected() -> set[str]:
    return {name.strip().lower() for name in settings.METRICS_PROTECTED_FIELDS}


def definitions_current() -> list[Definition]:
    """The pulled custom-field definitions (as plain records)."""
    return [Definition.from_any(row) for row in CustomFieldDefinition.objects.all()]


def _definitions(definitions: Iterable[Any] | None) -> list[Definition]:
    if definitions is None:
        return definitions_current()
    return [d if isinstance(d, Definition) else Definition.from_any(d) for d in definitions]


def _by_name(defs: Iterable[Definition]) -> dict[str, list[Definition]]:
    by_name: dict[str, list[Definition]] = {}
    for definition in defs:
        by_name.setdefault(definition.name.strip().lower(), []).append(definition)
    return by_name


def _duplicate(same_field: list[FieldMapping]) -> MappingProblem:
    field = same_field[0].copper_field
    metrics = ", ".join(_label(m.metric) for m in same_field)
    return MappingProblem(
        code="duplicate_target",
        field=field,
        metric=same_field[0].metric,
        message=MAPPING_DUPLICATE_TARGET.format(field=field, metrics=metrics),
    )


def field_mapping_field_types(*, metric: str) -> tuple[str, ...]:
    """The Copper data types that can hold ``metric`` (the one table the check, the form and the proposals read)."""
    return KIND_TYPES[METRIC_KINDS[metric]]


def field_mapping_validate_one(
    *,
    mapping: FieldMapping,
    definitions: Iterable[Any] | None = None,
    mappings: Iterable[FieldMapping] | None = None,
) -> list[MappingProblem]:
    """The check's problems for one (possibly unsaved) mapping, as the mapping form refuses them on save.

    The same rules as ``field_mapping_validate`` for this mapping's field, whether or not it is enabled; when it
    is enabled, also another enabled mapping (another metric) targeting the same field. Problems whose code is in
    ``MAPPING_SETTING_CODES`` are about a setting, not the mapping. ``mappings``: the saved ones (default: read
    from the database). Writes nothing.
    """
    problems: list[MappingProblem] = []
    field = mapping.copper_field.strip().lower()
    if mapping.enabled and field:
        others = list(mappings) if mappings is not None else FieldMapping.objects.filter(enabled=True)
        clash = [
            m
            for m in others
            if m.enabled and m.metric != mapping.metric and m.copper_field.strip().lower() == field
        ]
        if clash:
            problems.append(_duplicate(sorted([mapping, *clash], key=lambda m: _label(m.metric))))
    by_name = _by_name(_definitions(definitions))
    problems.extend(_mapping_problems(mapping, by_name=by_name, protected=_protected()))
    return problems


def field_mapping_validate(
    *, definitions: Iterable[Any] | None = None, mappings: Iterable[FieldMapping] | None = None
) -> list[MappingProblem]:
    """All problems with the enabled mappings (an empty list means the push may run).

    ``definitions`` are rows, Copper dicts or ``Definition`` records (default: the pulled rows). Checks: the field
    exists by name and is available on companies, its data type can hold the metric (Dropdowns holding a yes/no
    metric need "Yes"/"No" options), no protected field is targeted, no two metrics target one field, and a Date
    field is mapped only once ``COPPER_TIMEZONE`` names the account's timezone.
    """
    rows = list(mappings) if mappings is not None else list(FieldMapping.objects.filter(enabled=True))
    rows = [m for m in rows if m.enabled]
    if not rows:
        return [MappingProblem(code="none_enabled", field="", metric="", message=MAPPING_NONE_ENABLED)]
    by_name = _by_name(_definitions(definitions))
    protected = _protected()
    problems: list[MappingProblem] = []

    targets: dict[str, list[FieldMapping]] = {}
    for mapping in rows:
        targets.setdefault(mapping.copper_field.strip().lower(), []).append(mapping)
    for same_field in targets.values():
        if len(same_field) > 1:
            problems.append(_duplicate(same_field))

    for mapping in rows:
        problems.extend(_mapping_problems(mapping, by_name=by_name, protected=protected))
    return problems


def _mapping_problems(
    mapping: FieldMapping, *, by_name: dict[str, list[Definition]], protected: set[str]
) -> list[MappingProblem]:
    """The problems of one mapping's field, apart from another mapping targeting it (first blocking one wins)."""
    field, metric = mapping.copper_field.strip(), mapping.metric
    label = _label(metric)

    def problem(code: str, template: str, *, expected: str = "", actual: str = "", **words: Any) -> MappingProblem:
        message = template.format(field=field, metric=label, **words)
        return MappingProblem(code=code, field=field, metric=metric, message=message, expected=expected, actual=actual)

    if field.lower() in protected:
        return [problem("protected_field", MAPPING_PROTECTED_FIELD)]
    found = by_name.get(field.lower(), [])
    if not found:
        return [problem("missing_field", MAPPING_FIELD_MISSING)]
    on_companies = [d for d in found if "company" in d.available_on]
    if not on_companies:
        return [problem("not_on_companies", MAPPING_FIELD_NOT_ON_COMPANIES)]
    if len(on_companies) > 1:
        return [problem("ambiguous_field", MAPPING_FIELD_AMBIGUOUS, count=len(on_companies))]
    definition = on_companies[0]
    problems: list[MappingProblem] = []
    kind = METRIC_KINDS[metric]
    allowed = field_mapping_field_types(metric=metric)
    if definition.data_type not in allowed:
        expected = " or ".join(allowed)
        # The sentence reads "needs a Currency field"; the problem's own ``expected`` is the bare type.
        message = MAPPING_WRONG_TYPE.format(
            field=field, actual=definition.data_type, metric=label, expected=f"a {expected} field"
        )
        return [
            MappingProblem(
                code="wrong_type", field=field, metric=metric, message=message, expected=expected,
                actual=definition.data_type,
            )  # fmt: skip
        ]
    if definition.data_type == "Date":
        try:
            copper_timezone()
        except ImproperlyConfigured as exc:
            problems.append(problem("timezone_required", MAPPING_TIMEZONE_REQUIRED, reason=exc))
    if definition.data_type == "Dropdown" and kind == "bool":
        for names in BOOL_OPTION_NAMES.values():
            if not any(definition.option_id(name) is not None for name in names):
                option = names[0].capitalize()
                actual = ", ".join(n for _, n in definition.options)
                problems.append(
                    problem("missing_option", MAPPING_MISSING_OPTION, expected=option, actual=actual, option=option)
                )
    return problems


def field_mapping_warnings(*, definitions: Iterable[Any] | None = None) -> list[MappingProblem]:
    """Doubts that do not block the push: mapped Date fields whose values in the mirror are not at local midnight.

    Copper keeps a Date at 00:00 of the account's timezone, so values at another hour mean COPPER_TIMEZONE is
    probably not the account's zone. Reads the pulled companies' ``custom_fields`` in chunks (one pass for every
    mapped Date field); nothing when COPPER_TIMEZONE is unset (``field_mapping_validate`` reports that).
    """
    try:
        tz = copper_timezone(required=False)
    except ImproperlyConfigured:
        return []
    if tz is None:
        return []
    defs = _definitions(definitions)
    by_name = {d.name.strip().lower(): d for d in defs if "company" in d.available_on and d.data_type == "Date"}
    targets: dict[int, tuple[str, str]] = {}
    for mapping in FieldMapping.objects.filter(enabled=True):
        definition = by_name.get(mapping.copper_field.strip().lower())
        if definition is not None:
            targets[definition.id] = (definition.name, mapping.metric)
    if not targets:
        return []
    odd: dict[int, list[Any]] = {}  # definition id -> [count, first company name, first value]
    rows = CopperCompany.objects.filter(missing_from_copper_since__isnull=True).values_list("name", "custom_fields")
    for name, custom_fields in rows.iterator(chunk_size=2000):
        for entry in custom_fields or ():
            ident = entry.get("custom_field_definition_id") if isinstance(entry, dict) else None
            if ident in targets and not is_local_midnight(entry.get("value"), tz):
                seen = odd.setdefault(ident, [0, name, entry.get("value")])
                seen[0] += 1
    warnings = []
    for ident, (count, company, value) in sorted(odd.items()):
        field, metric = targets[ident]
        local = seconds_to_local(value, tz)
        shown = f"{value} = {local:%Y-%m-%d %H:%M} {local.tzname()}" if local else str(value)
        warnings.append(
            MappingProblem(
                code="date_not_at_midnight",
                field=field,
                metric=metric,
                message=MAPPING_DATES_NOT_AT_MIDNIGHT.format(
                    field=field, count=count, zone=str(tz), company=company, shown=shown
                ),
            )
        )
    return warnings


def field_mapping_resolve(*, definitions: Iterable[Any] | None = None) -> list[ResolvedMapping]:
    """The enabled mappings with their definitions; call only after ``field_mapping_validate`` found nothing."""
    defs = _definitions(definitions)
    by_name = {d.name.strip().lower(): d for d in defs if "company" in d.available_on}
    resolved = []
    for mapping in FieldMapping.objects.filter(enabled=True).order_by("metric"):
        definition = by_name[mapping.copper_field.strip().lower()]
        resolved.append(
            ResolvedMapping(
                metric=mapping.metric,
                copper_field=definition.name,
                policy=mapping.policy,
                definition=definition,
            )
        )
    return resolved


def definitions_fingerprint(definitions: Iterable[Definition]) -> str:
    """A hash of the definitions a change set was computed against (ids, names, types, options)."""
    payload = sorted(
        [d.id, d.name, d.data_type, [list(o) for o in d.options], list(d.available_on)] for d in definitions
    )
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def field_mapping_sample(*, n: int = 3) -> list[dict[str, Any]]:
    """``n`` real linked companies with the value each mapped field would get (computed locally, not written).

    Each item: ``{"company": name, "copper_id": id, "values": [{"field", "metric", "value", "error"}]}``.
    """
    if field_mapping_validate():
        return []
    resolved = field_mapping_resolve()
    # Companies with orders make the more useful sample; only those the push writes to (active, with a number).
    customers = list(
        FishbowlCustomer.objects.filter(
            copper_company__in=copper_companies_active_with_number(), orders__isnull=False
        )
        .select_related("copper_company")
        .distinct()
        .order_by("account_number")[:n]
    )
    metrics = metrics_for_customers(customer_ids=[c.pk for c in customers])
    sample = []
    for customer in customers:
        values = []
        for mapping in resolved:
            raw = metrics[customer.pk].value(mapping.metric)
            error = ""
            try:
                shown = display(
                    value=encode(metric=mapping.metric, value=raw, definition=mapping.definition),
                    definition=mapping.definition,
                )
            except ValueError as exc:
                shown, error = "", str(exc)
            values.append(
                {
                    "field": mapping.copper_field,
                    "metric": _label(mapping.metric),
                    "value": shown,
                    "error": error,
                }
            )
        sample.append(
            {
                "company": customer.copper_company.name,
                "copper_id": customer.copper_company_id,
                "values": values,
            }
        )
    return sample
