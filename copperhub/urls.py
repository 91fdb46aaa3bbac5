"""Top-level URLs: the admin (where people work) and the REST API (where tools read).

The top floor's own admin pages (Setup, the health board) are mounted in the admin's namespace, before the
admin's URLs, so they reverse as ``admin:copperhub_setup`` / ``admin:copperhub_health``.
"""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from copper.views import copper_webhook_view
from copperhub.admin_pages import admin_page_urls

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", (admin_page_urls() + admin.site.get_urls(), "admin", admin.site.name)),
    path("api/v1/", include("copperhub.api.urls")),
    path("hooks/copper/", copper_webhook_view, name="copper_webhook"),
]
