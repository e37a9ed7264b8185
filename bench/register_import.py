"""Time the register (台账) import: dry run and import of generated files, per 1,000 rows.

    .venv/bin/python bench/register_import.py [--rows 10000 100000]

Runs against DATABASE_URL when it is set (migrated first), in a throwaway area tree of its own
that is removed afterwards; otherwise against the embedded development PostgreSQL (same tree).
Each size gets a new village: a first import (everything created), then the same file again
(everything unchanged), then a changed file (every household and a third of members updated).
"""

import argparse
import datetime
import io
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEMBERS_PER_HOUSEHOLD = 3


def _setup(workdir: Path) -> bool:
    """Configure and start Django (without DATABASE_URL, on the embedded PostgreSQL)."""
    sys.path.insert(0, str(ROOT))
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["PRIVATE_ROOT"] = str(workdir / "private")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meijia.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)  # a no-op on an up-to-date database


def _workbook(rows: int, prefix: str, *, is_changed: bool) -> bytes:
    """Households of three; the changed file moves every household and corrects a birth date."""
    from openpyxl import Workbook

    from registry.identity import id_number_check_digit
    from registry.importing.format import COLUMNS

    def id_number(serial: int) -> str:
        first17 = f"{prefix}{serial:011d}"
        return first17 + id_number_check_digit(first17)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    sheet.append([column.header for column in COLUMNS])
    born = datetime.date(1956, 3, 2)
    address = "和谐路" if is_changed else "幸福路"
    spouse_born = "1958-05-07" if is_changed else "1958-05-06"
    for serial in range(rows):
        household, position = divmod(serial, MEMBERS_PER_HOUSEHOLD)
        number = f"{household + 1:06d}"
        if position == 0:
            sheet.append(
                [
                    number,
                    f"第{household % 10 + 1}组",
                    f"{address}{household + 1}号",
                    f"户主{household}",
                    "户主",
                    f"139{serial:08d}",
                    id_number(serial),
                    born,
                ]
            )
        elif position == 1:
            sheet.append(
                [
                    number,
                    None,
                    None,
                    f"配偶{household}",
                    "配偶",
                    None,
                    id_number(serial),
                    spouse_born,
                ]
            )
        else:
            sheet.append([number, None, None, f"子女{household}", "儿子", None, None, "19800101"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PER_THOUSAND: dict[tuple[int, str], float] = {}


def _timed(label: str, rows: int, action):
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    PER_THOUSAND[(rows, label)] = seconds / rows * 1000
    print(
        f"  {label:<28} {seconds:8.2f} s   {seconds / rows * 1000:6.3f} s per 1,000 rows",
        flush=True,
    )
    return result


def _run(size: int, town, actor) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry.importing.jobs import (
        register_import_apply,
        register_import_check,
        register_import_create,
    )
    from registry.models import Area, HouseholdImport

    village = town.add_child(
        name=f"压测{size}村", code=_code(), level=Area.Level.VILLAGE, kind=Area.Kind.VILLAGE
    )
    for index in range(1, 11):
        village.add_child(name=f"第{index}组", level=Area.Level.GROUP, kind=Area.Kind.GROUP)
    village = Area.objects.get(pk=village.pk)
    prefix = f"{random.randrange(100000, 999999)}"  # keeps the ID numbers of each run apart

    print(f"{size:,} rows", flush=True)
    for label, is_changed in (
        ("first", False),
        ("same file", False),
        ("changed", True),
    ):
        content = _timed(
            f"build file ({label})",
            size,
            lambda c=is_changed: _workbook(size, prefix, is_changed=c),
        )
        job = register_import_create(
            actor=actor, village=village, upload=SimpleUploadedFile("bench.xlsx", content)
        )
        job = _timed(f"dry run ({label})", size, lambda j=job: register_import_check(job=j))
        if job.status != HouseholdImport.Status.READY:
            raise SystemExit(f"dry run ended {job.status}: {job.refusal or job.errors[:3]}")
        job = _timed(
            f"import ({label})", size, lambda j=job: register_import_apply(job=j, actor=actor)
        )
        if job.status != HouseholdImport.Status.DONE:
            raise SystemExit(f"import ended {job.status}: {job.refusal or job.errors[:3]}")
        print(f"  summary: {job.summary}", flush=True)


def _code() -> str:
    return f"98{random.randrange(10**9, 10**10)}"


def _cleanup(district_id: int, user_id: int) -> None:
    from registry.models import (
        Area,
        ExportRecord,
        Household,
        HouseholdEvent,
        HouseholdImport,
        Member,
        RoleAssignment,
        User,
    )

    district = Area.objects.get(pk=district_id)
    under = {"village__path__startswith": district.path}
    HouseholdEvent.objects.filter(household__village__path__startswith=district.path).delete()
    Member.objects.filter(household__village__path__startswith=district.path).delete()
    Household.objects.filter(**under).delete()
    for job in HouseholdImport.objects.filter(**under):
        job.file.delete(save=False)
        job.delete()
    ExportRecord.objects.filter(area__path__startswith=district.path).delete()
    RoleAssignment.objects.filter(user_id=user_id).delete()
    User.objects.filter(pk=user_id).delete()
    Area.objects.get(pk=district_id).delete()


def _print_scaling(sizes: list[int]) -> None:
    """Cost per row of the largest file over the smallest, measured in this run (1.0 = linear)."""
    small, large = min(sizes), max(sizes)
    if small == large:
        return
    print(f"per-row cost at {large:,} rows ÷ at {small:,} rows (1.00 = scales linearly)")
    for label in ("dry run (first)", "import (first)", "import (same file)", "import (changed)"):
        ratio = PER_THOUSAND[(large, label)] / PER_THOUSAND[(small, label)]
        print(f"  {label:<28} {ratio:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="meijia-bench-"))
    try:
        _setup(workdir)
        from django.conf import settings
        from django.db import connection

        from registry.models import Area, RoleAssignment, User
        from registry.services.register import role_assign

        settings.REGISTER_IMPORT_MAX_ROWS = max(settings.REGISTER_IMPORT_MAX_ROWS, *args.rows)
        # As in production: no query log kept in memory.
        settings.DEBUG = False
        print(f"database: {connection.vendor}", flush=True)
        district = Area.add_root(
            name="压测区", code=_code(), level=Area.Level.DISTRICT, kind=Area.Kind.DISTRICT
        )
        town = Area.objects.get(pk=district.pk).add_child(
            name="压测镇", code=_code(), level=Area.Level.TOWN, kind=Area.Kind.TOWN
        )
        actor = User.objects.create(username=f"bench-{random.randrange(10**9)}", name="压测")
        try:
            role_assign(user=actor, role=RoleAssignment.Role.TOWN_ADMIN, area=town)
            for size in args.rows:
                _run(size, Area.objects.get(pk=town.pk), actor)
            _print_scaling(args.rows)
        finally:
            _cleanup(district.pk, actor.pk)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
