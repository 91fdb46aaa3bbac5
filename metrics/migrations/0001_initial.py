"""The metrics push models move here from ``syncs``: same tables, state only, content types carried."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models



from syncs.migration_ops import content_types_move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('copper', '0001_initial'),
        ('syncs', '0003_move_metrics_models'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are; only Django's picture of which app owns them changes.
            state_operations=[
                migrations.CreateModel(
                    name='FieldMapping',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('metric', models.CharField(choices=[('total_orders', 'Total Orders'), ('total_spent', 'Total Spent'), ('average_order_value', 'Average Order Value'), ('first_order_date', 'First Order Date'), ('last_order_date', 'Last Order Date'), ('days_since_last_order', 'Days Since Last Order'), ('top_products', 'Top Products'), ('sample_kit_sent', 'Sample Kit Sent'), ('sample_kit_date', 'Sample Kit Date'), ('spent_last_12_months', 'Spent Last 12 Months')], max_length=32, unique=True)),
                        ('copper_field', models.CharField(help_text="The Copper custom field's name, exactly as Copper shows it.", max_length=255)),
                        ('policy', models.CharField(choices=[('overwrite', 'Overwrite'), ('only_if_empty', 'Only if empty in Copper'), ('never', 'Never (protected)')], default='overwrite', max_length=16)),
                        ('enabled', models.BooleanField(default=True)),
                        ('notes', models.TextField(blank=True)),
                    ],
                    options={
                        'db_table': 'syncs_fieldmapping',
                        'ordering': ['metric'],
                    },
                ),
                migrations.CreateModel(
                    name='ChangeSet',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('built', 'Built (awaiting approval)'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('applying', 'Applying'), ('applied', 'Applied'), ('partially_applied', 'Partially applied'), ('rolled_back', 'Rolled back')], db_index=True, default='built', max_length=20)),
                        ('built_at', models.DateTimeField(auto_now_add=True)),
                        ('approved_at', models.DateTimeField(blank=True, null=True)),
                        ('rejected_at', models.DateTimeField(blank=True, null=True)),
                        ('rejection_reason', models.TextField(blank=True)),
                        ('applied_at', models.DateTimeField(blank=True, null=True)),
                        ('rolled_back_at', models.DateTimeField(blank=True, null=True)),
                        ('definitions_fingerprint', models.CharField(blank=True, max_length=64)),
                        ('mapping_snapshot', models.JSONField(blank=True, default=list)),
                        ('counts', models.JSONField(blank=True, default=dict)),
                        ('applied_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('apply_run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='applied_change_sets', to='syncs.syncrun')),
                        ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('built_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('rejected_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('rollback_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rollbacks', to='metrics.changeset')),
                        ('rolled_back_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('source_run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='built_change_sets', to='syncs.syncrun')),
                    ],
                    options={
                        'db_table': 'syncs_changeset',
                        'ordering': ['-built_at'],
                        'permissions': [('approve_changeset', 'Can approve or reject metric change sets'), ('apply_changeset', 'Can apply approved metric change sets to Copper'), ('rollback_changeset', 'Can roll back applied metric change sets')],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalChangeSet',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('status', models.CharField(choices=[('built', 'Built (awaiting approval)'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('applying', 'Applying'), ('applied', 'Applied'), ('partially_applied', 'Partially applied'), ('rolled_back', 'Rolled back')], db_index=True, default='built', max_length=20)),
                        ('built_at', models.DateTimeField(blank=True, editable=False)),
                        ('approved_at', models.DateTimeField(blank=True, null=True)),
                        ('rejected_at', models.DateTimeField(blank=True, null=True)),
                        ('rejection_reason', models.TextField(blank=True)),
                        ('applied_at', models.DateTimeField(blank=True, null=True)),
                        ('rolled_back_at', models.DateTimeField(blank=True, null=True)),
                        ('definitions_fingerprint', models.CharField(blank=True, max_length=64)),
                        ('mapping_snapshot', models.JSONField(blank=True, default=list)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('applied_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('apply_run', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='syncs.syncrun')),
                        ('approved_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('built_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('rejected_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('rollback_of', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='metrics.changeset')),
                        ('rolled_back_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('source_run', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='syncs.syncrun')),
                    ],
                    options={
                        'verbose_name': 'historical change set',
                        'verbose_name_plural': 'historical change sets',
                        'db_table': 'syncs_historicalchangeset',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalFieldMapping',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('metric', models.CharField(choices=[('total_orders', 'Total Orders'), ('total_spent', 'Total Spent'), ('average_order_value', 'Average Order Value'), ('first_order_date', 'First Order Date'), ('last_order_date', 'Last Order Date'), ('days_since_last_order', 'Days Since Last Order'), ('top_products', 'Top Products'), ('sample_kit_sent', 'Sample Kit Sent'), ('sample_kit_date', 'Sample Kit Date'), ('spent_last_12_months', 'Spent Last 12 Months')], db_index=True, max_length=32)),
                        ('copper_field', models.CharField(help_text="The Copper custom field's name, exactly as Copper shows it.", max_length=255)),
                        ('policy', models.CharField(choices=[('overwrite', 'Overwrite'), ('only_if_empty', 'Only if empty in Copper'), ('never', 'Never (protected)')], default='overwrite', max_length=16)),
                        ('enabled', models.BooleanField(default=True)),
                        ('notes', models.TextField(blank=True)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical field mapping',
                        'verbose_name_plural': 'historical field mappings',
                        'db_table': 'syncs_historicalfieldmapping',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Change',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('company_name', models.CharField(blank=True, max_length=255)),
                        ('metric', models.CharField(blank=True, max_length=32)),
                        ('field_name', models.CharField(max_length=255)),
                        ('definition_id', models.BigIntegerField()),
                        ('data_type', models.CharField(max_length=20)),
                        ('old_value', models.JSONField(blank=True, null=True)),
                        ('new_value', models.JSONField(blank=True, null=True)),
                        ('old_display', models.CharField(blank=True, max_length=512)),
                        ('new_display', models.CharField(blank=True, max_length=512)),
                        ('rule', models.CharField(blank=True, max_length=255)),
                        ('flags', models.JSONField(blank=True, default=list)),
                        ('flagged', models.BooleanField(default=False)),
                        ('outcome', models.CharField(choices=[('pending', 'Pending'), ('applied', 'Applied'), ('stale', 'Stale (changed in Copper since the preview; kept)'), ('failed', 'Failed'), ('skipped', 'Skipped'), ('rolled_back', 'Rolled back')], db_index=True, default='pending', max_length=16)),
                        ('message', models.TextField(blank=True)),
                        ('outcome_at', models.DateTimeField(blank=True, null=True)),
                        ('company', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='metric_changes', to='copper.coppercompany')),
                        ('change_set', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='changes', to='metrics.changeset')),
                    ],
                    options={
                        'db_table': 'syncs_change',
                        'ordering': ['change_set', '-flagged', 'company_name', 'field_name'],
                        'indexes': [models.Index(fields=['change_set', 'outcome'], name='change_set_outcome'), models.Index(fields=['change_set', 'flagged'], name='change_set_flagged'), models.Index(fields=['change_set', 'company'], name='change_set_company')],
                        'constraints': [models.UniqueConstraint(fields=('change_set', 'company', 'definition_id'), name='change_unique_company_field')],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_move(app_from='syncs', app_to='metrics', model_names=['fieldmapping', 'historicalfieldmapping', 'changeset', 'historicalchangeset', 'change']),
    ]
