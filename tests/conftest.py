import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.db import connection

from meijia import sms
from meijia.celery import app as celery_app

STRICT = os.environ.get("MEIJIA_STRICT_SKIPS") == "1"


def pytest_sessionfinish(session, exitstatus):
    """In CI (MEIJIA_STRICT_SKIPS=1) a skipped test of PostgreSQL's behaviour or a skipped browser
    journey fails the run (nothing skips them on purpose: a skip means something is missing)."""
    if not STRICT:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [
        report
        for report in reporter.stats.get("skipped", [])
        if {"postgres", "browser"} & set(getattr(report, "keywords", {}))
    ]
    if skipped:
        reporter.write_line(
            f"FAILED: {len(skipped)} PostgreSQL or browser tests were skipped in strict mode",
            red=True,
        )
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, monkeypatch):
    settings.SMS_BACKEND = "locmem"
    # Texts go whatever the hour the suite runs at, and as many as a test sends: the tests of
    # quiet hours and the daily cap (tests/outbox/test_preferences.py) set them explicitly.
    from outbox import services as outbox_services

    monkeypatch.setattr(outbox_services, "QUIET_FROM", 24)
    monkeypatch.setattr(outbox_services, "QUIET_UNTIL", 0)
    monkeypatch.setattr(outbox_services, "SMS_DAILY_CAP", 10**6)
    # Tests run tasks in-process even where CELERY_BROKER_URL points at a real broker.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }
    sms.outbox.clear()
    from django.core.cache import caches

    for alias in ("default", "pages"):
        caches[alias].clear()
    yield


@pytest.fixture
def pg_folder():
    """A folder for servers' data outside pytest's own temporary tree: as root the servers run
    as the system user embedded_postgres, and every pytest session on the machine resets that
    tree to 0700 (the user could no longer reach its data)."""
    folder = Path(tempfile.mkdtemp(prefix="meijia-pg-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def worker_mode():
    """As in production: tasks go to a broker (none is called) and beat sends the outbox."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def tree(db):
    from tests.factories import make_tree

    return make_tree()


__all__ = ["connection"]
