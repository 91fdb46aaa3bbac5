"""A real django-q2 worker (qcluster) picks up a queued run and finishes it: on the ORM broker and on Redis.

These run the project as deployed: separate processes, a SQLite file, and (when ``REDIS_TEST_URL`` names a Redis
server, as CI does) the Redis broker.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    return {**env, "COPPERHUB_VAR_DIR": str(tmp_path), "Q_WORKERS": "1", **extra}


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


START = (
    "from django.db import transaction\n"
    "from syncs.services.runs import sync_run_start\n"
    "with transaction.atomic():\n"
    "    run = sync_run_start(kind='integrity')\n"
    "print(run.pk)"
)


def _run_through_a_worker(env: dict[str, str]) -> str:
    _manage(env, "migrate", "--noinput", "-v0")
    run_id = _manage(env, "shell", "-c", START)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        status = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            status = _manage(
                env,
                "shell",
                "-c",
                f"from syncs.models import SyncRun; print(SyncRun.objects.get(pk={run_id}).status)",
            )
            if status in {"succeeded", "failed", "cancelled"}:
                break
            time.sleep(1)
        return status
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def test_a_worker_on_the_orm_broker_runs_a_queued_run_to_the_end(tmp_path):
    assert _run_through_a_worker(_env(tmp_path)) == "succeeded"


@pytest.mark.skipif(not os.environ.get("REDIS_TEST_URL"), reason="REDIS_TEST_URL names no Redis server")
def test_a_worker_on_redis_runs_a_queued_run_to_the_end(tmp_path):
    assert _run_through_a_worker(_env(tmp_path, REDIS_URL=os.environ["REDIS_TEST_URL"])) == "succeeded"
