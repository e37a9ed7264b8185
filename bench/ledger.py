"""Awards per second through the ledger services against direct calls of its SQL function, as a ratio.

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python bench/ledger.py [--awards 2000]

PostgreSQL only (the row locks and the append-only triggers are what is being measured). A
database ``meijia_bench_ledger_<pid>`` is created on the same server, migrated, and dropped at the
end, also after an error. It gets a district with two villages and two equal sets of households
(``--households`` each, default 200), so both sides start from the same state:

* services: ``points_award`` for each award, one database transaction each, through Django;
* function: the ledger's PostgreSQL function ``meijia_ledger_record`` (points/sql/), which every
  service calls, called directly through a plain psycopg connection, one transaction and one
  prepared statement per award: the floor under the services, so the ratio is what Python and
  Django add.

Awards go round-robin over the households with unique keys; each side has an untimed warm-up.
Afterwards ``ledger_problems_list()`` verifies every chain and balance (the run fails if the
services' accounts show a problem). Django runs with DEBUG off (DEBUG on records every query).

Recorded result, 2026-12-03 09:11 UTC, on the 2-vCPU container while other engineers' test
suites ran on it (load average 6.6-7.4: absolute figures are low, the ratio is what to read);
Python 3.11.7, Django 5.2.19, psycopg 3.3.9, PostgreSQL 15.20 on localhost; ``--awards 1000``,
200 households a side:

    services:      116 awards/s  (8.63 s, 8.63 ms an award, 2 SQL statements)
    function:      138 awards/s  (7.24 s, 7.24 ms an award, 1 SQL statements)
    ratio services ÷ function: 0.84 (the services take 1.2× as long)
    verification: 400 accounts, 2,101 transactions, 2,101 household postings; problems: 0

The services' two statements: the household's district (the village's root, for the pool) and the
function's call. Most of either side's time is the COMMIT waiting for the shared disk.

Before the function (2026-11, the Python write path, 11 statements an award): services 96
awards/s against 916 for four raw SQL statements with the hash chain computed in Python (0.10).
"""

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
from scratch import create_database, drop_database, start_django  # noqa: E402

WARM_UP = 50
RAW_STATEMENTS = 1  # SELECT meijia_ledger_record(…)
RAW_CALL = (
    "SELECT transaction_id, refusal FROM meijia_ledger_record('award', %s, '基准测试', NULL, NULL, "
    "%s, 'pool', %s, NULL, %s, NULL, NULL, '', NULL, '', NULL, NULL, current_date, now())"
)


def build(households: int) -> tuple[list, list]:
    """A district, a town, two villages; two sets of ``households`` households with accounts."""
    from points.models import Account
    from registry.models import Area, Household

    district = Area.add_root(
        name="基准区", code="379900000001", level=Area.Level.DISTRICT, kind=Area.Kind.DISTRICT
    )
    town = Area.objects.get(pk=district.pk).add_child(
        name="基准镇", code="379900000002", level=Area.Level.TOWN, kind=Area.Kind.TOWN
    )
    villages = [
        Area.objects.get(pk=town.pk).add_child(
            name=f"基准{index + 1}村",
            code=f"37990000001{index}",
            level=Area.Level.VILLAGE,
            kind=Area.Kind.VILLAGE,
        )
        for index in range(2)
    ]
    made = Household.objects.bulk_create(
        Household(village=villages[serial % 2], number=f"{serial + 1:05d}")
        for serial in range(2 * households)
    )
    Account.objects.bulk_create(
        Account(kind=Account.Kind.HOUSEHOLD, household=household) for household in made
    )
    Account.objects.get_or_create(kind=Account.Kind.POOL, area=Area.objects.get(pk=district.pk))
    made = list(Household.objects.select_related("village").order_by("pk"))
    return made[:households], made[households:]


def award_amount(serial: int) -> int:
    return 1 + serial % 50


def services_awards(households: list, first: int, count: int) -> float:
    """Award ``count`` times through the services; seconds taken."""
    from points.services import points_award

    started = time.perf_counter()
    for serial in range(first, first + count):
        points_award(
            household=households[serial % len(households)],
            amount=award_amount(serial),
            reason="基准测试",
            idempotency_key=f"bench:services:{serial}",
            actor=None,
        )
    return time.perf_counter() - started


def raw_awards(connection, households: list, pool_area_id: int, first: int, count: int) -> float:
    """The same awards as direct calls of the ledger's SQL function (meijia_ledger_record) on a
    plain psycopg connection, one transaction each; seconds taken."""
    started = time.perf_counter()
    for serial in range(first, first + count):
        household = households[serial % len(households)]
        with connection.cursor() as cursor:
            cursor.execute(
                RAW_CALL,
                (f"bench:raw:{serial}", household.pk, pool_area_id, award_amount(serial)),
                prepare=True,
            )
            transaction_id, refusal = cursor.fetchone()
            if refusal or transaction_id is None:
                raise RuntimeError(f"the function refused award {serial}: {refusal}")
        connection.commit()
    return time.perf_counter() - started


def statements_per_award(households: list) -> int:
    """SQL statements one services award sends (BEGIN and COMMIT not counted)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        services_awards(households, 10**9, 1)
    return sum(
        1 for query in captured.captured_queries if not query["sql"].startswith(("BEGIN", "COMMIT"))
    )


def run(url: str, awards: int, households: int) -> int:
    import django
    import psycopg

    start_django(url)
    from django.db import connection

    from points.models import Account, LedgerTransaction, Posting
    from points.selectors.ledger import ledger_problems_list

    started = time.perf_counter()
    services_households, raw_households = build(households)
    pool_area_id = Account.objects.get(kind=Account.Kind.POOL).area_id
    print(
        f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}, "
        f"Django {django.get_version()}, psycopg {psycopg.__version__}, Python "
        f"{sys.version.split()[0]}; {awards:,} awards a side over {households:,} households "
        f"(set-up {time.perf_counter() - started:.1f} s)",
        flush=True,
    )

    with psycopg.connect(url) as raw:
        warm = min(WARM_UP, awards)
        services_awards(services_households, -warm, warm)
        raw_awards(raw, raw_households, pool_area_id, -warm, warm)
        services_seconds = services_awards(services_households, 0, awards)
        raw_seconds = raw_awards(raw, raw_households, pool_area_id, 0, awards)

    services_rate, raw_rate = awards / services_seconds, awards / raw_seconds
    statements = statements_per_award(services_households)
    print(
        f"services: {services_rate:8,.0f} awards/s  ({services_seconds:.2f} s, "
        f"{1000 * services_seconds / awards:.2f} ms an award, {statements} SQL statements)"
    )
    print(
        f"function: {raw_rate:8,.0f} awards/s  ({raw_seconds:.2f} s, "
        f"{1000 * raw_seconds / awards:.2f} ms an award, {RAW_STATEMENTS} SQL statements)"
    )
    print(
        f"ratio services ÷ function: {services_rate / raw_rate:.2f} "
        f"(the services take {services_seconds / raw_seconds:.1f}× as long)"
    )

    started = time.perf_counter()
    problems, accounts, transactions = ledger_problems_list()
    services_accounts = set(
        Account.objects.filter(household__in=services_households).values_list("pk", flat=True)
    )
    services_problems = [p for p in problems if p.get("account") in services_accounts]
    other_problems = [p for p in problems if p not in services_problems]
    total = Posting.objects.filter(account__kind=Account.Kind.HOUSEHOLD).count()
    print(
        f"verification: {accounts:,} accounts, {transactions:,} transactions, {total:,} household "
        f"postings in {time.perf_counter() - started:.1f} s; problems: services "
        f"{len(services_problems)}, raw and ledger-wide {len(other_problems)}"
    )
    expected = 2 * (awards + min(WARM_UP, awards)) + 1
    if transactions != expected or LedgerTransaction.objects.count() != expected:
        print(f"expected {expected:,} transactions, found {transactions:,}", file=sys.stderr)
        return 1
    for problem in problems[:10]:
        print(f"  {problem}", file=sys.stderr)
    return 1 if services_problems else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--awards", type=int, default=2000, help="awards a side (default 2000)")
    parser.add_argument(
        "--households", type=int, default=200, help="households a side (default 200)"
    )
    args = parser.parse_args(argv)
    if args.awards < 1 or args.households < 1:
        parser.error("--awards and --households must be positive")
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url:  # the embedded development server
        sys.path.insert(0, str(ROOT))
        from meijia.embedded_pg import development_url

        base_url = development_url()
    if urlsplit(base_url).scheme not in {"postgres", "postgresql", "pgsql"}:
        print(
            "bench/ledger.py measures PostgreSQL (row locks, triggers): set DATABASE_URL to a "
            "PostgreSQL server, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres "
            f"(got {base_url or 'nothing'!r}).",
            file=sys.stderr,
        )
        return 2
    name = f"meijia_bench_ledger_{os.getpid()}"
    url = create_database(base_url, name)
    try:
        return run(url, args.awards, args.households)
    finally:
        drop_database(base_url, name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
