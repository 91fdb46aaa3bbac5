"""Benchmark registry and measuring helpers for ``manage.py bench``.

Each app may hold ``<app>/benchmarks.py`` (or a ``benchmarks/`` package) whose functions are registered with
``@benchmark("name", arguments={...})``. A benchmark returns a dict of figures; the command prints them.
"""

import ctypes
import ctypes.util
import gc
import importlib
import os
import pkgutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections

BENCHMARKS: dict[str, "Benchmark"] = {}


@dataclass
class Benchmark:
    name: str
    func: Callable[..., dict[str, Any]]
    help: str
    arguments: dict[str, dict[str, Any]] = field(default_factory=dict)


def benchmark(name: str, *, help: str = "", arguments: dict[str, dict[str, Any]] | None = None):
    """Register ``func(**options) -> dict`` as ``manage.py bench <name>``; ``arguments`` maps flags to argparse kwargs."""

    def register(func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        BENCHMARKS[name] = Benchmark(
            name=name, func=func, help=help or (func.__doc__ or "").strip(), arguments=arguments or {}
        )
        return func

    return register


def benchmarks_discover() -> dict[str, Benchmark]:
    """Import every local app's ``benchmarks`` module or package so that its benchmarks register."""
    for config in apps.get_app_configs():
        if not str(config.path).startswith(str(settings.BASE_DIR)):
            continue
        try:
            module = importlib.import_module(f"{config.name}.benchmarks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.benchmarks":
                raise
            continue
        if hasattr(module, "__path__"):
            for info in pkgutil.iter_modules(module.__path__):
                importlib.import_module(f"{module.__name__}.{info.name}")
    return BENCHMARKS


# The child of ``benchmark_run_apart``: imports the module that registered the benchmark, then runs it here.
_CHILD = (
    "import importlib, sys, django; django.setup(); importlib.import_module(sys.argv[1]); "
    "from django.core.management import call_command; call_command('bench', *sys.argv[2:])"
)
CHILD_ENV = "COPPERHUB_BENCH_CHILD"


def benchmark_run_apart(bench: Benchmark, args: list[str], *, write: Callable[[str], None]) -> int:
    """Run ``bench NAME *args`` in a new Python process, passing each line it prints to ``write``.

    Every benchmark runs this way, alone or under ``bench all``, so that none measures on top of the heap, the
    debug query log or the connection of what ran before it. The child uses the C allocator
    (``PYTHONMALLOC=malloc``): Python's own keeps freed memory in 1 MiB arenas that one surviving object pins,
    so a step reusing them showed no growth; freed C heap pages go back to the system when each step starts
    (``step_isolate``), so peak memory is the step's own. Returns the child's exit status.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE or os.environ["DJANGO_SETTINGS_MODULE"],
        "PYTHONUNBUFFERED": "1",
        "PYTHONMALLOC": "malloc",
        CHILD_ENV: "1",
    }
    with subprocess.Popen(  # noqa: S603 - our own interpreter, a fixed script, names from our registry
        [sys.executable, "-c", _CHILD, bench.func.__module__, bench.name, *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as child:
        for line in child.stdout:
            write(line.rstrip("\n"))
    return child.returncode


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def _libc_trim() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``); a no-op elsewhere."""
    name = ctypes.util.find_library("c")
    with suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(name).malloc_trim(0)


class QueryCount:
    """Statements run on the default connection inside ``with QueryCount() as q`` (``q.count``).

    Counted by an execute wrapper, not read from ``connection.queries_log``: that log is a deque of at most
    9,000 entries, so once earlier work has filled it a count taken from it reads 0 (or is capped), and it
    keeps every statement's SQL text in memory.
    """

    def __init__(self) -> None:
        self.count = 0

    def _wrapper(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> "QueryCount":
        self._context = connections["default"].execute_wrapper(self._wrapper)
        self._context.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._context.__exit__(*exc)


def step_isolate() -> None:
    """Give the next measured step a clean slate: a fresh default connection, empty query logs, a trimmed heap.

    The connection is closed (and reopened by the step's first query) unless a transaction is open, as in a
    test, where closing would lose it. Emptying the debug query logs frees what earlier steps logged. Collecting
    garbage and trimming the C heap returns the memory earlier steps freed, so that the step's own growth shows
    in resident memory instead of reusing pages a data fill left behind.
    """
    default = connections["default"]
    if not default.in_atomic_block:
        default.close()
    for conn in connections.all(initialized_only=True):
        conn.queries_log.clear()
    gc.collect()
    _libc_trim()


class Measure:
    """Wall time, statements and peak resident memory of the code inside ``with Measure() as m``.

    Entering isolates the step (``step_isolate``). ``seconds``: wall time; ``queries``: statements on the
    default connection (``QueryCount``); ``peak_mib``: the highest resident memory sampled every 20 ms (and at
    the end) above the resident memory at the start, after the trim.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.rss_start = 0
        self.rss_peak = 0
        self._stop = threading.Event()
        self._queries = QueryCount()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.rss_peak = max(self.rss_peak, _rss_bytes())

    def __enter__(self) -> "Measure":
        step_isolate()
        self.rss_start = self.rss_peak = _rss_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self._queries.__enter__()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._t0
        self._queries.__exit__(*exc)
        self._stop.set()
        self._thread.join()
        self.rss_peak = max(self.rss_peak, _rss_bytes())

    @property
    def queries(self) -> int:
        """Statements the step ran on the default connection."""
        return self._queries.count

    @property
    def peak_mib(self) -> float:
        """Peak resident memory above the starting point, in MiB."""
        return round((self.rss_peak - self.rss_start) / 2**20, 1)


@contextmanager
def scratch_database():
    """Point the default connection at a fresh, migrated SQLite file for the duration of a benchmark.

    Benchmarks fill tables with hundreds of thousands of rows; they must never touch the real database. On
    PostgreSQL (``DATABASE_URL`` set) this refuses: run benchmarks on the embedded default.
    """
    from django.core.management import call_command

    conn = connections["default"]
    if conn.vendor != "sqlite":
        raise RuntimeError("Benchmarks run on the embedded SQLite default; unset DATABASE_URL.")
    original = conn.settings_dict["NAME"]
    with tempfile.TemporaryDirectory(prefix="copperhub-bench-") as tmp:
        conn.close()
        conn.settings_dict["NAME"] = str(Path(tmp) / "bench.sqlite3")
        try:
            call_command("migrate", verbosity=0, interactive=False)
            yield conn.settings_dict["NAME"]
        finally:
            conn.close()
            conn.settings_dict["NAME"] = original
