"""Admin pages of the top floor, in the admin's namespace: the Setup page and the health board.

``admin_page_urls()`` is mounted before the admin's own URLs (copperhub/urls.py), so ``admin:copperhub_setup``
and ``admin:copperhub_health`` reverse like any admin page and each view goes through ``admin_view`` (login,
staff, CSRF, no caching).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from copperhub.services import setup_checks_run
from copperhub.setup_status import TODO, setup_lines, setup_may_view


def setup_view(request: HttpRequest) -> HttpResponse:
    """GET: every setup line from what is stored (no network). POST ("Check now"): the live checks, then back."""
    if not setup_may_view(user=request.user):
        raise PermissionDenied
    if request.method == "POST":
        checks = setup_checks_run(user=request.user)
        if not checks:
            messages.warning(request, "Nothing to check live: the Copper (and Fishbowl) settings are not set.")
        for check in checks:
            level = messages.SUCCESS if check.ok else messages.ERROR
            messages.add_message(request, level, f"{check.get_name_display()}: {check.message}.")
        return HttpResponseRedirect(reverse("admin:copperhub_setup"))
    lines = setup_lines()
    context = {
        **admin.site.each_context(request),
        "title": "Setup",
        "lines": lines,
        "todo": sum(1 for line in lines if line.state == TODO),
    }
    return TemplateResponse(request, "copperhub/setup.html", context)


def health_view(request: HttpRequest) -> HttpResponse:
    """The health board at the page's full width (the index shows its summary in the Today panel)."""
    if not request.user.has_perm("integrity.view_integrityreport"):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": "Ecosystem health"}
    return TemplateResponse(request, "copperhub/health.html", context)


def admin_page_urls() -> list:
    view = admin.site.admin_view
    return [
        path("setup/", view(setup_view), name="copperhub_setup"),
        path("health/", view(health_view), name="copperhub_health"),
    ]
