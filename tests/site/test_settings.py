"""Production mode refuses to start half-configured, and passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "MEIJIA_ENV": "production",
    "SECRET_KEY": "k" * 20 + "-production-test-secret-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "meijia.example.cn",
    "DATABASE_URL": "postgres://meijia@127.0.0.1:5432/meijia",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "SMS_GATEWAY_URL": "https://sms-relay.internal/send",
}


def _run(args, extra_env):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "DEBUG",
            "MEIJIA_ENV",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "MEIJIA_PGPORT",
        }
    }
    env.update(extra_env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_its_settings():
    result = _run(["check"], {"MEIJIA_ENV": "production"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "ALLOWED_HOSTS" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_production_refuses_when_one_setting_is_missing():
    settings = {key: value for key, value in PRODUCTION.items() if key != "DATABASE_URL"}
    result = _run(["check"], settings)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_check_deploy_passes_with_no_warnings():
    result = _run(["check", "--deploy", "--fail-level", "DEBUG"], PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_development_starts_with_no_settings_at_all(pg_folder):
    """Without DATABASE_URL, settings start the embedded PostgreSQL (here in a throwaway folder,
    on the port they choose for it and record in it) and create its database."""
    from meijia.embedded_pg import PORT_FILE, Server

    data_dir = pg_folder / "pgdata"
    try:
        result = _run(["migrate", "--plan"], {"MEIJIA_PGDATA": str(data_dir)})
        assert result.returncode == 0, result.stderr
        port = int((data_dir / PORT_FILE).read_text())
        server = Server(data_dir=data_dir, port=port)
        assert server.is_running()
        assert "points.0001_initial" in result.stdout  # it read the (empty) database
        again = _run(["migrate", "--plan"], {"MEIJIA_PGDATA": str(data_dir)})
        assert again.returncode == 0, again.stderr  # the running server, on its recorded port
    finally:
        Server(data_dir=data_dir, port=0).stop()


def test_postgresql_prepares_the_counter_statements_unless_turned_off():
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    url = {"DATABASE_URL": "postgres://meijia@127.0.0.1:5432/meijia"}
    on = _run(["shell", "-c", code], url)
    off = _run(["shell", "-c", code], {**url, "DB_PREPARED_STATEMENTS": "0"})
    assert "'prepare_threshold': 5" in on.stdout, on.stderr
    assert "prepare_threshold" not in off.stdout and off.returncode == 0, off.stderr
