"""Production refuses to start with settings that would make it unsafe, and says what to set."""

import os
import subprocess
import sys

import pytest

from tests.site.test_settings import PRODUCTION, ROOT

# Everything the settings read that could leak in from the test run's own environment.
READ_BY_SETTINGS = {
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "DEBUG",
    "MEIJIA_ENV",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "SMS_BACKEND",
    "SMS_GATEWAY_URL",
    "TRUSTED_PROXIES",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _start(environment: dict) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in READ_BY_SETTINGS}
    env.update(environment)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "meijia.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _without(*names: str) -> dict:
    return {key: value for key, value in PRODUCTION.items() if key not in names}


def test_the_documented_environment_starts():
    result = _start(PRODUCTION)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("change", "says"),
    [
        # the repository's own development key signs cards anyone could forge
        (
            {"SECRET_KEY": "dev-only-meijia-key-never-used-in-production-0123456789abcdef"},
            "SECRET_KEY must be 50 or more random characters",
        ),
        ({"SECRET_KEY": "s3cret-but-short-0123456789"}, "SECRET_KEY must be 50 or more"),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY must be 50 or more"),
        ({"REDIS_URL": ""}, "REDIS_URL is not set"),
        ({"CELERY_BROKER_URL": ""}, "CELERY_BROKER_URL is not set"),
        ({"CELERY_TASK_ALWAYS_EAGER": "1"}, "CELERY_TASK_ALWAYS_EAGER must be off"),
        ({"SMS_GATEWAY_URL": ""}, "SMS_GATEWAY_URL is not set"),
        ({"SMS_BACKEND": "http", "SMS_GATEWAY_URL": ""}, "SMS_GATEWAY_URL is not set"),
        ({"SMS_BACKEND": "console"}, "SMS_BACKEND=console sends no text"),
        ({"TRUSTED_PROXIES": "127.0.0.1,nginx"}, "TRUSTED_PROXIES: 'nginx'"),
    ],
)
def test_production_refuses_an_unsafe_setting_and_says_what_to_set(change, says):
    result = _start({**PRODUCTION, **change})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert says in result.stderr, result.stderr[-1500:]


def test_every_missing_setting_is_named_at_once():
    result = _start(_without("REDIS_URL", "CELERY_BROKER_URL", "SMS_GATEWAY_URL"))
    assert result.returncode != 0
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "SMS_GATEWAY_URL"):
        assert f"{name} is not set" in result.stderr
