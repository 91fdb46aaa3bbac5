"""FieldMapping, ChangeSet and Change now belong to ``metrics`` (its 0001 takes them over; tables unchanged)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('syncs', '0002_metrics_push'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are; only Django's picture of which app owns them changes.
            state_operations=[
                migrations.RemoveField(
                    model_name='change',
                    name='change_set',
                ),
                migrations.RemoveField(
                    model_name='change',
                    name='company',
                ),
                migrations.RemoveField(
                    model_name='changeset',
                    name='applied_by',
                ),
                migrations.RemoveField(
                    model_name='changeset',
                    name='apply_run',
                ),
                migrations.RemoveField(
                    model_name='changeset',
                    name='approved_by',
                ),
                migrations.RemoveField(
                    model_name='changeset',
                    name='built_by',
                ),
                migrations.RemoveField(
                    model_name='changeset',
                    name='rejected_by',
                ),
                migrations.RemoveField(
                    model_name='changeset',
                    name='rollback_of',
                ),
                migrations.RemoveField(
                    model_name='changeset',
                    name='rolled_back_by',
                ),
                migrations.RemoveField(
                    model_name='changeset',
                    name='source_run',
                ),
                migrations.RemoveField(
                    model_name='historicalchangeset',
                    name='rollback_of',
                ),
                migrations.DeleteModel(
                    name='FieldMapping',
                ),
                migrations.RemoveField(
                    model_name='historicalchangeset',
                    name='applied_by',
                ),
                migrations.RemoveField(
                    model_name='historicalchangeset',
                    name='apply_run',
                ),
                migrations.RemoveField(
                    model_name='historicalchangeset',
                    name='approved_by',
                ),
                migrations.RemoveField(
                    model_name='historicalchangeset',
                    name='built_by',
                ),
                migrations.RemoveField(
                    model_name='historicalchangeset',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalchangeset',
                    name='rejected_by',
                ),
                migrations.RemoveField(
                    model_name='historicalchangeset',
                    name='rolled_back_by',
                ),
                migrations.RemoveField(
                    model_name='historicalchangeset',
                    name='source_run',
                ),
                migrations.RemoveField(
                    model_name='historicalfieldmapping',
                    name='history_user',
                ),
                migrations.DeleteModel(
                    name='Change',
                ),
                migrations.DeleteModel(
                    name='ChangeSet',
                ),
                migrations.DeleteModel(
                    name='HistoricalChangeSet',
                ),
                migrations.DeleteModel(
                    name='HistoricalFieldMapping',
                ),
            ],
            database_operations=[],
        ),
    ]
