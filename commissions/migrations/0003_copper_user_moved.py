"""A rep's Copper user now lives in ``copper``."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    run_before = [
        ('customers', '0003_move_copper_models'),
    ]

    dependencies = [
        ('commissions', '0002_seed_defaults'),
        ('copper', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are; only Django's picture of which app owns them changes.
            state_operations=[
                migrations.AlterField(
                    model_name='historicalsalesrep',
                    name='copper_user',
                    field=models.ForeignKey(blank=True, db_constraint=False, help_text="The rep's Copper user, if any (by Copper id).", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='copper.copperuser'),
                ),
                migrations.AlterField(
                    model_name='salesrep',
                    name='copper_user',
                    field=models.ForeignKey(blank=True, db_constraint=False, help_text="The rep's Copper user, if any (by Copper id).", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='copper.copperuser'),
                ),
            ],
            database_operations=[],
        ),
    ]
