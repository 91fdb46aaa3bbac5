"""The Copper mirror models now belong to ``copper`` (its 0001 takes them over; tables unchanged)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('copper', '0001_initial'),
        ('customers', '0002_salesorder_customer_status_date_index'),
        ('syncs', '0003_move_metrics_models'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are; only Django's picture of which app owns them changes.
            state_operations=[
                migrations.RemoveField(
                    model_name='coppercompany',
                    name='assignee',
                ),
                migrations.AlterField(
                    model_name='historicalaccountnumberowner',
                    name='company',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='copper.coppercompany'),
                ),
                migrations.AlterField(
                    model_name='fishbowlcustomer',
                    name='copper_company',
                    field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='fishbowl_customer', to='copper.coppercompany'),
                ),
                migrations.AlterField(
                    model_name='accountnumberowner',
                    name='company',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='owned_account_numbers', to='copper.coppercompany'),
                ),
                migrations.AlterField(
                    model_name='historicalfishbowlcustomer',
                    name='copper_company',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='copper.coppercompany'),
                ),
                migrations.RemoveField(
                    model_name='historicalcoppercompany',
                    name='assignee',
                ),
                migrations.DeleteModel(
                    name='CustomFieldDefinition',
                ),
                migrations.RemoveField(
                    model_name='historicalcoppercompany',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalcopperuser',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalcustomfielddefinition',
                    name='history_user',
                ),
                migrations.DeleteModel(
                    name='CopperCompany',
                ),
                migrations.DeleteModel(
                    name='CopperUser',
                ),
                migrations.DeleteModel(
                    name='HistoricalCopperCompany',
                ),
                migrations.DeleteModel(
                    name='HistoricalCopperUser',
                ),
                migrations.DeleteModel(
                    name='HistoricalCustomFieldDefinition',
                ),
            ],
            database_operations=[],
        ),
    ]
