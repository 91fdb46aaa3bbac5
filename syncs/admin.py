"""Admin for sync runs (the progress page lives here)."""

from django.contrib import admin

from syncs.models import SyncRun, SyncRunLog


class SyncRunLogInline(admin.TabularInline):
    model = SyncRunLog
    extra = 0
    can_delete = False
    fields = ["level", "code", "record", "message", "created_at"]
    readonly_fields = fields
    max_num = 0


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "status",
        "step",
        "processed",
        "total",
        "created",
        "updated",
        "errors",
        "queued_at",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in SyncRun._meta.fields]
    inlines = [SyncRunLogInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
