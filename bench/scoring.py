"""Grading a sorting round through the services, per household, and the round screen's queries.

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python bench/scoring.py [--households 500]

PostgreSQL only (row locks are part of what is measured). A database
``meijia_bench_scoring_<pid>`` is created on the same server, migrated, and dropped at the end,
also after an error. It gets one village with ``--households`` households in groups of 50, the four
grade rules (合格 approved automatically, the others waiting for a second committee member) and two
committee members. Then, in one run:

* grading: ``sorting_check_record`` for every household of one round, one tap each (the check, its
  claim, and for 合格 the ledger award), timed per household; then a repeat of every tap with the
  same idempotency key (what an offline phone does when it re-sends its queue), which must change
  nothing;
* approval: ``claim_approve`` by the other member for every waiting grade, per claim;
* the round screen: SQL queries of ``/scoring/sorting/<round>/`` for one group (50 households)
  and for the whole village (``--households``), through Django's test client: the ratio is 1.0
  when the page's queries do not grow with the households listed.

Django runs with DEBUG off. Recorded result, 2026-11, on a 2-vCPU container shared with other test
suites (expect +-30%), PostgreSQL 15 on localhost, ``--households 500``:

    500 households in 10 groups (set-up 1.6 s)
    grading:  500 households in 10.90 s: 21.79 ms a household (median 18.26 ms, slowest 105.2 ms)
    re-sent:  500 repeated keys in 0.78 s (1.55 ms each); checks in the round: 500
    approval: 375 claims in 14.40 s (38.41 ms a claim)
    round screen: 8 queries for one group (50 households), 8 for the whole village (500); ratio 1.00
    ledger verification: 0 problems

A grade costs about two ledger awards' worth of time (the household lock, the rule look-up, the
check, the claim, and for 合格 the award); a re-sent tap only reads its key. Approval pays through
the ledger with the caps read under the account lock.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch import create_database, drop_database, start_django  # noqa: E402

GROUP_SIZE = 50
GRADES = ["excellent", "good", "pass", "fail"]


def build(households: int):
    import datetime

    from points.services.rules import rule_create
    from registry.models import Area, Household, Member, RoleAssignment, User
    from registry.services.register import role_assign

    district = Area.add_root(
        name="基准区", code="379900000001", level=Area.Level.DISTRICT, kind=Area.Kind.DISTRICT
    )
    town = Area.objects.get(pk=district.pk).add_child(
        name="基准镇", code="379900000002", level=Area.Level.TOWN, kind=Area.Kind.TOWN
    )
    village = Area.objects.get(pk=town.pk).add_child(
        name="基准村", code="379900000003", level=Area.Level.VILLAGE, kind=Area.Kind.VILLAGE
    )
    groups = []
    for index in range((households + GROUP_SIZE - 1) // GROUP_SIZE):
        village = Area.objects.get(pk=village.pk)
        groups.append(
            village.add_child(name=f"第{index + 1}组", level=Area.Level.GROUP, kind=Area.Kind.GROUP)
        )
    made = Household.objects.bulk_create(
        Household(village=village, group=groups[serial // GROUP_SIZE], number=f"{serial + 1:04d}")
        for serial in range(households)
    )
    Member.objects.bulk_create(
        Member(household=household, name=f"户主{serial}", relation=Member.Relation.HEAD)
        for serial, household in enumerate(made)
    )
    district = Area.objects.get(pk=district.pk)
    terms = [
        ("sorting-excellent", "earn", "垃圾分类 优", 3, None),
        ("sorting-good", "earn", "垃圾分类 良", 2, None),
        ("sorting-pass", "earn", "垃圾分类 合格", 1, 1),
        ("sorting-fail", "deduct", "垃圾分类 不合格", 2, None),
    ]
    for code, kind, name, points, auto in terms:
        rule_create(
            actor=None,
            area=district,
            code=code,
            category="sorting",
            kind=kind,
            is_published=True,
            name=name,
            points=points,
            valid_from=datetime.date(2020, 1, 1),
            auto_approve_up_to=auto,
        )
    users = []
    for username in ("scorer", "checker"):
        user = User.objects.create_user(username=username, password="bench-pass-123")
        role_assign(user=user, role=RoleAssignment.Role.COMMITTEE, area=village)
        users.append(User.objects.get(pk=user.pk))
    households = list(Household.objects.select_related("village").order_by("number"))
    return Area.objects.get(pk=village.pk), groups, households, users


def screen_queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(captured.captured_queries)


def run(url: str, households: int) -> int:
    start_django(url)
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from points.models import PointsClaim, SortingCheck
    from points.selectors.ledger import ledger_problems_list
    from points.services.claims import claim_approve
    from points.services.sorting import sorting_check_record, sorting_round_open

    started = time.perf_counter()
    village, groups, all_households, (scorer, checker) = build(households)
    round_ = sorting_round_open(village=village, actor=scorer)
    print(
        f"{households:,} households in {len(groups)} groups (set-up "
        f"{time.perf_counter() - started:.1f} s)",
        flush=True,
    )

    times = []
    for serial, household in enumerate(all_households):
        began = time.perf_counter()
        sorting_check_record(
            round=round_,
            household=household,
            grade=GRADES[serial % len(GRADES)],
            actor=scorer,
            idempotency_key=f"bench-tap-{serial:06d}",
        )
        times.append(time.perf_counter() - began)
    total = sum(times)
    print(
        f"grading:  {len(times):,} households in {total:.2f} s: "
        f"{1000 * total / len(times):.2f} ms a household (median "
        f"{1000 * statistics.median(times):.2f} ms, slowest {1000 * max(times):.1f} ms)"
    )
    began = time.perf_counter()
    for serial, household in enumerate(all_households):
        sorting_check_record(
            round=round_,
            household=household,
            grade=GRADES[serial % len(GRADES)],
            actor=scorer,
            idempotency_key=f"bench-tap-{serial:06d}",
        )
    resent = time.perf_counter() - began
    checks = SortingCheck.objects.filter(round=round_).count()
    print(
        f"re-sent:  {len(all_households):,} repeated keys in {resent:.2f} s "
        f"({1000 * resent / len(all_households):.2f} ms each); checks in the round: {checks:,}"
    )

    pending = list(PointsClaim.objects.filter(status=PointsClaim.Status.PENDING).order_by("pk"))
    began = time.perf_counter()
    for claim in pending:
        claim_approve(claim=claim, approver=checker)
    approved = time.perf_counter() - began
    print(
        f"approval: {len(pending):,} claims in {approved:.2f} s "
        f"({1000 * approved / max(1, len(pending)):.2f} ms a claim)"
    )

    with override_settings(ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(scorer)
        screen = reverse("points:sorting_round", args=[round_.pk])
        client.get(screen)  # warm up (session, caches)
        one_group = screen_queries(client, f"{screen}?group={groups[0].pk}")
        everyone = screen_queries(client, f"{screen}?group=all")
    print(
        f"round screen: {one_group} queries for one group ({GROUP_SIZE} households), "
        f"{everyone} for the whole village ({households:,}); ratio {everyone / one_group:.2f}"
    )
    problems = ledger_problems_list()[0]
    print(f"ledger verification: {len(problems)} problems")
    ok = checks == households and not problems and everyone == one_group
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=500, help="households (default 500)")
    args = parser.parse_args(argv)
    if args.households < GROUP_SIZE:
        parser.error(f"--households must be at least {GROUP_SIZE}")
    base_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(base_url).scheme not in {"postgres", "postgresql", "pgsql"}:
        print(
            "bench/scoring.py measures PostgreSQL: set DATABASE_URL to a PostgreSQL server, e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres",
            file=sys.stderr,
        )
        return 2
    name = f"meijia_bench_scoring_{os.getpid()}"
    url = create_database(base_url, name)
    try:
        return run(url, args.households)
    finally:
        drop_database(base_url, name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
