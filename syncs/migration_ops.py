"""Migration operations shared by the apps' migrations (kept tiny and stable: migrations import them forever)."""

from django.db import migrations


def content_types_move(*, app_from: str, app_to: str, model_names: list[str]) -> migrations.RunPython:
    """Carry content types (and so permissions, admin log entries, generic links) to a model's new app.

    Used with a state-only model move: the rows keep their ids, so every permission granted on the old app's
    content type holds on the new one. A content type the new app already has is left alone.
    """

    def forwards(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        for name in model_names:
            if not content_type.objects.filter(app_label=app_to, model=name).exists():
                content_type.objects.filter(app_label=app_from, model=name).update(app_label=app_to)

    def backwards(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        for name in model_names:
            content_type.objects.filter(app_label=app_to, model=name).update(app_label=app_from)

    return migrations.RunPython(forwards, backwards)
