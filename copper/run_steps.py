"""The Copper pull on its progress page: its options in words, its counts labelled, where to go next."""

from django.urls import reverse

from syncs.models import SyncRun
from syncs.registry import NextStep, Phrase

PULL_COUNT_LABELS = {
    "created": "Companies added",
    "updated": "Companies updated",
    "unchanged": "Companies unchanged",
    "users_created": "Copper users added",
    "users_updated": "Copper users updated",
    "definitions_created": "Custom fields added",
    "definitions_updated": "Custom fields updated",
    "marked_missing": "Companies gone from Copper (marked missing)",
    "still_in_copper": "Companies checked and still in Copper",
    "requests": "Requests to Copper",
    "rate_limited": "Times Copper asked to slow down",
    # The customer sync the pull started: listed with its outcome, not counted.
    "customer_sync_run": "",
}


def pull_options_text(run: SyncRun) -> list[Phrase]:
    if (run.options or {}).get("full"):
        return [Phrase("Full pull (every company, and those gone from Copper marked missing)")]
    # The pull reads everything when there is no earlier pull to count from (its message then says "Full pull").
    return [Phrase("Incremental pull (changes since the last pull; the first pull reads every company)")]


def pull_next_steps(run: SyncRun) -> list[NextStep]:
    if run.status != SyncRun.Status.SUCCEEDED:
        return []
    return [NextStep("See the Copper companies", reverse("admin:copper_coppercompany_changelist"))]
