"""Read replicas against a real streaming replica: the test starts an embedded primary and a
replica of it (pg_basebackup, streaming) on local ports and runs tests/site/replica_probe.py
against them in a child process (its settings name the replica)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from meijia.db_router import ReplicaRouter
from meijia.embedded_pg import Server, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_reads_that_may_lag_go_to_the_replica_and_a_read_after_a_write_to_the_primary(pg_folder):
    primary = Server(data_dir=pg_folder / "primary", port=free_port(), fast=True)
    replica = Server(data_dir=pg_folder / "replica", port=free_port(), fast=True)
    try:
        primary_url = primary.ensure_running()
        replica.initialise_as_replica_of(primary)
        replica.start()
        env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("MEIJIA_")},
            "DATABASE_URL": primary_url,
            "DATABASE_REPLICA_URLS": replica.url("meijia"),
            "DJANGO_SETTINGS_MODULE": "meijia.settings",
        }
        result = subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "tests" / "site" / "replica_probe.py")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        replica.stop()
        primary.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["aliases"] == ["default", "replica1"]
    assert seen["replica_in_recovery"] is True  # a real standby, not a second primary
    # A read that may lag goes to the replica, which streamed the primary's write.
    assert seen["read_alias"] == "replica1"
    assert seen["replicated_read"] == ["复制区"]
    # With replay paused the replica shows the old name: the read really came from it …
    assert seen["primary_read"] == "复制区（改）"
    assert seen["lagging_read"] == "复制区"
    # … but once the same context has written, its reads go to the primary and see the write.
    assert seen["own_write_read"] == "370000000009"
    assert seen["own_write_alias"] == "default"
    # The middleware: a listed view's GET reads the replica; its POST and the counter do not.
    assert seen["history_get"] == "replica1"
    assert seen["history_post"] == "default"
    assert seen["counter_get"] == "default"
    assert seen["after_requests"] == "default"
    assert seen["caught_up_read"] == "复制区（改）"


def test_without_replicas_everything_reads_the_primary(settings):
    from meijia.db_router import replica_reads
    from registry.models import Area

    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Area) == "default"
    assert router.db_for_write(Area) == "default"
    assert router.allow_migrate("default", "registry")
    assert not router.allow_migrate("replica1", "registry")
