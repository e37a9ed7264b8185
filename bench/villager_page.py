"""The pages each kind of user opens daily, at 10,000 and at 1,000,000 households in one run.

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python bench/villager_page.py \
        [--small 10000] [--large 1000000] [--per-village 200] [--requests 50]

PostgreSQL only. A database ``meijia_bench_page_<pid>`` is created on the same server, migrated,
and dropped at the end, also after an error. It gets a district → towns → villages tree (made with
treebeard's ``add_root``/``add_child``), then households filled with raw SQL (``generate_series``):
each with a head member, a household account, 20 awards recorded this month (20 ledger
transactions, 40 postings: the household leg with its sequence and running balance, and the
district pool's leg, so the pool holds half of all postings, as in a real district; the hash chain
holds dummy strings, the bench measures reads only) and the kept month row the ledger's function
writes with them (``points_householdmonth``).

Villages keep ``--per-village`` households each (default 200), so the district grows by adding
villages, as a real one does: 50 villages at 10,000 households, 5,000 at 1,000,000. Village no. 1
is the same at both sizes, with its people signed in with ``force_login`` (``daily_pages``):

- the villager of household no. 1: their home (``/household/1/``: balance, this month's earnings,
  rank in the village) and their points history;
- the shopkeeper of the village's 美家超市 (12 items, four with a monthly limit): the counter's
  preview of household no. 1's printed card (a POST, as the scanner sends it);
- a committee member: today's sorting round of the village (20 households graded through the
  real services, so the sheet and the claims are real);
- a second committee member: the approval queue those grades wait in (Wagtail admin).

Each page gets an untimed warm-up, then ``--requests`` timed requests through
``django.test.Client``; the median is taken and the SQL queries of one more request counted. The
database then grows to ``--large`` households with the same SQL, is analysed, and every page is
timed again. Printed: the medians and queries at each size, and per page the ratio large ÷ small.
The target: every page under 1.5, with the same number of queries (a page's cost must not grow
with the province). Django runs with DEBUG off; connections have JIT and parallel workers off, as
in production (settings ``DB_SESSION_OPTIONS``).

Recorded result, on a shared 2-vCPU container (seven engineers' jobs; PostgreSQL 15.20 on
localhost, Django 5.2.19, psycopg 3.3.9, Python 3.11.7), ``--small 10000 --large 1000000``, 50
timed requests a page and size. The fill to a million took 905 s (594 s of it the 40 million
postings). The machine was busier during the 10,000 step (a test run of ours beside it, load
about 3) than during the 1,000,000 step, so the ratios under 1 say "flat", not "faster":

     10,000 households (50 villages, 400,000 postings)
        villager home     median   20.14 ms a request, 14 SQL queries
        villager history  median   16.91 ms a request,  8 SQL queries
        counter preview   median   21.48 ms a request, 10 SQL queries
        sorting round     median  127.28 ms a request,  7 SQL queries
        approval queue    median   55.87 ms a request, 12 SQL queries
    1,000,000 households (5,000 villages, 40,000,000 postings)
        villager home     median   18.44 ms a request, 14 SQL queries
        villager history  median   13.49 ms a request,  8 SQL queries
        counter preview   median   11.90 ms a request, 10 SQL queries
        sorting round     median   72.68 ms a request,  7 SQL queries
        approval queue    median   31.34 ms a request, 12 SQL queries
    ratio 1,000,000 ÷ 10,000 (target under 1.5, the same queries):
        villager home      0.92  queries 14 → 14  OK
        villager history   0.80  queries 8 → 8  OK
        counter preview    0.55  queries 10 → 10  OK
        sorting round      0.57  queries 7 → 7  OK
        approval queue     0.56  queries 12 → 12  OK

A second run right after, on a quieter machine (``--large 200000``): at 10,000 households
17.50, 14.20, 11.65, 74.83 and 31.90 ms (home, history, preview, round, queue), at 200,000
18.89, 13.71, 12.03, 71.73 and 31.31 ms, ratios 1.08, 0.97, 1.03, 0.96 and 0.98, the same
queries. Its 10,000 step against the 1,000,000 step above: 1.05, 0.95, 1.02, 0.97 and 0.98.

Before issue 20 the villager home took 21.4 ms at 10,000 and 102.1 ms at 1,000,000 (4.78×): the
village ranking summed postings, and at a million a skewed estimate gave it a parallel
sequential scan compiled with JIT. It now reads the kept month rows (0.3 ms at 910,000, see
``--explain``), and connections run without JIT or parallel workers.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
import scratch  # noqa: E402
from scratch import create_database, drop_database  # noqa: E402

AWARDS = 20  # awards per household
CHUNK = 50_000  # households per fill statement
VILLAGES_PER_TOWN = 50
WARM_UP = 10
SORTING_RULES = [  # code, kind, name, points (as the demo's district has them)
    ("sorting-excellent", "earn", "垃圾分类 优", 3),
    ("sorting-good", "earn", "垃圾分类 良", 2),
    ("sorting-pass", "earn", "垃圾分类 合格", 1),
    ("sorting-fail", "deduct", "垃圾分类 不合格", 2),
]
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
           NULL, '', NULL, NULL, %(today)s::date, now()
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
    # the kept month row the ledger's function writes with those awards
    """
    INSERT INTO points_householdmonth (household_id, month, awarded, redeemed, voided, reversed,
                                       expired, adjusted)
    SELECT i, date_trunc('month', %(today)s::date)::date, 20 * (1 + i %% 10), 0, 0, 0, 0, 0
    FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
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
                "today": today(),
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
        "  fill seconds (households, members, accounts, transactions, postings, months): "
        + ", ".join(f"{value:.1f}" for value in spent),
        file=sys.stderr,
    )
    return time.perf_counter() - started


def today():
    from django.utils import timezone

    return timezone.localdate()


def measure(page: "Page", requests: int) -> tuple[float, int]:
    """Median seconds of ``requests`` requests of ``page`` after a warm-up, and its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        response = page.send()
        if response.status_code != 200:
            raise RuntimeError(f"{page.name} {page.url} answered {response.status_code}")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        page.send()
        timings.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        page.send()
    return statistics.median(timings), len(captured.captured_queries)


def postings_queries() -> dict[str, tuple[str, list]]:
    """The queries over postings by account that the pages and the daily jobs run for household
    no. 1 (SQL and parameters), taken from the real selectors where they can be called alone."""
    from django.db import connection
    from django.db.models import Sum
    from django.test.utils import CaptureQueriesContext

    from points.models import Account, Posting
    from points.selectors.ledger import household_history_list, household_points_get
    from points.selectors.rules import _counted_postings
    from points.services.expiry import household_lots_list
    from registry.models import Household

    household = Household.objects.get(pk=1)
    account = Account.objects.get(household=household)

    def captured(call, table: str) -> tuple[str, list]:
        with CaptureQueriesContext(connection) as context:
            call()
        return next(q["sql"] for q in context.captured_queries if table in q["sql"]), []

    year = today().replace(month=1, day=1)
    queries = {
        "rank": captured(lambda: household_points_get(household=household), "householdmonth"),
        "history": household_history_list(household=household)[:20].query.sql_with_params(),
        "expiry lots": captured(
            lambda: household_lots_list(account_id=account.pk), "points_posting"
        ),
        "verify chain": Posting.objects.filter(account=account)
        .select_related("transaction")
        .order_by("sequence")
        .query.sql_with_params(),
        "caps": _counted_postings("sorting-excellent")
        .filter(account__household=household, transaction__occurred_on__gte=year)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .query.sql_with_params(),
    }
    return {name: (sql, list(params)) for name, (sql, params) in queries.items()}


def explain(size: int) -> None:
    """EXPLAIN ANALYZE of each query over postings, with its estimate against what it found."""
    from django.db import connection

    for name, (sql, params) in postings_queries().items():
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        print(f"  EXPLAIN {name} at {size:,} households:")
        for line in plan:
            print(f"    {line}")


@dataclass
class Page:
    """One page a kind of user opens daily, as that user's browser asks for it."""

    name: str
    client: object
    url: str
    data: dict | None = None  # a POST's form, else a GET

    def send(self):
        if self.data is None:
            return self.client.get(self.url)
        return self.client.post(self.url, self.data)


def daily_pages(district: District) -> list[Page]:
    """The users of village no. 1 (households 1..per_village) and what they open every day: the
    villager (household no. 1) their home and history; the shopkeeper of the village's 美家超市
    the preview of household no. 1's printed card; a committee member today's sorting round (20
    households graded), and a second member the approval queue those grades wait in."""
    from django.test import Client

    from points.services.rules import rule_create
    from points.services.sorting import sorting_check_record, sorting_round_open
    from registry.models import Area, Household, RoleAssignment, User
    from registry.services.codes import card_token
    from registry.services.register import role_assign
    from shops.models import CatalogueItem, Store
    from shops.services.stock import stock_move
    from shops.services.stores import store_shopkeeper_add

    village = Area.objects.get(pk=district.villages[0])

    def user(username: str, phone: str) -> User:
        return User.objects.create(username=username, phone=phone, name="基准" + username[-4:])

    villager = user("bench-villager", "13800000001")
    RoleAssignment.objects.create(user=villager, role=RoleAssignment.Role.VILLAGER, household_id=1)
    scorer, checker = user("bench-scorer", "13800000002"), user("bench-checker", "13800000003")
    for member in (scorer, checker):
        role_assign(user=member, role=RoleAssignment.Role.COMMITTEE, area=village)
    keeper = user("bench-keeper", "13800000004")
    store = Store.objects.create(name="基准美家超市", area=village, address="村委会旁")
    store.villages.set([village])
    store_shopkeeper_add(store=store, user=keeper)
    for number in range(12):
        item = CatalogueItem.objects.create(
            store=store,
            name=f"商品{number + 1}",
            unit="件",
            points_price=5 + number,
            monthly_limit=2 if number % 3 == 0 else None,
        )
        stock_move(item=item, quantity=100, kind="delivery", actor=None)
    for code, kind, name, points in SORTING_RULES:
        rule_create(
            actor=None,
            area=district.root,
            code=code,
            category="sorting",
            kind=kind,
            is_published=True,
            name=name,
            points=points,
            valid_from=datetime.date(2020, 1, 1),
        )
    round_ = sorting_round_open(village=village, actor=scorer, held_on=today())
    grades = ["excellent", "good", "pass", "fail"]
    for household in Household.objects.filter(village=village).order_by("pk")[:20]:
        sorting_check_record(
            round=round_,
            household=household,
            grade=grades[household.pk % len(grades)],
            actor=scorer,
            idempotency_key=f"bench-sorting:{household.pk}",
        )

    clients = {}
    for member in (villager, keeper, scorer, checker):
        clients[member.pk] = Client()
        clients[member.pk].force_login(member)
    card = card_token(Household.objects.get(pk=1))
    return [
        Page("villager home", clients[villager.pk], "/household/1/"),
        Page("villager history", clients[villager.pk], "/household/1/points/"),
        Page(
            "counter preview",
            clients[keeper.pk],
            f"/shops/counter/{store.pk}/preview/",
            {"code": card},
        ),
        Page("sorting round", clients[scorer.pk], f"/scoring/sorting/{round_.pk}/"),
        Page("approval queue", clients[checker.pk], "/admin/points/claims/"),
    ]


def run(
    url: str, small: int, large: int, per_village: int, requests: int, plans: bool = False
) -> int:
    import django
    import psycopg

    start_django(url)
    from django.db import connection

    from points.models import Account, Posting

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

    pages = daily_pages(district)
    results: dict[str, dict[int, tuple[float, int]]] = {page.name: {} for page in pages}
    for size in (small, large):
        if size > small:
            seconds = fill(district, small + 1, size, per_village)
            print(f"grown to {size:,} households in {seconds:.1f} s", flush=True)
        postings = Posting.objects.count()
        print(
            f"{size:>9,} households ({len(district.villages):,} villages, {postings:,} postings)",
            flush=True,
        )
        if plans:
            explain(size)
        for page in pages:
            median, queries = measure(page, requests)
            results[page.name][size] = (median, queries)
            print(
                f"    {page.name:<17} median {1000 * median:7.2f} ms a request, "
                f"{queries:>2} SQL queries",
                flush=True,
            )
    failed = 0
    print(f"ratio {large:,} ÷ {small:,} (target under 1.5, the same queries):")
    for name, by_size in results.items():
        (fast, few), (slow, many) = by_size[small], by_size[large]
        ratio = slow / fast
        ok = ratio < 1.5 and few == many
        failed += not ok
        print(
            f"    {name:<17} {ratio:5.2f}  queries {few} → {many}  "
            f"{'OK' if ok else 'TOO SLOW' if few == many else 'MORE QUERIES'}"
        )
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000, help="default 10,000 households")
    parser.add_argument("--large", type=int, default=1_000_000, help="default 1,000,000")
    parser.add_argument("--per-village", type=int, default=200, help="households a village")
    parser.add_argument("--requests", type=int, default=50, help="timed requests a size")
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of the queries over postings"
    )
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
        return run(url, args.small, args.large, args.per_village, args.requests, args.explain)
    finally:
        drop_database(base_url, name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
