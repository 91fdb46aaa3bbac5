"""Every page of the admin a signed-in superuser can reach, found from the admin site itself.

The list is never written down: each registered model's changelist, add page (when its admin allows adding),
one change page, that row's history and its delete confirmation (when allowed) come from
``admin.site._registry``; the custom pages come from each
model admin's ``get_urls()`` and the site's own, minus Django's standard names. A custom page that needs
arguments takes them from ``AdminWorld.url_args`` (by URL name), or, when its only argument is a row of its
model (``pk``, ``object_id``, ``id``), from the first row of that model. Whatever cannot be filled is reported, so a new
page added without a way to reach it shows up as a problem rather than silently going untested.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, reverse

# The admin site's own pages that are not ones a person works on (or that need no layout check).
SITE_STANDARD = {"login", "logout", "password_change_done", "autocomplete", "jsi18n", "view_on_site"}
MODEL_STANDARD_SUFFIXES = ("changelist", "add", "change", "delete", "history", "simple_history")
ROW_ARGS = {"pk", "object_id", "id"}


@dataclasses.dataclass(frozen=True)
class AdminPage:
    label: str
    url: str


def _param_names(pattern: URLPattern) -> set[str]:
    regex = pattern.pattern.regex
    names = set(regex.groupindex)
    return names or ({f"arg{i}" for i in range(regex.groups)} if regex.groups else set())


def _patterns(patterns) -> list[URLPattern]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry.url_patterns)
        else:
            found.append(entry)
    return found


def admin_pages(
    *, user, url_args: dict[str, list[dict[str, Any]]], extra_urls: list[str] = ()
) -> tuple[list[AdminPage], list[str]]:
    """The admin's pages for ``user`` and the problems met finding them (a model without a row, a page
    whose arguments are unknown). ``url_args`` gives each custom page's argument sets by URL name (each set
    is one page); ``extra_urls`` are pages with a query string worth a look of their own."""
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = [AdminPage("admin index", reverse("admin:index"))]
    problems: list[str] = []

    def custom(pattern: URLPattern, model=None) -> None:
        params = _param_names(pattern)
        name = pattern.name
        if not params:
            pages.append(AdminPage(f"admin:{name}", reverse(f"admin:{name}")))
        elif name in url_args:
            for kwargs in url_args[name]:
                label = f"admin:{name} " + " ".join(f"{k}={v}" for k, v in kwargs.items())
                pages.append(AdminPage(label, reverse(f"admin:{name}", kwargs=kwargs)))
        elif model is not None and len(params) == 1 and params <= ROW_ARGS:
            row = model._default_manager.order_by("pk").first()
            if row is None:
                problems.append(f"admin:{name} needs a {model._meta.label} row; the world has none")
                return
            pages.append(AdminPage(f"admin:{name}", reverse(f"admin:{name}", kwargs={params.pop(): row.pk})))
        else:
            problems.append(f"admin:{name} needs {sorted(params)}: add them to the world's url_args")

    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        info = f"admin:{opts.app_label}_{opts.model_name}"
        if not model_admin.has_view_or_change_permission(request):
            continue
        pages.append(AdminPage(f"{opts.verbose_name_plural} list", reverse(f"{info}_changelist")))
        if model_admin.has_add_permission(request):
            pages.append(AdminPage(f"add {opts.verbose_name}", reverse(f"{info}_add")))
        row = model_admin.get_queryset(request).order_by("pk").first()
        if row is None:
            problems.append(
                f"the world has no {opts.verbose_name} ({opts.label}): its change page is untested"
            )
        else:
            pk = quote(row.pk)
            pages.append(AdminPage(f"{opts.verbose_name} #{row.pk}", reverse(f"{info}_change", args=[pk])))
            pages.append(
                AdminPage(f"{opts.verbose_name} #{row.pk} history", reverse(f"{info}_history", args=[pk]))
            )
            if model_admin.has_delete_permission(request, row):
                # Only the confirmation page: nothing is deleted without its POST.
                pages.append(
                    AdminPage(f"delete {opts.verbose_name} #{row.pk}", reverse(f"{info}_delete", args=[pk]))
                )
        standard = {f"{opts.app_label}_{opts.model_name}_{suffix}" for suffix in MODEL_STANDARD_SUFFIXES}
        for pattern in _patterns(model_admin.get_urls()):
            if pattern.name and pattern.name not in standard:
                custom(pattern, model)

    for pattern in admin.site.get_urls():
        named = isinstance(pattern, URLPattern) and pattern.name
        if named and pattern.name not in SITE_STANDARD and pattern.name not in ("index", "app_list"):
            custom(pattern)
    pages += [AdminPage(url, url) for url in extra_urls]
    for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
        pages.append(AdminPage(f"{app_label} app index", reverse("admin:app_list", args=[app_label])))
    return pages, problems
