"""Admin for Copper webhooks: the notifications received (read-only) and a page managing the subscriptions.

The subscriptions page lists Copper's company subscriptions through the client and creates or deletes them
(POST, with the ``change`` permission on notifications); each action calls one service and reports back.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from copper.client import copper_client_from_settings
from copper.errors import CopperError
from copper.models import CopperWebhookNotification
from copper.services.webhook_subscriptions import (
    SubscriptionError,
    copper_webhook_subscribe,
    copper_webhook_subscriptions,
    copper_webhook_unsubscribe,
)


@admin.register(CopperWebhookNotification)
class CopperWebhookNotificationAdmin(admin.ModelAdmin):
    list_display = ["pk", "type", "event", "id_count", "timestamp", "received_at", "outcome", "message"]
    list_filter = ["outcome", "event", "type"]
    search_fields = ["=subscription_id", "message"]
    date_hierarchy = "received_at"
    change_list_template = "admin/copper/webhook_notifications_change_list.html"

    @admin.display(description="ids")
    def id_count(self, obj: CopperWebhookNotification) -> int:
        return len(obj.ids or [])

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("subscriptions/", view(self.subscriptions_view), name="copper_webhook_subscriptions"),
            *super().get_urls(),
        ]

    def subscriptions_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        here = reverse("admin:copper_webhook_subscriptions")
        if request.method == "POST":
            if not request.user.is_superuser:
                raise PermissionDenied
            try:
                client = copper_client_from_settings()
                if request.POST.get("action") == "delete":
                    copper_webhook_unsubscribe(client=client, subscription_id=int(request.POST["id"]))
                    messages.success(request, f"Deleted subscription {request.POST['id']}.")
                else:
                    result = copper_webhook_subscribe(
                        client=client, target=request.POST.get("target") or None
                    )
                    messages.success(
                        request,
                        f"{len(result.created)} subscription(s) created, {len(result.existing)} already there.",
                    )
            except (SubscriptionError, CopperError, ValueError, KeyError) as exc:
                messages.error(request, str(exc))
            return HttpResponseRedirect(here)
        rows, error = [], ""
        try:
            rows = copper_webhook_subscriptions(client=copper_client_from_settings())
        except CopperError as exc:
            error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "title": "Copper webhook subscriptions",
            "opts": self.model._meta,
            "rows": rows,
            "error": error,
            "default_target": settings.COPPER_WEBHOOK_TARGET,
            "can_change": request.user.is_superuser,
        }
        return TemplateResponse(request, "admin/copper/webhook_subscriptions.html", context)
