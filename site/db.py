"""How the database plans a report's queries (docs/deployment.md, "The database's planner").

Every connection starts without JIT and without parallel workers (``DB_SESSION_OPTIONS`` in
settings): the web's queries are short. A report that scans a large part of a table (the nightly
ledger verification, a monthly statement of a district) asks for parallel workers inside its own
transaction with :func:`report_plans`; ``SET LOCAL`` ends with the transaction, so a pooled
connection goes back to the web as it came.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

REPORT_WORKERS = 2


@contextmanager
def report_plans(*, workers: int = REPORT_WORKERS) -> Iterator[None]:
    """Run the block in a transaction whose queries may use ``workers`` parallel workers.

    Inside a caller's transaction the block is a savepoint, which would not end a ``SET LOCAL``:
    the setting before the block is put back when it ends."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('max_parallel_workers_per_gather'), "
                "set_config('max_parallel_workers_per_gather', %s, true)",
                [str(workers)],
            )
            before = cursor.fetchone()[0]
        yield
        # (after an error the block's rollback puts the setting back by itself)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('max_parallel_workers_per_gather', %s, true)", [before]
            )
