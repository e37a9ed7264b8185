"""Kept month rows per household (points_householdmonth), written by version 2 of the ledger's
function (points/sql/ledger_record_v2.sql), and filled from the postings already there.

The fill runs after the new function is in place and after a SHARE lock on the postings, which
waits for every ledger write still running under version 1 and holds off new ones until the
migration commits: no posting is counted twice or missed. Reversing the migration puts version 1
back (from its own file) and drops the table.
"""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

FILL = """
LOCK TABLE points_posting IN SHARE MODE;
INSERT INTO points_householdmonth
    (household_id, month, awarded, redeemed, voided, reversed, expired, adjusted)
SELECT a.household_id, date_trunc('month', t.occurred_on)::date,
       coalesce(sum(p.amount) FILTER (WHERE t.kind = 'award'), 0),
       coalesce(sum(p.amount) FILTER (WHERE t.kind = 'redemption'), 0),
       coalesce(sum(p.amount) FILTER (WHERE t.kind = 'void'), 0),
       coalesce(sum(p.amount) FILTER (WHERE t.kind = 'reversal'), 0),
       coalesce(sum(p.amount) FILTER (WHERE t.kind = 'expiry'), 0),
       coalesce(sum(p.amount) FILTER (WHERE t.kind = 'adjustment'), 0)
FROM points_posting p
JOIN points_account a ON a.id = p.account_id AND a.kind = 'household'
JOIN points_ledgertransaction t ON t.id = p.transaction_id
GROUP BY 1, 2;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0010_ledger_record_function"),
        ("registry", "0003_phonecode_previewed_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="HouseholdMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(verbose_name="month")),
                ("awarded", models.BigIntegerField(default=0, verbose_name="awarded")),
                ("redeemed", models.BigIntegerField(default=0, verbose_name="redeemed")),
                ("voided", models.BigIntegerField(default=0, verbose_name="voided")),
                ("reversed", models.BigIntegerField(default=0, verbose_name="reversed")),
                ("expired", models.BigIntegerField(default=0, verbose_name="expired")),
                ("adjusted", models.BigIntegerField(default=0, verbose_name="adjusted")),
                (
                    "household",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="points_months",
                        to="registry.household",
                    ),
                ),
            ],
            options={
                "verbose_name": "household month",
                "verbose_name_plural": "household months",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("household", "month"), name="one_row_per_month"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("month__day", 1)), name="household_month_is_first_day"
                    ),
                ],
            },
        ),
        migrations.RunSQL(
            (SQL_DIR / "ledger_record_v2.sql").read_text(),
            reverse_sql=(SQL_DIR / "ledger_record_v1.sql").read_text(),
        ),
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
    ]
