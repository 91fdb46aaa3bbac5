"""Admin building blocks every app uses."""

from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyMirrorAdmin(SimpleHistoryAdmin):
    """A mirror of another system: viewable with history, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
