"""The town's work order list and the district's overview, 1,000 villages against 50.

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python bench/supervision.py [--orders 50]

PostgreSQL only (the overview reads counts a trigger keeps). A database
``meijia_bench_supervision_<pid>`` is created on the same server, migrated, and dropped at the end.
It gets two districts: a small one (one town of 50 villages) and a large one (20 towns of 50
villages: 1,000 villages), ``--orders`` work orders in every village (one in five late, a few
in every status), and a town and a district administrator in each. Then, through Django's test
client with DEBUG off, for each district: the SQL queries and the median time of five requests
of the town administrator's ``/supervision/orders/`` (the first 200 of the town's orders, late
first) and of the district administrator's ``/supervision/overview/`` (orders by town and
status). Both pages must cost the same number of queries in both districts and the large
district's time must be at most 1.5 times the small one's.

Recorded result, 2026-12-03, on a 2-vCPU container shared with several other test suites (load
about 9; expect +-30%), PostgreSQL on localhost, ``--orders 50``:

    set-up: 50 and 1,000 villages × 50 orders (218 s)
    /supervision/orders/ (town_admin): 7 queries and 625.9 ms for 50 villages, 7 queries and
        555.9 ms for 1,000; time ratio 0.89
    /supervision/overview/ (district_admin): 7 queries and 80.7 ms for 50 villages, 7 queries
        and 98.7 ms for 1,000; time ratio 1.22

The town's list reads its own town's orders through the (area, status) index whatever the
district's size (most of its time is rendering 200 cards on a loaded machine); the overview reads
the trigger's kept counts of 1 town or 20, never the 52,500 orders.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch import create_database, drop_database, start_django  # noqa: E402

VILLAGES_PER_TOWN = 50
RUNS = 5
_codes = iter(range(10**6))


def _code() -> str:
    return f"3798{next(_codes):08d}"


def build_district(name: str, towns: int, orders: int) -> dict:
    from django.utils import timezone

    from registry.models import Area, RoleAssignment, User
    from registry.services import role_assign
    from supervision.models import Category, WorkOrder

    district = Area.add_root(name=name, code=_code(), level="district", kind="district")
    category, _created = Category.objects.get_or_create(
        code="bench", defaults={"name": "三大堆", "source": "inspection", "days": 7}
    )
    now = timezone.now()
    statuses = ["assigned"] * 6 + ["done", "checked", "closed", "reopened"]
    first_town = None
    for t in range(towns):
        town = Area.objects.get(pk=district.pk).add_child(
            name=f"{name}{t + 1}镇", code=_code(), level="town", kind="town"
        )
        first_town = first_town or town
        rows = []
        for v in range(VILLAGES_PER_TOWN):
            village = Area.objects.get(pk=town.pk).add_child(
                name=f"{t + 1}镇{v + 1}村", code=_code(), level="village", kind="village"
            )
            for n in range(orders):
                status = statuses[n % len(statuses)]
                late = n % 5 == 0 and status in WorkOrder.ACTIVE
                rows.append(
                    WorkOrder(
                        category=category,
                        source="inspection",
                        title=f"问题{n}",
                        area=village,
                        assignee_area=village,
                        status=status,
                        deadline_at=now + dt.timedelta(days=-2 if late else 5, minutes=n),
                        is_overdue=late,
                        created_at=now - dt.timedelta(days=10),
                    )
                )
        WorkOrder.objects.bulk_create(rows, batch_size=2000)
    people = {}
    for role, area in (("town_admin", first_town), ("district_admin", district)):
        user = User.objects.create_user(username=f"{name}-{role}", password="bench-pass-123")
        role_assign(user=user, role=getattr(RoleAssignment.Role, role.upper()), area=area)
        people[role] = User.objects.get(pk=user.pk)
    return people


def measure(client, url: str) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm up (session, caches)
    times = []
    for _run in range(RUNS):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries), statistics.median(times)


def run(url: str, orders: int) -> int:
    start_django(url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from tests.factories import force_login_with_totp

    began = time.perf_counter()
    small = build_district("小区", 1, orders)
    large = build_district("大区", 1000 // VILLAGES_PER_TOWN, orders)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"set-up: 50 and 1,000 villages × {orders} orders ({time.perf_counter() - began:.0f} s)",
        flush=True,
    )
    ok = True
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for page, role in (
            ("/supervision/orders/", "town_admin"),
            ("/supervision/overview/", "district_admin"),
        ):
            figures = []
            for people in (small, large):
                client = Client()
                force_login_with_totp(client, people[role])
                figures.append(measure(client, page))
            (q_small, t_small), (q_large, t_large) = figures
            ratio = t_large / t_small
            print(
                f"{page} ({role}): {q_small} queries and {1000 * t_small:.1f} ms for 50 villages, "
                f"{q_large} queries and {1000 * t_large:.1f} ms for 1,000; time ratio {ratio:.2f}"
            )
            ok = ok and q_small == q_large and ratio <= 1.5
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=50, help="orders per village (default 50)")
    args = parser.parse_args(argv)
    base_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(base_url).scheme not in {"postgres", "postgresql", "pgsql"}:
        print("bench/supervision.py measures PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    name = f"meijia_bench_supervision_{os.getpid()}"
    url = create_database(base_url, name)
    try:
        return run(url, args.orders)
    finally:
        drop_database(base_url, name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
