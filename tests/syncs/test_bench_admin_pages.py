"""``manage.py bench admin_pages`` builds a (tiny) world, fetches every admin page and prints each one's figures."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

import syncs.bench


@pytest.fixture
def tiny_world_bench(monkeypatch, tmp_path):
    # The child opens a throwaway SQLite file, never the project's database.
    monkeypatch.setenv("SQLITE_PATH", str(tmp_path / "bench.sqlite3"))
    monkeypatch.delenv("DATABASE_URL", raising=False)  # benchmarks refuse PostgreSQL (CI's second pass sets it)
    registry = syncs.bench.benchmarks_discover()
    monkeypatch.setattr(syncs.bench, "BENCHMARKS", {"admin_pages": registry["admin_pages"]})


def test_bench_admin_pages_times_every_kind_of_admin_page_on_a_tiny_world(tiny_world_bench):
    out = StringIO()
    call_command("bench", "admin_pages", "--companies", "8", "--repeat", "1", stdout=out)
    output = out.getvalue()
    timed = dict(re.findall(r"^  (/admin/\S*)\s+(\d+)\s+\d+\s+\d+(?:  SLOW)?$", output, flags=re.MULTILINE))
    for page in (
        "/admin/",
        "/admin/copper/coppercompany/",
        "/admin/integrity/integrityreport/audit/",
        "/admin/integrity/integrityreport/audit/?run=1",
        "/admin/integrity/integrityreport/audit/rollback/1/",
        "/admin/metrics/changeset/1/review/",
        "/admin/commissions/commissionline/report/",
        "/admin/integrity/alert/",
    ):
        assert page in timed, f"{page} not measured:\n{output}"
    # A change page of one object of a model, not of every object.
    assert len([p for p in timed if re.fullmatch(r"/admin/copper/coppercompany/\d+/change/", p)]) == 1
    pages = int(re.search(r"^  pages: (\d+)$", output, flags=re.MULTILINE).group(1))
    assert pages >= len(timed) > 40
    assert re.search(r"^  change_set_changes: [1-9]\d*$", output, flags=re.MULTILINE)
    assert re.search(r"^  target_met: (True|False)$", output, flags=re.MULTILINE)
