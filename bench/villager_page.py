"""The villager page's server time at 10,000 and at 1,000,000 households, as a ratio.

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python bench/villager_page.py \
        [--small 10000] [--large 1000000] [--per-village 200] [--requests 50]

PostgreSQL only. A database ``meijia_bench_page_<pid>`` is created on the same server, migrated,
and dropped at the end, also after an error. It gets a district → towns → villages tree (made with
treebeard's ``add_root``/``add_child``), then households filled with raw SQL (``generate_series``):
each with a head member, a household account and 20 awards recorded this month (20 ledger
transactions, 40 postings: the household leg with its sequence and running balance, and the
district pool's leg; the hash chain holds dummy strings, the bench measures reads only).

Villages keep ``--per-village`` households each (default 200), so the district grows by adding
villages, as a real one does: 50 villages at 10,000 households, 5,000 at 1,000,000. The villager's
own village is the same at both sizes.

A villager linked to household no. 1 (a ``villager`` role) is signed in with ``force_login``; after
an untimed warm-up, ``--requests`` GETs of ``/household/<pk>/`` through ``django.test.Client`` are
timed, and the median is taken. The database then grows to ``--large`` households with the same
SQL, is analysed, and the same villager's page is timed again. Printed: both medians, the ratio
large ÷ small (the target is under 1.5: the page's cost must not grow with the district) and the
SQL queries a request sends at each size. Django runs with DEBUG off.

Recorded result, on a loaded 2-vCPU container (PostgreSQL 15.20 on localhost, Django 5.2.19),
``--large 200000`` because the fill runs at about 1.3 ms a household here (1,000,000 would take
about 25 minutes, almost all of it inserting transactions and postings):

     10,000 households (50 villages, 400,000 postings): median 58.28 ms a request, 14 SQL queries
    200,000 households (1,000 villages, 8,000,000 postings): median 61.49 ms a request, 14 queries
    ratio 200,000 ÷ 10,000: 1.06 (target under 1.5)
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
import scratch  # noqa: E402
from scratch import create_database, drop_database  # noqa: E402

AWARDS = 20  # awards per household
CHUNK = 50_000  # households per fill statement
VILLAGES_PER_TOWN = 50
WARM_UP = 10
POOL_ACCOUNT_ID = 1  # household no. i gets account id i + 1


def start_django(url: str) -> None:
    """The shared start (bench/scratch.py), then settings the test client needs."""
    scratch.start_django(url)
    from django.conf import settings

    settings.DEBUG = False
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


class District:
    """The area tree; adds villages (and towns to hold them) as the district grows."""

    def __init__(self) -> None:
        from registry.models import Area

        self.root = Area.add_root(
            name="基准区", code="379800000000", level=Area.Level.DISTRICT, kind=Area.Kind.DISTRICT
        )
        self.towns: list = []
        self.villages: list[int] = []

    def grow_to(self, villages: int) -> None:
        from registry.models import Area

        while len(self.villages) < villages:
            serial = len(self.villages)
            if serial % VILLAGES_PER_TOWN == 0:
                parent = Area.objects.get(pk=self.root.pk)
                self.towns.append(
                    parent.add_child(
                        name=f"基准{len(self.towns) + 1}镇",
                        code=f"3798{len(self.towns) + 1:04d}0000",
                        level=Area.Level.TOWN,
                        kind=Area.Kind.TOWN,
                    )
                )
            town = Area.objects.get(pk=self.towns[-1].pk)
            village = town.add_child(
                name=f"基准{serial + 1}村",
                code=f"3798{len(self.towns):04d}{serial % VILLAGES_PER_TOWN + 1:04d}",
                level=Area.Level.VILLAGE,
                kind=Area.Kind.VILLAGE,
            )
            self.villages.append(village.pk)


FILL = [
    # households no. lo..hi, village by number: (i - 1) // per_village
    """
    INSERT INTO registry_household (id, village_id, group_id, number, address, status,
                                    merged_into_id, card_version, created_at, updated_at)
    SELECT i, (%(villages)s::bigint[])[(i - 1) / %(per)s + 1], NULL, lpad(i::text, 8, '0'), '',
           'active', NULL, 1, now(), now()
    FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
    """,
    """
    INSERT INTO registry_member (id, household_id, name, relation, phone, id_number, birth_date)
    SELECT i, i, '基准' || i, 'head', '', '', NULL
    FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
    """,
    # amount per award: 1 + i % 10, so balance_after = s * amount and households rank differently
    """
    INSERT INTO points_account (id, kind, household_id, area_id, store_id, balance, posting_count,
                                last_hash, created_at)
    SELECT i + 1, 'household', i, NULL, NULL, 20 * (1 + i %% 10), 20, 'h' || i || ':20', now()
    FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
    """,
    # transaction (i - 1) * 20 + s is household i's award no. s
    """
    INSERT INTO points_ledgertransaction (id, kind, reason, idempotency_key, actor_id,
                                          approver_id, source_type, source_id, rule_code,
                                          rule_version, reverses_id, occurred_on, created_at)
    SELECT (i - 1) * 20 + s, 'award', '垃圾分类', 'bench:' || i || ':' || s, NULL, NULL, '',
           NULL, '', NULL, NULL, current_date, now()
    FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i, generate_series(1, 20) AS s
    """,
    # posting 2t - 1 is the household's leg of transaction t, posting 2t the pool's
    """
    INSERT INTO points_posting (id, transaction_id, account_id, amount, sequence, balance_after,
                                prev_hash, hash, created_at)
    SELECT 2 * t - 1 + leg, t,
           CASE leg WHEN 0 THEN i + 1 ELSE %(pool)s END,
           CASE leg WHEN 0 THEN 1 + i %% 10 ELSE -(1 + i %% 10) END,
           CASE leg WHEN 0 THEN s END,
           CASE leg WHEN 0 THEN s * (1 + i %% 10) END,
           CASE WHEN leg = 0 AND s > 1 THEN 'h' || i || ':' || (s - 1) ELSE '' END,
           CASE leg WHEN 0 THEN 'h' || i || ':' || s ELSE '' END,
           now()
    FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i, generate_series(1, 20) AS s,
         LATERAL (SELECT (i - 1) * 20 + s AS t) AS tx, generate_series(0, 1) AS leg
    """,
]

SEQUENCES = [
    ("registry_household", "id"),
    ("registry_member", "id"),
    ("points_account", "id"),
    ("points_ledgertransaction", "id"),
    ("points_posting", "id"),
]


def fill(district: District, start: int, end: int, per_village: int) -> float:
    """Households no. start..end (inclusive) with members, accounts and awards; seconds taken."""
    from django.db import connection

    started = time.perf_counter()
    spent = [0.0] * len(FILL)
    district.grow_to((end + per_village - 1) // per_village)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        for lo in range(start, end + 1, CHUNK):
            params = {
                "lo": lo,
                "hi": min(lo + CHUNK - 1, end),
                "per": per_village,
                "villages": district.villages,
                "pool": POOL_ACCOUNT_ID,
            }
            for index, statement in enumerate(FILL):
                begun = time.perf_counter()
                cursor.execute(statement, params)
                spent[index] += time.perf_counter() - begun
            print(f"  … {params['hi']:,} households", flush=True, file=sys.stderr)
        for table, column in SEQUENCES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "  # noqa: S608
                f"(SELECT max({column}) FROM {table}))"
            )
        cursor.execute("ANALYZE")
    print(
        "  fill seconds (households, members, accounts, transactions, postings): "
        + ", ".join(f"{value:.1f}" for value in spent),
        file=sys.stderr,
    )
    return time.perf_counter() - started


def measure(client, url: str, requests: int) -> tuple[float, int]:
    """Median seconds of ``requests`` GETs of ``url`` after a warm-up, and queries per request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return statistics.median(timings), len(captured.captured_queries)


def run(url: str, small: int, large: int, per_village: int, requests: int) -> int:
    import django
    import psycopg

    start_django(url)
    from django.db import connection
    from django.test import Client

    from points.models import Account, Posting
    from registry.models import RoleAssignment, User

    started = time.perf_counter()
    district = District()
    Account.objects.create(id=POOL_ACCOUNT_ID, kind=Account.Kind.POOL, area=district.root)
    seconds = fill(district, 1, small, per_village)
    print(
        f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}, "
        f"Django {django.get_version()}, psycopg {psycopg.__version__}, Python "
        f"{sys.version.split()[0]}; {per_village} households a village, {AWARDS} awards each, "
        f"{requests} timed requests a size (set-up {time.perf_counter() - started:.1f} s, "
        f"fill {seconds:.1f} s)",
        flush=True,
    )

    user = User.objects.create(username="bench-villager", phone="13800000001", name="基准村民")
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.VILLAGER, household_id=1)
    client = Client()
    client.force_login(user)
    page = "/household/1/"

    results = {}
    for size in (small, large):
        if size > small:
            seconds = fill(district, small + 1, size, per_village)
            print(f"grown to {size:,} households in {seconds:.1f} s", flush=True)
        postings = Posting.objects.count()
        median, queries = measure(client, page, requests)
        results[size] = median
        print(
            f"{size:>9,} households ({len(district.villages):,} villages, {postings:,} "
            f"postings): median {1000 * median:.2f} ms a request, {queries} SQL queries",
            flush=True,
        )
    ratio = results[large] / results[small]
    print(
        f"ratio {large:,} ÷ {small:,}: {ratio:.2f} (target under 1.5) — "
        f"{'OK' if ratio < 1.5 else 'TOO SLOW'}"
    )
    return 0 if ratio < 1.5 else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000, help="default 10,000 households")
    parser.add_argument("--large", type=int, default=1_000_000, help="default 1,000,000")
    parser.add_argument("--per-village", type=int, default=200, help="households a village")
    parser.add_argument("--requests", type=int, default=50, help="timed requests a size")
    args = parser.parse_args(argv)
    if not 0 < args.small < args.large or args.per_village < 1 or args.requests < 1:
        parser.error("need 0 < --small < --large, --per-village and --requests positive")
    base_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(base_url).scheme not in {"postgres", "postgresql", "pgsql"}:
        print(
            "bench/villager_page.py measures PostgreSQL only: set DATABASE_URL to a PostgreSQL "
            "server, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres "
            f"(got {base_url or 'nothing'!r}).",
            file=sys.stderr,
        )
        return 2
    name = f"meijia_bench_page_{os.getpid()}"
    url = create_database(base_url, name)
    try:
        return run(url, args.small, args.large, args.per_village, args.requests)
    finally:
        drop_database(base_url, name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
