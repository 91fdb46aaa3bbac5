"""The customer sync and the Fishbowl import on their progress pages: options in words, counts labelled, and
where to go next (the preview to confirm, the conflicts, the imported customers and orders)."""

from typing import Any

from django.urls import reverse

from syncs.models import SyncRun
from syncs.registry import NextStep, Phrase

SYNC_COUNT_LABELS = {
    "created": "New customers",
    "updated": "Customers changed",
    "unchanged": "Customers unchanged",
    "skipped": "Companies skipped",
    "examined": "Companies examined",
    "held_by_conflict": "Held back: account number on several companies",
    "not_owner": "Skipped: another company owns the number",
    "unknown_account_type": "Unknown account types",
    "locked_differences": "Differences in fields edited by hand (kept)",
    "probable_matches": "Probable matches to check",
    "conflicts": "Account-number conflicts",
    "orders_linked": "Orders linked to their customers",
}

_ENTITIES = {"customers": "Customers", "orders": "Orders", "lines": "Order lines"}
_OUTCOMES = {
    "created": "added",
    "updated": "updated",
    "unchanged": "unchanged",
    "deleted": "removed",
    "invalid": "refused (a problem in the row)",
    "skipped": "left out with an invalid line",
}
IMPORT_COUNT_LABELS = {
    "created": "Rows added",
    "updated": "Rows updated",
    "unchanged": "Rows unchanged",
    "skipped": "Rows left out",
    **{
        f"{entity}_{name}": f"{label} {words}"
        for entity, label in _ENTITIES.items()
        for name, words in _OUTCOMES.items()
    },
    "orders_without_customer": "Orders whose customer is not known yet",
    "duplicate_rows": "Repeated rows (imported once)",
    "negative_amounts": "Negative amounts",
    "amount_mismatches": "Orders whose lines do not add up to their total",
}


def customer_sync_options_text(run: SyncRun) -> list[Phrase]:
    if (run.options or {}).get("apply"):
        return [Phrase("Applies the changes to the Fishbowl customers")]
    return [Phrase("Dry run: a preview, nothing is written")]


def customer_sync_next_steps(run: SyncRun) -> list[NextStep]:
    if run.status != SyncRun.Status.SUCCEEDED:
        return []
    preview = reverse("admin:customers_customer_sync_preview", args=[run.pk])
    if (run.options or {}).get("apply"):
        steps = [NextStep("See what changed", preview, primary=True)]
    else:
        steps = [NextStep("Preview and confirm", preview, primary=True)]
    conflicts = (run.counts or {}).get("conflicts", 0)
    if conflicts:
        steps.append(
            NextStep(
                f"Resolve the account-number conflicts ({conflicts:,})",
                reverse("admin:customers_account_number_conflicts"),
            )
        )
    return steps


def fishbowl_import_options_text(run: SyncRun) -> list[Phrase]:
    options: dict[str, Any] = run.options or {}
    phrases = []
    if options.get("from_api"):
        phrases.append(Phrase("From the Fishbowl API"))
    for key, what in (("customers_name", "Customer list"), ("orders_name", "Line report")):
        if options.get(key):
            phrases.append(Phrase(f"{what}: {options[key]}"))
    phrases.append(
        Phrase("Dry run: nothing is written" if options.get("dry_run") else "Writes customers and orders")
    )
    if options.get("skip_invalid"):
        phrases.append(Phrase("Rows with a problem are left out, the rest imported"))
    if options.get("number_format") and options["number_format"] != "auto":
        phrases.append(Phrase(f"Numbers written as {options['number_format']}"))
    return phrases


def fishbowl_import_next_steps(run: SyncRun) -> list[NextStep]:
    if run.status != SyncRun.Status.SUCCEEDED:
        return []
    options, counts = run.options or {}, run.counts or {}
    if options.get("dry_run"):
        return [NextStep("Import for real", reverse("admin:customers_fishbowl_import"), primary=True)]
    steps = []
    customers = sum(counts.get(f"customers_{name}", 0) for name in ("created", "updated"))
    orders = sum(counts.get(f"orders_{name}", 0) for name in ("created", "updated"))
    if customers or not orders:
        steps.append(
            NextStep(
                f"See the imported customers ({customers:,} added or updated)",
                reverse("admin:customers_fishbowlcustomer_changelist"),
                primary=True,
            )
        )
    if orders:
        steps.append(
            NextStep(
                f"See the imported orders ({orders:,} added or updated)",
                reverse("admin:customers_salesorder_changelist"),
                primary=not steps,
            )
        )
    return steps
