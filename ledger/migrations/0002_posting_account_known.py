"""Every posting's account is one of `ledger.accounts`' kinds, checked by the database.

Adding the constraint checks the rows already written (PostgreSQL validates a new CHECK
against the table), so a migration that succeeds proves that they conform; none is rewritten.
The condition is written out as it was on the day: later kinds come with a migration of
their own.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.AddConstraint(
            model_name="ledgerposting",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("account__in", ["retained", "platform", "withholding", "cash"]),
                    models.Q(("account__gt", "pool:"), ("account__startswith", "pool:")),
                    models.Q(("account__gt", "payable:payee:"), ("account__startswith", "payable:payee:")),
                    models.Q(("account__gt", "suspense:isrc:"), ("account__startswith", "suspense:isrc:")),
                    models.Q(
                        ("account__gt", "fees:distributor:"), ("account__startswith", "fees:distributor:")
                    ),
                    models.Q(
                        ("account__gt", "mechanical:isrc:"), ("account__startswith", "mechanical:isrc:")
                    ),
                    _connector="OR",
                ),
                name="ledger_posting_account_known",
            ),
        ),
    ]
