"""The counter's confirmation as one PostgreSQL function, from shops/sql/redemption_confirm_v1.sql.

A later change of the function is a new .sql file loaded by a new migration.
"""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "redemption_confirm_v1.sql").read_text()
ARGUMENTS = (
    "bigint, text[], bigint, text[], bigint, bigint, text, bigint, integer, timestamptz, "
    "timestamptz, bigint[], integer[], text, text, text, text, timestamptz, timestamptz, date"
)


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0004_redemption_request_fingerprint"),
        ("points", "0010_ledger_record_function"),
        ("registry", "0003_phonecode_previewed_at"),
    ]

    operations = [
        migrations.RunSQL(
            SQL, reverse_sql=f"DROP FUNCTION IF EXISTS meijia_redemption_confirm({ARGUMENTS})"
        )
    ]
