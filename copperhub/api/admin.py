"""API tokens are managed here; a new token's key is shown once, on creation."""

from django.contrib import admin, messages

from copperhub.api.models import ApiToken, api_token_hash


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "key_prefix",
        "read_only",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["read_only"]
    search_fields = ["name", "user__username", "key_prefix"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]
    fields = [
        "name",
        "user",
        "read_only",
        "expires_at",
        "revoked_at",
        "key_prefix",
        "created_at",
        "last_used_at",
    ]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if not change:
            key = ApiToken.generate_key()
            obj.key_hash = api_token_hash(key)
            obj.key_prefix = key[:8]
            super().save_model(request, obj, form, change)
            messages.warning(request, f"The token's key, shown only this once: {key}")
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        from django.utils import timezone

        for token in queryset.filter(revoked_at__isnull=True):
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
        self.message_user(request, "Revoked.")
