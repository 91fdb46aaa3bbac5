"""Two tiny benchmarks for tests/syncs/test_bench.py, each with a data fill before its measured step, as the
real ones have: ``fake_queries`` runs a known number of statements after a fill that leaves the debug query log
full; ``fake_memory`` holds a known amount of small objects after a fill that leaves Python's heap grown and
fragmented (one object in a thousand survives)."""

import sys

from django.db import connection
from django.test.utils import CaptureQueriesContext

from syncs.bench import Measure, benchmark

QUERIES = 50
MEBIBYTES = 32
_survivors: list = []


def _fill_query_log() -> None:
    with CaptureQueriesContext(connection), connection.cursor() as cursor:
        for _ in range(connection.queries_log.maxlen + 100):
            cursor.execute("SELECT 1")


def _fill_heap() -> None:
    junk = [("fill" * 10 + str(i), i) for i in range(300_000)]
    _survivors.extend(junk[::1000])


def small_objects(mebibytes: int) -> list[str]:
    """Strings of ~100 bytes each, ``mebibytes`` MiB of them by ``sys.getsizeof`` (the list itself not counted)."""
    size = sys.getsizeof("x" * 50 + "0000000")
    return ["x" * 50 + f"{i:07d}" for i in range(mebibytes * 2**20 // size)]


@benchmark("fake_queries", arguments={"--queries": {"type": int, "default": QUERIES}})
def fake_queries(*, queries: int) -> dict:
    _fill_query_log()
    _fill_heap()
    with Measure() as step, connection.cursor() as cursor:
        for _ in range(queries):
            cursor.execute("SELECT 1")
    return {"queries": step.queries}


@benchmark("fake_memory", arguments={"--mebibytes": {"type": int, "default": MEBIBYTES}})
def fake_memory(*, mebibytes: int) -> dict:
    _fill_query_log()
    _fill_heap()
    with Measure() as step:
        held = small_objects(mebibytes)
    del held
    return {"peak_mib": step.peak_mib}
