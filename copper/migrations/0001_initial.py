"""The Copper mirror models move here from ``customers``: same tables, state only, content types carried."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models



from syncs.migration_ops import content_types_move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are; only Django's picture of which app owns them changes.
            state_operations=[
                migrations.CreateModel(
                    name='CopperUser',
                    fields=[
                        ('copper_id', models.BigIntegerField(primary_key=True, serialize=False)),
                        ('name', models.CharField(max_length=255)),
                        ('email', models.EmailField(blank=True, max_length=255)),
                        ('pulled_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'customers_copperuser',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='CustomFieldDefinition',
                    fields=[
                        ('copper_id', models.BigIntegerField(primary_key=True, serialize=False)),
                        ('name', models.CharField(db_index=True, max_length=255)),
                        ('canonical_name', models.CharField(blank=True, max_length=255)),
                        ('data_type', models.CharField(choices=[('String', 'String'), ('Text', 'Text'), ('Dropdown', 'Dropdown'), ('MultiSelect', 'Multiselect'), ('Date', 'Date'), ('Checkbox', 'Checkbox'), ('Float', 'Float'), ('Currency', 'Currency'), ('Percentage', 'Percentage'), ('URL', 'Url'), ('Connect', 'Connect')], max_length=20)),
                        ('options', models.JSONField(blank=True, default=list)),
                        ('available_on', models.JSONField(blank=True, default=list)),
                        ('currency', models.CharField(blank=True, max_length=8)),
                        ('pulled_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'customers_customfielddefinition',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalCopperCompany',
                    fields=[
                        ('copper_id', models.BigIntegerField(db_index=True)),
                        ('name', models.CharField(db_index=True, max_length=255)),
                        ('contact_type_id', models.BigIntegerField(blank=True, null=True)),
                        ('email_domain', models.CharField(blank=True, max_length=255)),
                        ('address', models.JSONField(blank=True, null=True)),
                        ('tags', models.JSONField(blank=True, default=list)),
                        ('custom_fields', models.JSONField(blank=True, default=list)),
                        ('account_order_id', models.CharField(blank=True, help_text='Account Order ID as written in Copper.', max_length=64)),
                        ('account_number', models.CharField(blank=True, db_index=True, help_text='Account Order ID normalised (trimmed, thousands commas removed): the Fishbowl account number.', max_length=64)),
                        ('is_active_customer', models.BooleanField(db_index=True, default=False)),
                        ('account_type', models.CharField(blank=True, help_text='Account Type as labelled in Copper.', max_length=64)),
                        ('region', models.CharField(blank=True, max_length=64)),
                        ('fishbowl_sales_person', models.CharField(blank=True, max_length=255)),
                        ('date_created', models.DateTimeField(blank=True, null=True)),
                        ('date_modified', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('missing_from_copper_since', models.DateTimeField(blank=True, null=True)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('assignee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='copper.copperuser')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical copper company',
                        'verbose_name_plural': 'historical copper companies',
                        'db_table': 'customers_historicalcoppercompany',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalCopperUser',
                    fields=[
                        ('copper_id', models.BigIntegerField(db_index=True)),
                        ('name', models.CharField(max_length=255)),
                        ('email', models.EmailField(blank=True, max_length=255)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical copper user',
                        'verbose_name_plural': 'historical copper users',
                        'db_table': 'customers_historicalcopperuser',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalCustomFieldDefinition',
                    fields=[
                        ('copper_id', models.BigIntegerField(db_index=True)),
                        ('name', models.CharField(db_index=True, max_length=255)),
                        ('canonical_name', models.CharField(blank=True, max_length=255)),
                        ('data_type', models.CharField(choices=[('String', 'String'), ('Text', 'Text'), ('Dropdown', 'Dropdown'), ('MultiSelect', 'Multiselect'), ('Date', 'Date'), ('Checkbox', 'Checkbox'), ('Float', 'Float'), ('Currency', 'Currency'), ('Percentage', 'Percentage'), ('URL', 'Url'), ('Connect', 'Connect')], max_length=20)),
                        ('options', models.JSONField(blank=True, default=list)),
                        ('available_on', models.JSONField(blank=True, default=list)),
                        ('currency', models.CharField(blank=True, max_length=8)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical custom field definition',
                        'verbose_name_plural': 'historical custom field definitions',
                        'db_table': 'customers_historicalcustomfielddefinition',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='CopperCompany',
                    fields=[
                        ('copper_id', models.BigIntegerField(primary_key=True, serialize=False)),
                        ('name', models.CharField(db_index=True, max_length=255)),
                        ('contact_type_id', models.BigIntegerField(blank=True, null=True)),
                        ('email_domain', models.CharField(blank=True, max_length=255)),
                        ('address', models.JSONField(blank=True, null=True)),
                        ('tags', models.JSONField(blank=True, default=list)),
                        ('custom_fields', models.JSONField(blank=True, default=list)),
                        ('account_order_id', models.CharField(blank=True, help_text='Account Order ID as written in Copper.', max_length=64)),
                        ('account_number', models.CharField(blank=True, db_index=True, help_text='Account Order ID normalised (trimmed, thousands commas removed): the Fishbowl account number.', max_length=64)),
                        ('is_active_customer', models.BooleanField(db_index=True, default=False)),
                        ('account_type', models.CharField(blank=True, help_text='Account Type as labelled in Copper.', max_length=64)),
                        ('region', models.CharField(blank=True, max_length=64)),
                        ('fishbowl_sales_person', models.CharField(blank=True, max_length=255)),
                        ('date_created', models.DateTimeField(blank=True, null=True)),
                        ('date_modified', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('pulled_at', models.DateTimeField(blank=True, help_text='When a pull last wrote this row.', null=True)),
                        ('missing_from_copper_since', models.DateTimeField(blank=True, null=True)),
                        ('assignee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='companies', to='copper.copperuser')),
                    ],
                    options={
                        'verbose_name_plural': 'copper companies',
                        'db_table': 'customers_coppercompany',
                        'ordering': ['name'],
                        'indexes': [models.Index(fields=['is_active_customer', 'account_number'], name='company_active_account')],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_move(app_from='customers', app_to='copper', model_names=['copperuser', 'customfielddefinition', 'coppercompany', 'historicalcopperuser', 'historicalcustomfielddefinition', 'historicalcoppercompany']),
    ]
