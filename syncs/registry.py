"""The run kinds and the flow between them, declared by the apps that own them.

Each app registers its kinds in its ``AppConfig.ready``: the runner that does the work
(``runner(*, run, progress) -> None``), the one permission that starting it needs at every door (admin, sync
dashboard, API, commands with ``--user``), its dashboard buttons and how it reads options from a form or a
request; and, for the progress page, the run's options in words (``options_text``), a label for each of its own
counts (``count_labels``) and where to go once it has finished (``next_steps``). A run's next steps that another
app provides (the integrity report stored after a pull) are registered with ``next_steps_register``. The flow between kinds (a pull starts a customer sync, both store an integrity report) is declared in
one place, ``copperhub/apps.py``, as follow-ups: plain callables, called with the finished run, in order.

Nothing here imports another app; the apps import this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # annotations only: the registry must not import models at app-loading time
    from syncs.models import SyncRun  # why: annotations only
    from syncs.progress import Progress  # why: annotations only


class Runner(Protocol):
    def __call__(self, *, run: SyncRun, progress: Progress) -> None: ...


@dataclass(frozen=True)
class StartButton:
    """One button on the sync dashboard: the options it starts its kind's run with."""

    key: str
    label: str
    options: Mapping[str, Any] = field(default_factory=dict)
    needs_month: bool = False
    primary: bool = False


@dataclass(frozen=True)
class NextStep:
    """A button at the end of a finished run's progress page: where to go next (``url`` is an admin path)."""

    label: str
    url: str
    primary: bool = False


@dataclass(frozen=True)
class Phrase:
    """One of a run's options in words ("Incremental pull (changes since the last pull)"), a link when ``url``."""

    text: str
    url: str = ""


def _no_options(data: Mapping[str, Any]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class RunKind:
    """A kind of sync run: what runs it and who may start it."""

    kind: str
    runner: Runner
    permission: str
    buttons: tuple[StartButton, ...] = ()
    # Options from submitted data (a form's POST, an API body), merged over a button's own; ValueError = a
    # message for the person.
    options_parse: Callable[[Mapping[str, Any]], dict[str, Any]] = _no_options
    started_elsewhere: str = ""
    # What stops it from working right now (a missing setting), shown before anyone starts it; "" when fine.
    problem: Callable[[], str] | None = None
    # The progress page of a finished run ends with these buttons (review the change set it built…).
    next_steps: Callable[[SyncRun], list[NextStep]] | None = None
    # The run's options (``run.options``, and ``run.parent`` for "after pull #N") as sentences, all of them.
    options_text: Callable[[SyncRun], list[Phrase]] | None = None
    # A label for each of the kind's own counts (and for a standard counter it means more precisely, such as
    # "updated" of a metrics apply); "" hides a count that is not a number to read (an id shown as a next step).
    count_labels: Mapping[str, str] = field(default_factory=dict)
    # The month a button with ``needs_month`` offers first ("YYYY-MM"); None: last month.
    month_default: Callable[[], str] | None = None


@dataclass(frozen=True)
class NextSteps:
    """Next steps another app adds to runs of ``after`` (``steps(run) -> list[NextStep]``)."""

    after: tuple[str, ...]
    steps: Callable[[SyncRun], list[NextStep]]
    label: str


@dataclass(frozen=True)
class FollowUp:
    """Something that happens when a run of one of ``after`` ends (whatever its status: ``action`` decides)."""

    after: tuple[str, ...]
    action: Callable[..., Any]  # action(*, run) -> Any; exceptions are logged, never change the run
    label: str


_KINDS: dict[str, RunKind] = {}
_FOLLOW_UPS: list[FollowUp] = []
_NEXT_STEPS: list[NextSteps] = []


def run_kind_register(run_kind: RunKind) -> None:
    """Register a kind (once; registering the same kind twice is a programming error)."""
    if run_kind.kind in _KINDS and _KINDS[run_kind.kind] != run_kind:
        raise ValueError(f"Run kind {run_kind.kind!r} is registered twice.")
    _KINDS[run_kind.kind] = run_kind


def follow_up_register(follow_up: FollowUp) -> None:
    if follow_up not in _FOLLOW_UPS:
        _FOLLOW_UPS.append(follow_up)


def next_steps_register(next_steps: NextSteps) -> None:
    if next_steps not in _NEXT_STEPS:
        _NEXT_STEPS.append(next_steps)


def next_steps_providers(kind: str) -> list[Callable[[SyncRun], list[NextStep]]]:
    """The kind's own ``next_steps`` first, then those other apps registered for it, in order."""
    own = _KINDS[kind].next_steps if kind in _KINDS else None
    return [*([own] if own else []), *(n.steps for n in _NEXT_STEPS if kind in n.after)]


class UnknownRunKind(LookupError):
    def __init__(self, kind: str) -> None:
        super().__init__(f"No app registers the sync run kind {kind!r}.")


def run_kind_get(kind: str) -> RunKind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise UnknownRunKind(kind) from None


def run_kinds() -> list[RunKind]:
    return list(_KINDS.values())


def start_buttons() -> dict[str, tuple[RunKind, StartButton]]:
    """Every dashboard button by key, with the kind it starts."""
    return {button.key: (run_kind, button) for run_kind in _KINDS.values() for button in run_kind.buttons}


def follow_ups_after(kind: str) -> list[FollowUp]:
    return [follow_up for follow_up in _FOLLOW_UPS if kind in follow_up.after]


def follow_ups() -> list[FollowUp]:
    return list(_FOLLOW_UPS)
