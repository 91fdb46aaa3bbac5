"""``manage.py bench runs``: concurrent run starts never fail, and a killed worker frees its run.

Default: ``--starts`` run starts (1,000) from two OS processes (forked; each with ``--threads`` starting threads
and two executing threads, every thread on its own connection to one scratch SQLite WAL file), spread over
``--kinds``, through ``syncs.services.runs.sync_run_start`` — plain, inside a transaction (as a request would)
and with ``wait_if_busy`` (as a follow-up does) — while the same processes execute and end those runs
(``sync_run_execute``, a runner that takes a few milliseconds, the real follow-ups), so starts keep meeting runs
that are just ending. Each start is counted as started (a new queued run), joined/waiting (``wait_if_busy``),
refused (``SyncRunAlreadyActive``, the API's 409) or other (any other exception: the 500 of the issue).
Figures: those counts, the exceptions seen, errors logged while executing, runs left unfinished (target 0, 0).

``--kill``: the issue's "after kill -9 of a worker mid-run". A real ``manage.py qcluster`` (``--broker orm``, or
``redis`` at ``--redis-url``) and a ``manage.py copper_sandbox`` run as subprocesses on the scratch database; a
Copper pull starts, paced to ``COPPER_RATE_LIMIT_PER_MINUTE=2`` so it runs for minutes; once the run is running
and its heartbeat timer has beaten once (the worst case: a fresh heartbeat), the cluster's process group gets
SIGKILL and a second cluster starts. Nothing starts a run until the run is failed, so what fails it is the
``sync-runs-reaper`` schedule in the second cluster (the figure names the reaper task that did). Then a new pull
is started and must be taken by the second cluster. Heartbeat and stale threshold are the defaults (30 s, 120 s).
Figures: seconds from the kill to the failure, to the new start, and to the new run running. Target ≤ 180 s.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import multiprocessing
import os
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from syncs import registry
from syncs.bench import benchmark, scratch_database
from syncs.models import SyncRun

Status = SyncRun.Status
DEFAULT_KINDS = "copper_pull,customer_sync,commissions,integrity"


@benchmark(
    "runs",
    help="1,000 concurrent run starts from two processes (0 x 5xx); --kill: a killed worker's run freed (seconds).",
    arguments={
        "--starts": {
            "type": int,
            "default": 1000,
            "help": "Run starts in all (split over the two processes).",
        },
        "--threads": {"type": int, "default": 2, "help": "Starting threads per process."},
        "--kinds": {"default": DEFAULT_KINDS, "help": "Comma-separated run kinds."},
        "--kill": {"action": "store_true", "help": "Measure a qcluster killed with SIGKILL mid-run instead."},
        "--broker": {"choices": ["orm", "redis"], "default": "orm", "help": "With --kill: the broker."},
        "--redis-url": {"default": "redis://127.0.0.1:6379/14", "help": "With --broker redis."},
        "--timeout": {"type": int, "default": 420, "help": "With --kill: give up waiting after this many s."},
    },
)
def runs_benchmark(
    *, starts: int, threads: int, kinds: str, kill: bool, broker: str, redis_url: str, timeout: int
) -> dict[str, Any]:
    with scratch_database() as path:
        if kill:
            return _killed_worker(path=Path(path), broker=broker, redis_url=redis_url, timeout=timeout)
        return _concurrent_starts(starts=starts, threads=threads, kinds=[k.strip() for k in kinds.split(",")])


# --- 1,000 concurrent starts --------------------------------------------------------------------------------


def _concurrent_starts(*, starts: int, threads: int, kinds: list[str]) -> dict[str, Any]:
    for kind in kinds:
        registry.run_kind_get(kind)  # an unknown kind fails here, before any process starts
    connections.close_all()  # the forked children open their own
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    results = context.Queue()
    per_process = [starts // 2, starts - starts // 2]
    processes = [
        context.Process(target=_starter_process, args=(n, per_process[n], threads, kinds, barrier, results))
        for n in range(2)
    ]
    started_at = time.perf_counter()
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    seconds = time.perf_counter() - started_at
    total: collections.Counter[str] = collections.Counter()
    others: collections.Counter[str] = collections.Counter()
    logged: collections.Counter[str] = collections.Counter()
    for outcome in outcomes:
        total.update(outcome["counts"])
        others.update(outcome["others"])
        logged.update(outcome["logged_errors"])
    retried = total.pop("retried_after_run_ended", 0)
    by_status = collections.Counter(SyncRun.objects.values_list("status", flat=True))
    unfinished = sum(by_status[status] for status in SyncRun.UNFINISHED_STATUSES)
    return {
        "database": f"{connections['default'].vendor} (WAL file)",
        "processes": 2,
        "starting_threads_per_process": threads,
        "kinds": kinds,
        "starts": sum(total.values()),
        "started": total["started"],
        "joined_or_waiting": total["joined_or_waiting"],
        "refused_already_active_409": total["refused"],
        "inserts_that_met_a_run_just_ending_and_retried": retried,
        "other_exceptions_5xx": total["other"],
        "other_exception_kinds": dict(others),
        "errors_logged_while_executing": dict(logged),
        "runs_by_status": dict(by_status),
        "runs_left_unfinished": unfinished,
        "wall_seconds": round(seconds, 1),
        "checks_passed": total["other"] == 0 and unfinished == 0 and not logged,
    }


class _ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.counts: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else "no exception"
        self.counts[f"{record.name}: {kind}"] += 1


def _quick_runner(*, run, progress) -> None:
    time.sleep(random.uniform(0.0, 0.01))
    progress.add(processed=1)


def _starter_process(number: int, starts: int, threads: int, kinds: list[str], barrier, results) -> None:
    """One worker process: ``threads`` threads start runs while two threads execute the runs this process queued."""
    import syncs.queue
    from syncs.services import runs  # why: forked child

    connections.close_all()
    random.seed(number)
    for kind in registry._KINDS:  # this process only: every kind ends in milliseconds, follow-ups stay real
        registry._KINDS[kind] = dataclasses.replace(registry._KINDS[kind], runner=_quick_runner)
    work: queue.Queue[int | None] = queue.Queue()

    def async_task(func, *args, **kwargs) -> str:  # the broker: this process's executing threads
        work.put(kwargs["run_id"])
        return f"bench-{kwargs['run_id']}"

    syncs.queue.async_task = async_task
    errors = _ErrorCounter()
    logging.getLogger().addHandler(errors)
    logging.getLogger().setLevel(logging.ERROR)
    counts: collections.Counter[str] = collections.Counter()
    others: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    # Count the inserts that met an active run: a start that then succeeds met a run just ending (the race).
    collisions = threading.local()
    create = SyncRun.objects.create

    def counting_create(**fields):
        try:
            return create(**fields)
        except IntegrityError:
            collisions.n = getattr(collisions, "n", 0) + 1
            raise

    SyncRun.objects.create = counting_create

    def start(share: int, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(share):
            kind, mode = rng.choice(kinds), rng.random()
            collisions.n = 0
            try:
                if mode < 0.15:
                    with transaction.atomic():
                        runs.sync_run_start(kind=kind)
                    outcome = "started"
                elif mode < 0.3:
                    run = runs.sync_run_start(kind=kind, options={"bench": True}, wait_if_busy=True)
                    outcome = (
                        "started" if run.status == Status.QUEUED and not collisions.n else "joined_or_waiting"
                    )
                else:
                    runs.sync_run_start(kind=kind)
                    outcome = "started"
            except runs.SyncRunAlreadyActive:
                outcome = "refused"
            except Exception as exc:
                outcome = "other"
                with lock:
                    others[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
            with lock:
                counts[outcome] += 1
                # Every collision but the one that decided a refusal or a join was retried: the run had ended.
                counts["retried_after_run_ended"] += collisions.n - (
                    outcome in ("refused", "joined_or_waiting")
                )
        connections.close_all()

    def execute() -> None:
        while True:
            run_id = work.get()
            if run_id is None:
                break
            try:
                runs.sync_run_execute(run_id=run_id)
            # sync_run_execute never raises for a runner's failure: this would be a worker crash.
            except Exception as exc:
                with lock:
                    errors.counts[f"sync_run_execute raised {type(exc).__name__}: {str(exc)[:120]}"] += 1
        connections.close_all()

    executors = [threading.Thread(target=execute, daemon=True) for _ in range(2)]
    for thread in executors:
        thread.start()
    shares = [starts // threads + (i < starts % threads) for i in range(threads)]
    starters = [
        threading.Thread(target=start, args=(share, number * 100 + i)) for i, share in enumerate(shares)
    ]
    barrier.wait(timeout=60)
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join()
    # Drain: runs promoted from waiting keep arriving until every kind is idle in both processes.
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 3:
        if not work.empty():
            idle_since = time.monotonic()
        time.sleep(0.2)
    for _ in executors:
        work.put(None)
    for thread in executors:
        thread.join(timeout=60)
    results.put({"counts": dict(counts), "others": dict(others), "logged_errors": dict(errors.counts)})


# --- kill -9 of a worker mid-run ----------------------------------------------------------------------------

START_PULL = (
    "from syncs.services.runs import sync_run_start\n"
    "print(sync_run_start(kind='copper_pull', options={'full': True}).pk)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _killed_worker(*, path: Path, broker: str, redis_url: str, timeout: int) -> dict[str, Any]:
    from django_q.models import Schedule, Task

    if broker == "redis":
        import redis

        redis.Redis.from_url(redis_url).flushdb()  # this benchmark's own database: no task from a former run
    workdir = Path(tempfile.mkdtemp(prefix="copperhub-bench-kill-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    env.update(
        SQLITE_PATH=str(path),
        COPPERHUB_VAR_DIR=str(workdir),
        COPPER_BASE_URL=f"http://127.0.0.1:{port}",
        COPPER_API_KEY="bench-key",
        COPPER_USER_EMAIL="bench@example.com",
        # Two requests a minute: the pull waits on the limiter for minutes (no progress flush meanwhile).
        COPPER_RATE_LIMIT_PER_MINUTE="2",
        COPPER_RATE_LIMITER="process",
        SYNC_RUN_HEARTBEAT_SECONDS=str(settings.SYNC_RUN_HEARTBEAT_SECONDS),
        SYNC_RUN_STALE_AFTER_SECONDS=str(settings.SYNC_RUN_STALE_AFTER_SECONDS),
    )
    if broker == "redis":
        env["REDIS_URL"] = redis_url
    children: list[subprocess.Popen] = []

    def spawn(*args: str) -> subprocess.Popen:
        log = open(workdir / f"{args[0]}-{len(children)}.log", "w")  # noqa: SIM115 (closed with the process)
        child = subprocess.Popen(  # noqa: S603 - this interpreter, this project's manage.py, fixed arguments
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        children.append(child)
        return child

    def wait_for(predicate, what: str, limit: float) -> float:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if predicate():
                return time.monotonic()
            time.sleep(0.5)
        raise RuntimeError(f"Gave up after {limit:.0f} s waiting for {what} (logs in {workdir}).")

    def run_status(pk: int) -> SyncRun:
        return SyncRun.objects.get(pk=pk)

    try:
        spawn("copper_sandbox", "--port", str(port), "--rate-limit", "0", "--companies", "400",
              "--state", str(workdir / "sandbox.sqlite3"))  # fmt: skip
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/_sandbox/stats"), "the sandbox", 120)
        first = spawn("qcluster")
        pull = int(_manage(env, "shell", "-c", START_PULL))
        wait_for(lambda: run_status(pull).status == Status.RUNNING, "the pull to run", 120)
        # Kill just after the first timer beat (no progress flush happens while the pull waits on the limiter):
        # the heartbeat is as fresh as it gets, the longest wait for the reaper.
        beat = timedelta(seconds=settings.SYNC_RUN_HEARTBEAT_SECONDS - 1)
        wait_for(
            lambda: (r := run_status(pull)).heartbeat_at >= r.started_at + beat, "a timer heartbeat", 120
        )
        running = run_status(pull)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = timezone.now()
        spawn("qcluster")
        wait_for(lambda: not run_status(pull).is_active, "the killed run to end", timeout)
        dead = run_status(pull)
        reapers = Task.objects.filter(func="syncs.tasks.sync_runs_reap_task", started__gte=killed_at)
        reaped_by = [(t.started.isoformat(timespec="seconds"), t.result) for t in reapers.order_by("started")]
        second = int(_manage(env, "shell", "-c", START_PULL))
        wait_for(lambda: run_status(second).status != Status.QUEUED, "the new pull to be taken", 120)
        new = run_status(second)
    finally:
        for child in reversed(children):
            _stop(child)
    shutil.rmtree(workdir, ignore_errors=True)  # kept (the error names it) when something above failed
    seconds = (dead.finished_at - killed_at).total_seconds()
    return {
        "broker": f"redis ({redis_url})" if broker == "redis" else "orm (database)",
        "database": "sqlite (WAL file)",
        "heartbeat_seconds": settings.SYNC_RUN_HEARTBEAT_SECONDS,
        "stale_after_seconds": settings.SYNC_RUN_STALE_AFTER_SECONDS,
        "killed_run": f"#{pull}, running since {running.started_at:%H:%M:%S}, "
        f"last heartbeat {running.heartbeat_at:%H:%M:%S.%f}"[:-3],
        "killed_at": f"{killed_at:%H:%M:%S.%f}"[:-3],
        "killed_run_status": dead.status,
        "killed_run_message": dead.message,
        "reaper_tasks_after_kill": reaped_by,
        "reaper_schedule_next_run": f"{Schedule.objects.get(name='sync-runs-reaper').next_run:%H:%M:%S}",
        "seconds_kill_to_failed": round(seconds, 1),
        "seconds_kill_to_new_start": round((new.queued_at - killed_at).total_seconds(), 1),
        "seconds_kill_to_new_run_running": round((new.started_at - killed_at).total_seconds(), 1)
        if new.started_at
        else None,
        "new_run_status": f"#{second} {new.status}",
        "checks_passed": dead.status == Status.FAILED and seconds <= 180 and new.status == Status.RUNNING,
    }


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - the sandbox's http URL, built here
            return True
    except OSError:
        return False


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - this interpreter, this project's manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


def _stop(child: subprocess.Popen) -> None:
    if child.poll() is not None:
        return
    os.killpg(child.pid, signal.SIGTERM)
    try:
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
