"""The metrics dry run, apply and rollback on their progress pages: options in words, counts labelled, and the
way to the change set each one built or wrote."""

from django.urls import reverse

from syncs.models import SyncRun
from syncs.registry import NextStep, Phrase

DRY_RUN_COUNT_LABELS = {
    "created": "Changes proposed",
    "unchanged": "Values already up to date",
    "errors": "Values that cannot be written",
    # A dry run writes nothing: no boxes of zeros.
    "updated": "",
    "skipped": "",
    "change_set_id": "",  # the set it built: a next step, not a count
}
WRITE_COUNT_LABELS = {
    "updated": "Companies updated in Copper",
    "skipped": "Values kept: changed in Copper since the preview",
    "errors": "Failed writes",
    "copper_reads": "Pages read from Copper",
    "copper_puts": "",  # the same number as "Companies updated in Copper"
    "change_set_id": "",
}


def _change_set_url(pk: int) -> str:
    return reverse("admin:metrics_changeset_change", args=[pk])


def _option_set(run: SyncRun) -> int | None:
    value = (run.options or {}).get("change_set_id")
    return int(value) if isinstance(value, int) or str(value).isdigit() else None


def _built_set(run: SyncRun) -> int | None:
    value = (run.counts or {}).get("change_set_id")
    return int(value) if isinstance(value, int) else None


def write_options_text(run: SyncRun) -> list[Phrase]:
    pk = _option_set(run)
    if pk is None:
        return []
    text = f"Change set #{pk}"
    if run.kind == SyncRun.Kind.METRICS_ROLLBACK:
        text = f"Rolls back change set #{pk}"
    return [Phrase(text, _change_set_url(pk))]


def dry_run_next_steps(run: SyncRun) -> list[NextStep]:
    pk = _built_set(run)
    if pk is None:
        return []
    return [NextStep(f"Review change set #{pk}", _change_set_url(pk), primary=True)]


def write_next_steps(run: SyncRun) -> list[NextStep]:
    steps = []
    original, written = _option_set(run), _built_set(run)
    if run.kind == SyncRun.Kind.METRICS_ROLLBACK and written is not None and written != original:
        steps.append(
            NextStep(f"Open the rollback, change set #{written}", _change_set_url(written), primary=True)
        )
    if original is not None:
        steps.append(
            NextStep(f"Back to change set #{original}", _change_set_url(original), primary=not steps)
        )
    return steps
