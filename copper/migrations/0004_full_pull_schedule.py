"""Create the schedule of the full reconciliation pull (django-q2), so deletions never wait for someone's click.

It fires hourly and starts a full pull only when ``COPPER_FULL_PULL_EVERY_HOURS`` (24 by default) have passed
since the last one, so the interval is a setting, not a migration.
"""

from django.db import migrations

SCHEDULE_NAME = "copper-full-pull"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name=SCHEDULE_NAME,
        defaults={"func": "copper.tasks.copper_full_pull_scheduled", "schedule_type": "H", "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("copper", "0003_copperratewindow"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
