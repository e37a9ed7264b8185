"""Run by tests/site/test_replicas.py in a child process whose settings have a real streaming
replica (DATABASE_URL: the primary, DATABASE_REPLICA_URLS: the replica). Prints what it saw as
JSON. Not a test module itself: its settings differ from the suite's."""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wait_for_replay(primary, replica) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    with primary.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        (target,) = cursor.fetchone()
    for _attempt in range(300):
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.1)
    raise RuntimeError("the replica did not catch up")


def main() -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meijia.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections, router
    from django.test import RequestFactory

    from meijia.db_router import ReplicaReadsMiddleware, replica_reads
    from registry.models import Area

    call_command("migrate", "registry", verbosity=0)
    primary, replica = connections["default"], connections["replica1"]
    seen: dict = {"aliases": sorted(connections.settings)}
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        seen["replica_in_recovery"] = cursor.fetchone()[0]

    district = Area.add_root(name="复制区", code="370000000001", level="district", kind="district")
    wait_for_replay(primary, replica)
    with replica_reads():
        seen["replicated_read"] = list(Area.objects.values_list("name", flat=True))
        seen["read_alias"] = Area.objects.all().db

    # Stop the replica replaying: what the primary writes now, the replica cannot show.
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    Area.objects.filter(pk=district.pk).update(name="复制区（改）")
    seen["primary_read"] = Area.objects.get(pk=district.pk).name
    with replica_reads():
        seen["lagging_read"] = Area.objects.get(pk=district.pk).name
        # A write in the same context: later reads must see it, so they go to the primary.
        Area.objects.filter(pk=district.pk).update(code="370000000009")
        seen["own_write_read"] = Area.objects.get(pk=district.pk).code
        seen["own_write_alias"] = Area.objects.all().db

    # The middleware: only listed views, only on GET.
    def view(request):
        return router.db_for_read(Area)

    middleware = ReplicaReadsMiddleware(lambda request: request.view_result)
    factory = RequestFactory()
    for name, method, view_name in (
        ("history_get", "get", "household_history"),
        ("history_post", "post", "household_history"),
        ("counter_get", "get", "shops:counter"),
    ):
        request = getattr(factory, method)("/")
        request.resolver_match = type("Match", (), {"view_name": view_name})()

        def respond(request, view_name=view_name):
            middleware.process_view(request, view, (), {})
            request.view_result = view(request)
            return request.view_result

        middleware.get_response = respond
        seen[name] = middleware(request)
    seen["after_requests"] = router.db_for_read(Area)

    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    wait_for_replay(primary, replica)
    with replica_reads():
        seen["caught_up_read"] = Area.objects.get(pk=district.pk).name
    return seen


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
