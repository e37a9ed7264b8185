"""The district dashboard at 10,000 and at 1,000,000 households, with a year of roll-ups filled.

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python bench/dashboard.py \\
        [--small 10000] [--large 1000000] [--per-village 200] [--towns 10] [--requests 30]

PostgreSQL only. A database ``meijia_bench_dashboard_<pid>`` is created on the same server,
migrated, and dropped at the end, also after an error. Everything is filled with set-based SQL
(``generate_series``): a district of ``--towns`` towns (10, as a real district), villages of
``--per-village`` households each (so 50 villages at 10,000 households, 5,000 at a million),
the households themselves, and the aggregate tables the nightly roll-up keeps: for every village
and each of the 11 indicators a figure for 13 months, 5 quarters and 2 years, summed into towns
and the district the way ``figures_replace`` sums them, and scores for 13 months with ranks
(a window function) for villages and towns.

The dashboard reads aggregates only, so its cost must not follow the households: the district's
dashboard shows its own figures, its towns' figures and scores, 12 months of trends, the towns
on the map and what waits for approval. Each size gets an untimed warm-up, then ``--requests``
timed requests through ``django.test.Client`` (signed in as a superuser, DEBUG off); the median
is taken and the SQL queries of one more request counted. Target: large ÷ small under 1.5, the
same number of queries.

Page weight on a phone: the HTML, and every stylesheet and script it links (Wagtail's admin and
ours, ECharts' common build), raw and gzipped (what a phone downloads from a server that
compresses; nginx's gzip does), in KB.

Recorded result, on the shared 2-vCPU container while another engineer's test suite and ours
ran beside it (load high at both sizes; PostgreSQL on localhost), ``--small 10000 --large
1000000 --requests 30``, after the dashboard's figures became one index range scan (the run
before that change measured 186.0 ms → 474.8 ms, ratio 2.55, on a quieter machine):

     10,000 households (50 villages, 17,080 figures; filled in 3 s):
        district dashboard median 465.7 ms, 19 SQL queries
    1,000,000 households (5,000 villages, 1,403,080 figures; filled in 239 s):
        district dashboard median 483.4 ms, 19 SQL queries
    ratio 1,000,000 ÷ 10,000: 1.04, queries 19 → 19  OK
    page weight on a phone: 2458 KB raw, 692 KB gzipped (html 8 KB, css 43 KB, js 641 KB:
    Wagtail admin's own scripts and ECharts' common build, 220 KB of it; cached after the
    first visit)

The absolute times are the loaded machine's (most of a request is Wagtail's admin chrome); the
ratio and the fixed query count are the result.
"""

import argparse
import gzip
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from scratch import create_database, drop_database, start_django  # noqa: E402

MONTHS = 13

SQL_TREE = """
INSERT INTO registry_area (path, depth, numchild, name, code, level, kind)
VALUES ('0001', 1, %(towns)s, '基准区', '379999999999', 'district', 'district');
INSERT INTO registry_area (path, depth, numchild, name, code, level, kind)
SELECT '0001' || lpad(t::text, 4, '0'), 2, 0, '基准' || t || '镇',
       '3700' || lpad(t::text, 8, '0'), 'town', 'town'
FROM generate_series(1, %(towns)s) AS t;
"""

SQL_VILLAGES = """
INSERT INTO registry_area (path, depth, numchild, name, code, level, kind)
SELECT '0001' || lpad((1 + (v - 1) %% %(towns)s)::text, 4, '0')
           || lpad((1 + (v - 1) / %(towns)s)::text, 4, '0'),
       3, 0, '基准' || v || '村', '3701' || lpad(v::text, 8, '0'), 'village', 'village'
FROM generate_series(%(lo)s, %(hi)s) AS v;
UPDATE registry_area t SET numchild = (
    SELECT count(*) FROM registry_area v WHERE v.depth = 3 AND v.path LIKE t.path || '%%')
WHERE t.depth = 2;
"""

SQL_HOUSEHOLDS = """
INSERT INTO registry_household (village_id, group_id, number, address, status, merged_into_id,
                                card_version, created_at, updated_at)
SELECT v.id, NULL, lpad(h::text, 4, '0'), '', 'active', NULL, 1, now(), now()
FROM registry_area v CROSS JOIN generate_series(1, %(per)s) AS h
WHERE v.level = 'village' AND v.code > %(after)s;
"""

# One village figure per indicator and period; made-up but shaped like the real ones: a rate
# is households over households, a mean stars over results, a total a sum.
SQL_FIGURES = """
WITH periods(period, starts_on) AS (
    SELECT 'month', (date_trunc('month', %(today)s::date) - make_interval(months => m))::date
    FROM generate_series(0, 12) AS m
    UNION ALL
    SELECT 'quarter', (date_trunc('quarter', %(today)s::date) - make_interval(months => 3 * q))::date
    FROM generate_series(0, 4) AS q
    UNION ALL
    SELECT 'year', (date_trunc('year', %(today)s::date) - make_interval(years => y))::date
    FROM generate_series(0, 1) AS y
), village AS (
    SELECT id, path FROM registry_area WHERE level = 'village' AND code > %(after)s
), rows AS (
    SELECT i.id AS indicator_id, v.id AS area_id, p.period, p.starts_on,
           i.aggregation, i.source,
           (%(per)s * (0.4 + 0.55 * ((v.id * 7 + i.id * 13 + extract(month FROM p.starts_on))::int %% 100) / 100.0))::numeric(18,4) AS numerator,
           CASE WHEN i.aggregation = 'total' THEN NULL
                WHEN i.source = 'entered' THEN 1
                ELSE %(per)s END::numeric(18,4) AS denominator
    FROM village v CROSS JOIN assessment_indicator i CROSS JOIN periods p
)
INSERT INTO assessment_figure (indicator_id, area_id, period, starts_on, numerator, denominator,
                               value, computed_at)
SELECT indicator_id, area_id, period, starts_on, numerator, denominator,
       CASE WHEN aggregation = 'total' THEN numerator
            WHEN aggregation = 'rate' AND source = 'computed' THEN round(100 * numerator / denominator, 2)
            ELSE round(numerator / denominator, 2) END,
       now()
FROM rows;
"""

SQL_ROLL_UP = """
DELETE FROM assessment_figure f USING registry_area a WHERE f.area_id = a.id AND a.level <> 'village';
INSERT INTO assessment_figure (indicator_id, area_id, period, starts_on, numerator, denominator,
                               value, computed_at)
SELECT f.indicator_id, above.id, f.period, f.starts_on, sum(f.numerator), sum(f.denominator),
       CASE WHEN i.aggregation = 'total' THEN sum(f.numerator)
            WHEN i.aggregation = 'rate' AND i.source = 'computed'
                THEN round(100 * sum(f.numerator) / sum(f.denominator), 2)
            ELSE round(sum(f.numerator) / sum(f.denominator), 2) END,
       now()
FROM assessment_figure f
JOIN registry_area v ON v.id = f.area_id AND v.level = 'village'
JOIN registry_area above ON above.level IN ('town', 'district') AND v.path LIKE above.path || '%%'
JOIN assessment_indicator i ON i.id = f.indicator_id
GROUP BY f.indicator_id, above.id, f.period, f.starts_on, i.aggregation, i.source;
"""

SQL_SCORES = """
TRUNCATE assessment_score;
INSERT INTO assessment_score (area_id, period, starts_on, scheme_id, score, rank, rank_of,
                              district_rank, previous_score, computed_at)
SELECT a.id, 'month', m.starts_on, %(scheme)s,
       s.score,
       rank() OVER (PARTITION BY m.starts_on, left(a.path, length(a.path) - 4) ORDER BY s.score DESC),
       count(*) OVER (PARTITION BY m.starts_on, left(a.path, length(a.path) - 4)),
       rank() OVER (PARTITION BY m.starts_on, a.level ORDER BY s.score DESC),
       NULL, now()
FROM registry_area a
CROSS JOIN (SELECT (date_trunc('month', %(today)s::date) - make_interval(months => m))::date AS starts_on
            FROM generate_series(0, 12) AS m) m
CROSS JOIN LATERAL (SELECT (40 + (a.id * 31 + extract(month FROM m.starts_on)::int * 17) %% 60)::numeric(6,2) AS score) s
WHERE a.level IN ('town', 'village');
"""


def execute(sql: str, **params) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in [s for s in sql.split(";\n") if s.strip()]:
            cursor.execute(statement, params)


def grow(*, villages_before: int, villages: int, towns: int, per: int, today) -> float:
    from django.db import connection

    started = time.perf_counter()
    after = f"3701{villages_before:08d}"
    execute(SQL_VILLAGES, towns=towns, lo=villages_before + 1, hi=villages)
    execute(SQL_HOUSEHOLDS, per=per, after=after)
    execute(SQL_FIGURES, per=per, after=after, today=today)
    execute(SQL_ROLL_UP)
    from assessment.models import Scheme
    from registry.models import Area

    district = Area.objects.get(level="district")
    scheme, _ = Scheme.objects.get_or_create(
        district=district, valid_from=today.replace(month=1, day=1), defaults={"name": "基准"}
    )
    execute(SQL_SCORES, scheme=scheme.pk, today=today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def measure(client, url: str, requests: int) -> tuple[float, int, bytes]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).content
    return statistics.median(times) * 1000, len(queries), body


def page_weight(html: bytes) -> dict[str, float]:
    from django.contrib.staticfiles import finders

    text = html.decode()
    raw = {"html": len(html)}
    packed = {"html": len(gzip.compress(html))}
    for kind, pattern in (
        ("css", r'<link[^>]+href="/static/([^"?]+\.css)'),
        ("js", r'<script[^>]+src="/static/([^"?]+\.js)'),
    ):
        for name in set(re.findall(pattern, text)):
            path = finders.find(name)
            if path is None:
                continue
            data = Path(path).read_bytes()
            raw[kind] = raw.get(kind, 0) + len(data)
            packed[kind] = packed.get(kind, 0) + len(gzip.compress(data))
    return {
        "raw": sum(raw.values()) / 1024,
        "gzip": sum(packed.values()) / 1024,
        **{f"{k} gzip": v / 1024 for k, v in packed.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--per-village", type=int, default=200)
    parser.add_argument("--towns", type=int, default=10)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL")
    if not base:
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server.")
    name = f"meijia_bench_dashboard_{os.getpid()}"
    url = create_database(base, name)
    try:
        start_django(url)
        import datetime

        from django.test import Client
        from django.utils import timezone

        from registry.models import Area, User

        today = timezone.localdate()
        month = today.replace(day=1)
        execute(SQL_TREE, towns=args.towns)
        admin = User.objects.create(username="bench", is_superuser=True, is_staff=True)
        client = Client()
        client.force_login(admin)
        results = {}
        villages_before = 0
        for households in (args.small, args.large):
            villages = households // args.per_village
            took = grow(
                villages_before=villages_before,
                villages=villages,
                towns=args.towns,
                per=args.per_village,
                today=today,
            )
            villages_before = villages
            district = Area.objects.get(level="district")
            url_path = f"/admin/assessment/area/{district.pk}/?month={month:%Y-%m}"
            median, queries, body = measure(client, url_path, args.requests)
            results[households] = (median, queries)
            from assessment.models import Figure

            print(
                f"{households:>9,} households ({villages:,} villages, "
                f"{Figure.objects.count():,} figures; filled in {took:.0f} s): "
                f"district dashboard median {median:.1f} ms, {queries} SQL queries"
            )
        weight = page_weight(body)
        small, large = results[args.small], results[args.large]
        ratio = large[0] / small[0]
        ok = ratio < 1.5 and small[1] == large[1]
        print(
            f"ratio {args.large:,} ÷ {args.small:,}: {ratio:.2f}, queries {small[1]} → {large[1]}"
            f"  {'OK' if ok else 'NOT MET'}"
        )
        print(
            "page weight on a phone: {raw:.0f} KB raw, {gzip:.0f} KB gzipped ({parts})".format(
                raw=weight["raw"],
                gzip=weight["gzip"],
                parts=", ".join(
                    f"{k} {v:.0f} KB"
                    for k, v in weight.items()
                    if k.endswith("gzip") and k != "gzip"
                ),
            )
        )
        del datetime
    finally:
        drop_database(base, name)


if __name__ == "__main__":
    main()
