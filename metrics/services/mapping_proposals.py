"""The first-run helper: mappings proposed by name from the pulled Copper fields, created once confirmed.

A metric is proposed the company field whose name is one of the metric's usual Copper names (compared without
case, spaces or punctuation: "total sales" finds "Total Sales") and which passes the mapping check as it stands
(a fitting type, not protected, not already mapped, Yes/No options for a yes/no Dropdown). Nothing is guessed
beyond those names: a metric without such a field is left for a person to map by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from metrics.models import FieldMapping
from metrics.services.field_mapping import (
    MAPPING_SETTING_CODES,
    definitions_current,
    field_mapping_validate_one,
)
from metrics.values import Definition

Metric = FieldMapping.Metric

# The names a Copper account usually gives each metric's field, the likeliest first (the label comes first).
USUAL_NAMES: dict[str, tuple[str, ...]] = {
    Metric.TOTAL_ORDERS: ("Total Orders", "Order Count", "Number of Orders", "Orders"),
    Metric.TOTAL_SPENT: ("Total Spent", "Total Sales", "Lifetime Sales", "Total Revenue", "Lifetime Value"),
    Metric.AVERAGE_ORDER_VALUE: ("Average Order Value", "Avg Order Value", "AOV"),
    Metric.FIRST_ORDER_DATE: ("First Order Date", "First Order"),
    Metric.LAST_ORDER_DATE: ("Last Order Date", "Last Order"),
    Metric.DAYS_SINCE_LAST_ORDER: ("Days Since Last Order", "Days Since Order"),
    Metric.TOP_PRODUCTS: ("Top Products", "Top Sellers", "Best Sellers"),
    Metric.SAMPLE_KIT_SENT: ("Sample Kit Sent", "Sample Sent"),
    Metric.SAMPLE_KIT_DATE: ("Sample Kit Date", "Sample Sent Date"),
    Metric.SPENT_LAST_12_MONTHS: ("Spent Last 12 Months", "Sales Last 12 Months", "Last 12 Months Sales"),
}
PROPOSAL_CHANGE_REASON = "Proposed by name from the pulled Copper fields and confirmed"


@dataclass(frozen=True)
class MappingProposal:
    """One proposed mapping: the metric, and the Copper field (its exact name and type) that would receive it."""

    metric: str
    metric_label: str
    field: str
    data_type: str


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def field_mapping_proposals(*, definitions: Iterable[Any] | None = None) -> list[MappingProposal]:
    """One proposal per unmapped metric that has a matching field, in the catalogue's order. Reads only.

    A metric that already has a mapping (enabled or not) is never proposed, nor a field some mapping targets,
    nor a field two metrics would share; a usual name matching two fields is passed over (ambiguous).
    """
    defs = [d if isinstance(d, Definition) else Definition.from_any(d) for d in definitions or ()]
    if definitions is None:
        defs = definitions_current()
    on_companies: dict[str, list[Definition]] = {}
    for definition in defs:
        if "company" in definition.available_on:
            on_companies.setdefault(_key(definition.name), []).append(definition)
    existing = list(FieldMapping.objects.all())
    mapped = {m.metric for m in existing}
    taken = {_key(m.copper_field) for m in existing}
    proposals: list[MappingProposal] = []
    for metric in Metric:
        if metric.value in mapped:
            continue
        for usual in USUAL_NAMES.get(metric.value, (metric.label,)):
            found = on_companies.get(_key(usual), [])
            if len(found) != 1 or _key(found[0].name) in taken:
                continue
            definition = found[0]
            candidate = FieldMapping(metric=metric.value, copper_field=definition.name)
            problems = field_mapping_validate_one(mapping=candidate, definitions=defs, mappings=existing)
            if any(p.code not in MAPPING_SETTING_CODES for p in problems):
                continue
            proposals.append(
                MappingProposal(
                    metric=metric.value,
                    metric_label=str(metric.label),
                    field=definition.name,
                    data_type=definition.data_type,
                )
            )
            taken.add(_key(definition.name))
            break
    return proposals


def field_mapping_proposals_create(
    *, metrics: Iterable[str], user: AbstractBaseUser | None
) -> list[FieldMapping]:
    """Create the mappings proposed now for the ticked ``metrics``; returns those created.

    The proposals are computed again rather than taken from the form, so a stale page cannot create a mapping
    the check would refuse; a metric mapped meanwhile (a second submit, another person) is skipped, never
    duplicated. Each history row names ``user`` and says the mapping was proposed and confirmed.
    """
    wanted = set(metrics)
    created: list[FieldMapping] = []
    for proposal in field_mapping_proposals():
        if proposal.metric not in wanted:
            continue
        mapping = FieldMapping(metric=proposal.metric, copper_field=proposal.field)
        mapping._history_user = user
        mapping._change_reason = PROPOSAL_CHANGE_REASON
        try:
            with transaction.atomic():
                mapping.save()
        except IntegrityError:  # mapped by someone else since the proposals were read: theirs stands
            continue
        created.append(mapping)
    return created
