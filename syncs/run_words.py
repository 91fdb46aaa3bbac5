"""A run in plain words, for the progress page, its JSON and the run list: its options as sentences, a label
for every count, what it led to (the next steps its kind and other apps offer, the runs it started).

Each app words its own options and counts through the registry (``RunKind.options_text``, ``count_labels``,
``next_steps``); this module only falls back to wording a key it was not told about, so no internal key reaches
a page. A failing next-step hook is logged and left out: it never breaks the page of a run that finished.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.urls import reverse

from syncs.models import SyncRun
from syncs.registry import NextStep, Phrase, RunKind, UnknownRunKind, next_steps_providers, run_kind_get

logger = logging.getLogger(__name__)

STANDARD_COUNTS = (
    ("created", "Created"),
    ("updated", "Updated"),
    ("unchanged", "Unchanged"),
    ("skipped", "Skipped"),
    ("errors", "Errors"),
)
# Counts the machinery itself keeps (syncs.progress), whatever the kind.
PROPER_NAMES = {"Copper", "Fishbowl"}
OWN_COUNT_LABELS = {"log_entries_dropped": "Log entries not kept (the log was full)"}


def _run_kind(kind: str) -> RunKind | None:
    try:
        return run_kind_get(kind)
    except UnknownRunKind:
        return None


def key_words(name: str) -> str:
    """``users_created`` → ``Users created``: the last resort for a key no app labelled."""
    return name.replace("_", " ").strip().capitalize()


def in_sentence(label: str) -> str:
    """A label inside a sentence: "New customers" → "new customers"; names stay ("Copper users added")."""
    first = label.split(" ", 1)[0]
    if first in PROPER_NAMES or first.isupper():
        return label
    return label[:1].lower() + label[1:]


def value_words(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(value_words(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{key_words(k).lower()} {value_words(v)}" for k, v in value.items())
    return str(value)


def count_label(name: str, kind: str = "") -> str:
    """The label of count ``name`` of a run of ``kind`` ("" when the kind hides it)."""
    run_kind = _run_kind(kind) if kind else None
    if run_kind is not None and name in run_kind.count_labels:
        return run_kind.count_labels[name]
    if name in OWN_COUNT_LABELS:
        return OWN_COUNT_LABELS[name]
    return dict(STANDARD_COUNTS).get(name) or key_words(name)


def count_figures(snapshot: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """(name, label, value) for the counters every run has, then the kind's own counts, without hidden ones."""
    kind = snapshot.get("kind", "")
    figures = [(name, count_label(name, kind), snapshot[name]) for name, _ in STANDARD_COUNTS]
    figures += [(name, count_label(name, kind), value) for name, value in sorted(snapshot["counts"].items())]
    return [figure for figure in figures if figure[1]]


def options_phrases(run: SyncRun) -> list[Phrase]:
    """The run's options as sentences: the kind's own wording (complete), or each option worded by its key."""
    options = dict(run.options or {})
    run_kind = _run_kind(run.kind)
    phrases: list[Phrase] = []
    if run_kind is not None and run_kind.options_text is not None:
        try:
            phrases = list(run_kind.options_text(run))
        except Exception:  # a wording bug must not hide the run's page
            logger.exception("Wording the options of sync run %s failed", run.pk)
            phrases = []
        else:
            return phrases
    return [Phrase(f"{key_words(key)}: {value_words(value)}") for key, value in sorted(options.items())]


def options_sentence(run: SyncRun) -> str:
    return "; ".join(phrase.text for phrase in options_phrases(run))


def run_outcome(run: SyncRun) -> str:
    """``"succeeded: 603 created, 12 updated"`` (the non-zero counters), or where an unfinished run is."""
    if run.is_active:
        return run.get_status_display().lower()
    counted = [
        f"{value:,} {in_sentence(label)}"
        for name, label, value in count_figures(
            {"kind": run.kind, "counts": {}, **{name: getattr(run, name) for name, _ in STANDARD_COUNTS}}
        )
        if value
    ]
    status = run.get_status_display().lower()
    return f"{status}: {', '.join(counted)}" if counted else f"{status}, nothing to count"


def started_runs(run: SyncRun) -> list[dict[str, Any]]:
    """The runs this one started (their ``parent`` is this run), oldest first, each with its outcome."""
    mine = in_sentence(run.get_kind_display())
    rows = []
    for child in run.children.order_by("pk"):
        rows.append(
            {
                "id": child.pk,
                "label": f"{in_sentence(child.get_kind_display())} #{child.pk}",
                "url": reverse("admin:syncs_syncrun_progress", args=[child.pk]),
                "text": f"This {mine} started {in_sentence(child.get_kind_display())} #{child.pk}: {run_outcome(child)}",
                "is_active": child.is_active,
            }
        )
    return rows


def next_steps(run: SyncRun) -> list[NextStep]:
    """Where to go once ``run`` has finished: its kind's steps, then other apps' (none while it runs)."""
    if run.is_active:
        return []
    steps: list[NextStep] = []
    for provider in next_steps_providers(run.kind):
        try:
            steps += list(provider(run) or [])
        except Exception:  # one app's broken link must not hide the others or the page
            logger.exception("A next step of sync run %s failed", run.pk)
    return steps


def run_links(run: SyncRun) -> dict[str, Any]:
    """What the progress JSON and page add for a finished run: next steps and started runs (none while active)."""
    if run.is_active:
        return {"next_steps": [], "started_runs": []}
    return {
        "next_steps": [{"label": s.label, "url": s.url, "primary": s.primary} for s in next_steps(run)],
        "started_runs": started_runs(run),
    }
