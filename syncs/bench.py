"""Benchmark registry and measuring helpers for ``manage.py bench``.

Each app may hold ``<app>/benchmarks.py`` (or a ``benchmarks/`` package) whose functions are registered with
``@benchmark("name", arguments={...})``. A benchmark returns a dict of figures; the command prints them.
"""

import importlib
import pkgutil
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings

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


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


class Measure:
    """Wall time and peak resident memory (sampled every 20 ms) of the code inside ``with Measure() as m``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.rss_start = 0
        self.rss_peak = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.rss_peak = max(self.rss_peak, _rss_bytes())

    def __enter__(self) -> "Measure":
        self.rss_start = self.rss_peak = _rss_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._t0
        self._stop.set()
        self._thread.join()
        self.rss_peak = max(self.rss_peak, _rss_bytes())

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
    from django.db import connections

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
