"""A larger statistics sample for points_posting.account_id: the planner sees the skew.

Pools, stores and expiry accounts hold most postings, households a few dozen each. With the default
target (100: a sample of 30,000 rows) ANALYZE saw 8,777 distinct accounts among 12 million
postings of 310,000 households, so every household looked 40 times bigger than it is (1,670
postings instead of 40, issue 20). Target 1,000 samples ten times as many rows: the most common
values keep every pool, store and expiry account, and the distinct count of the households comes
closer, so estimates of a household's postings stay small. The cost is a longer ANALYZE of this
one column.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("points", "0011_household_month")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE points_posting ALTER COLUMN account_id SET STATISTICS 1000",
            reverse_sql="ALTER TABLE points_posting ALTER COLUMN account_id SET STATISTICS -1",
        )
    ]
