"""Top-level URLs: the admin (where people work) and the REST API (where tools read)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from copper.views import copper_webhook_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("copperhub.api.urls")),
    path("hooks/copper/", copper_webhook_view, name="copper_webhook"),
]
