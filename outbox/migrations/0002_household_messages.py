"""The outbox's household write as a PostgreSQL function (outbox/sql/household_messages_v1.sql):
planned once per connection instead of on every call."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            (SQL_DIR / "household_messages_v1.sql").read_text(),
            reverse_sql=(
                "DROP FUNCTION IF EXISTS meijia_outbox_household_messages("
                "text, jsonb, text, text, bigint[], boolean, boolean, boolean, timestamptz)"
            ),
        ),
    ]
