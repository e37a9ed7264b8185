"""Ledger transactions carry the day of their event (``occurred_on``), which the caps count by.

Earlier transactions take the local day they were recorded on. The table is append-only (a
trigger refuses UPDATE), so the backfill lifts the trigger for its one statement, inside this
migration's transaction.
"""

from django.db import migrations, models

TABLE = "points_ledgertransaction"
TRIGGER = f"{TABLE}_append_only"


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
        cursor.execute(
            f"UPDATE {TABLE} SET occurred_on = (created_at AT TIME ZONE %s)::date "  # noqa: S608
            "WHERE occurred_on IS NULL",
            ["Asia/Shanghai"],
        )
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("points", "0008_commendation_rule_version")]

    operations = [
        migrations.AddField(
            model_name="ledgertransaction",
            name="occurred_on",
            field=models.DateField(null=True, verbose_name="occurred on"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="occurred_on",
            field=models.DateField(verbose_name="occurred on"),
        ),
    ]
