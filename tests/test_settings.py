"""The settings module is safe to deploy and switches backends from the environment alone."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "k3y-" + "Zq8!xR2#vL9@mN4$pW7%tY1^bC6&hJ3*gF5(dS0)aE" * 2,
    "DJANGO_ALLOWED_HOSTS": "copperhub.example.com",
}


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, "COPPERHUB_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = _manage("check", env={**env, "COPPERHUB_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_with_debug_on(tmp_path):
    result = _manage("check", env={**PRODUCTION, "DJANGO_DEBUG": "1", "COPPERHUB_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off when DJANGO_ENV=production" in result.stderr


def test_production_refuses_the_public_development_key(tmp_path):
    key = "django-insecure-development-only-key-never-use-in-production"
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": key, "COPPERHUB_VAR_DIR": str(tmp_path)}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is the public development key" in result.stderr


def test_production_with_debug_on_and_no_key_does_not_fall_back_to_the_development_key(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = _manage("check", env={**env, "DJANGO_DEBUG": "true", "COPPERHUB_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_development_still_starts_with_debug_and_the_development_key(tmp_path):
    result = _manage("check", env={"DJANGO_DEBUG": "1", "COPPERHUB_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr


def test_the_task_broker_never_hands_a_running_task_to_a_second_worker(settings):
    assert settings.Q_CLUSTER["retry"] > settings.Q_CLUSTER["timeout"]


def test_database_url_and_redis_url_switch_the_backends(tmp_path):
    code = (
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['ENGINE']);"
        "print(settings.Q_CLUSTER.get('redis'), settings.Q_CLUSTER.get('orm'))"
    )
    result = _manage(
        "shell",
        "-c",
        code,
        env={
            "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "COPPERHUB_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.postgresql" in result.stdout
    assert "redis://127.0.0.1:6379/0 None" in result.stdout


def test_the_embedded_default_is_sqlite_in_wal_mode(tmp_path):
    code = "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    result = _manage("shell", "-c", code, env={"COPPERHUB_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wal"
