"""Admin building blocks every app uses."""

from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyAdminMixin:
    """A record nobody adds, edits or deletes by hand: runs, reports, computed lines, mirrors of other systems.

    Their rows are what was done or seen (the audit trail, reports and change sets point at them), so the admin
    shows them and never writes them.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyMirrorAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """A mirror of another system: viewable with history, never edited by hand."""
