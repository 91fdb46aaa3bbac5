"""The "Reporting" group: every view permission the API's reads need, for the accounts of reporting tools."""

from django.db import migrations

GROUP = "Reporting"
# app label -> models whose view permission the group holds (what the API's GET endpoints read).
READ_MODELS = {
    "customers": ["copperuser", "coppercompany", "fishbowlcustomer", "salesorder", "salesorderline"],
    "syncs": ["syncrun", "changeset", "change"],
    "integrity": ["integrityreport", "checkresultrecord"],
    "commissions": ["commissionline"],
}


def add_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # On a fresh database the permissions are created only after all migrations; create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, models in READ_MODELS.items():
        codenames = [f"view_{model}" for model in models]
        permissions = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        found = set(permissions.values_list("codename", flat=True))
        missing = set(codenames) - found
        if missing:
            raise RuntimeError(f"Reporting group: no permissions {sorted(missing)} in {app_label}.")
        group.permissions.add(*permissions)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    # Before the Copper and metrics models change apps: their content types move with the permissions granted.
    run_before = [("copper", "0001_initial"), ("metrics", "0001_initial")]

    dependencies = [
        ("api", "0002_token_owner"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0002_salesorder_customer_status_date_index"),
        ("syncs", "0002_metrics_push"),
        ("integrity", "0002_hourly_schedule"),
        ("commissions", "0002_seed_defaults"),
    ]

    operations = [migrations.RunPython(add_group, remove_group)]
