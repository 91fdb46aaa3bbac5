"""Seed the settings row and a default rate for every title × segment × status.

Wholesale: new 8 %, 6-month 6 %, 12-month 4 %, transferred 4 %, revived paid as new (8 %). Distributor: half of
those. Retail: 0. Existing rows are left alone, so re-running never undoes an edit.
"""

from decimal import Decimal

from django.db import migrations

TITLES = ["account_executive", "senior_account_executive", "sales_manager", "inside_sales"]
WHOLESALE = {
    "new": Decimal("0.0800"),
    "six_month": Decimal("0.0600"),
    "twelve_month": Decimal("0.0400"),
    "revived": Decimal("0.0800"),
    "transferred": Decimal("0.0400"),
}


def seed(apps, schema_editor):
    settings_model = apps.get_model("commissions", "CommissionSettings")
    rate_model = apps.get_model("commissions", "CommissionRate")
    settings_model.objects.get_or_create(pk=1)
    for title in TITLES:
        for status, wholesale in WHOLESALE.items():
            for segment, rate in (
                ("wholesale", wholesale),
                ("distributor", wholesale / 2),
                ("retail", Decimal("0")),
            ):
                rate_model.objects.get_or_create(
                    title=title, segment=segment, customer_status=status, defaults={"rate": rate}
                )


class Migration(migrations.Migration):
    dependencies = [("commissions", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
