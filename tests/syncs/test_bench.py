"""Benchmark figures are measured in isolation: each step counts its own statements and its own memory, and a
benchmark reports the same figures alone as after another under ``bench all``."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

import syncs.bench
import tests.syncs.fake_benchmarks as fakes
from syncs.bench import BENCHMARKS, Measure

# Taken out of the project's registry at once, so that only these tests (and their children) see them.
FAKES = {name: BENCHMARKS.pop(name) for name in ("fake_queries", "fake_memory")}


def _figures(output: str) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for key, value in re.findall(r"^  (queries|peak_mib): ([\d.]+)$", output, flags=re.MULTILINE):
        found.setdefault(key, []).append(float(value))
    return found


def _bench(*args: str) -> dict[str, list[float]]:
    out = StringIO()
    call_command("bench", *args, stdout=out)
    return _figures(out.getvalue())


@pytest.fixture
def only_the_fakes(monkeypatch, tmp_path):
    # The children open a throwaway SQLite file, never the project's database.
    monkeypatch.setenv("SQLITE_PATH", str(tmp_path / "bench.sqlite3"))
    # Import (and so register) every benchmark module first: one imported while the registry is swapped
    # would register into the swap and be lost to later tests.
    syncs.bench.benchmarks_discover()
    monkeypatch.setattr(syncs.bench, "BENCHMARKS", dict(FAKES))


def _memory_is_right(peak: float) -> bool:
    # The strings themselves, plus the list's pointers and the allocator's own bookkeeping per string.
    return fakes.MEBIBYTES <= peak <= fakes.MEBIBYTES * 1.5


def test_a_step_counts_its_own_statements_even_when_the_debug_query_log_is_already_full(db):
    fakes._fill_query_log()
    assert len(connection.queries_log) == connection.queries_log.maxlen
    with Measure() as step, connection.cursor() as cursor:
        for _ in range(7):
            cursor.execute("SELECT 1")
    assert step.queries == 7
    assert len(connection.queries_log) == 0, "the step starts with an empty log, freeing the earlier SQL"


def test_each_benchmark_reports_its_true_figures_when_run_alone(only_the_fakes):
    assert _bench("fake_queries") == {"queries": [fakes.QUERIES]}
    assert _bench("fake_queries", "--queries", "9") == {"queries": [9]}
    peak = _bench("fake_memory")["peak_mib"]
    assert len(peak) == 1 and _memory_is_right(peak[0]), peak


@pytest.mark.parametrize("order", [("fake_queries", "fake_memory"), ("fake_memory", "fake_queries")])
def test_bench_all_reports_the_same_true_figures_whichever_benchmark_runs_first(
    only_the_fakes, monkeypatch, order
):
    # Import (and so register) every benchmark module first: one imported while the registry is swapped
    # would register into the swap and be lost to later tests.
    syncs.bench.benchmarks_discover()
    monkeypatch.setattr(syncs.bench, "BENCHMARKS", {name: FAKES[name] for name in order})
    figures = _bench("all")
    assert figures["queries"] == [fakes.QUERIES]
    assert len(figures["peak_mib"]) == 1 and _memory_is_right(figures["peak_mib"][0]), figures
