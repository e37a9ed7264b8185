"""Every connection plans for short queries; a report asks for parallel workers (docs/deployment.md)."""

import pytest
from django.db import connection

from meijia.db import report_plans

pytestmark = pytest.mark.django_db


def _show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_connections_plan_without_jit_or_parallel_workers():
    assert _show("jit") == "off"
    assert _show("max_parallel_workers_per_gather") == "0"


def test_a_report_gets_parallel_workers_for_its_transaction_only():
    with report_plans(workers=2):
        assert _show("max_parallel_workers_per_gather") == "2"
        assert _show("jit") == "off"
    assert _show("max_parallel_workers_per_gather") == "0"


def test_postings_by_account_keep_a_larger_statistics_sample():
    """Pools hold most postings: the planner needs a sample large enough to count households'
    accounts (docs/ledger.md, "Queries over postings")."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'points_posting'::regclass AND attname = 'account_id'"
        )
        assert cursor.fetchone()[0] == 1000
