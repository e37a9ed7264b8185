"""The ledger's write path as one PostgreSQL function, loaded from points/sql/ledger_record_v1.sql.

A later change of the function is a new .sql file loaded by a new migration, so every database's
function is the one its migration history says.
"""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "ledger_record_v1.sql").read_text()


class Migration(migrations.Migration):
    dependencies = [("points", "0009_transaction_occurred_on")]

    operations = [
        migrations.RunSQL(
            SQL,
            reverse_sql="DROP FUNCTION IF EXISTS meijia_ledger_record("
            + ", ".join(
                ["text", "text", "text", "bigint[]", "bigint[]", "bigint", "text", "bigint"]
                + ["bigint", "bigint", "bigint", "bigint", "text", "bigint", "text", "integer"]
                + ["bigint", "date", "timestamptz"]
            )
            + ")",
        )
    ]
