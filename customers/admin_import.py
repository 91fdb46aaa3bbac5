"""The admin's "Import from Fishbowl" page: upload → dry-run preview → confirm → a recorded import run.

Reached from the Fishbowl customers and sales orders lists. The uploaded customer list and/or line report are
stored under ``var/imports/`` (``FISHBOWL_IMPORT_MAX_UPLOAD_MB`` each), imported as a dry run in the request
(nothing written) and shown: what would be created / updated / unchanged, every problem by file, line and
column, the notices, and which header fed which column. Confirm starts a ``fishbowl_import`` sync run on those
files and opens its live progress page. With the Fishbowl settings present, the page also starts a run (dry
run or import) from the Fishbowl API. Starting needs "Can start sync runs" and "Can change Fishbowl customer".
"""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path

from customers.fishbowl_csv import CUSTOMER_COLUMNS, ORDER_LINE_COLUMNS, ImportFileError
from customers.services.import_run import (
    fishbowl_import_from_options,
    fishbowl_import_options,
    fishbowl_upload_paths,
    fishbowl_upload_store,
)
from syncs.admin_views import run_start_response
from syncs.models import SyncRun
from syncs.services.runs import sync_run_may_start, sync_run_start

NUMBER_FORMATS = [
    ("auto", "Tell from each file"),
    ("point", "1,234.50 (decimal point)"),
    ("comma", "1.234,50 (decimal comma)"),
]
_LABELS = {c.key: c.label for c in (*CUSTOMER_COLUMNS, *ORDER_LINE_COLUMNS)}
_LABELS["account_key"] = "Customer # / Account Number"


class FishbowlImportForm(forms.Form):
    customers = forms.FileField(required=False, label="Customer list (CSV)")
    orders = forms.FileField(required=False, label="Sales-order line report (CSV)")
    number_format = forms.ChoiceField(choices=NUMBER_FORMATS, initial="auto", label="Amounts written as")
    skip_invalid = forms.BooleanField(
        required=False,
        label="Import the valid rows and skip the invalid ones (an order with one is skipped whole)",
    )

    def clean(self):
        data = super().clean()
        limit = settings.FISHBOWL_IMPORT_MAX_UPLOAD_MB
        for name in ("customers", "orders"):
            upload = data.get(name)
            if upload is not None and upload.size > limit * 2**20:
                self.add_error(
                    name, f"{upload.name} is larger than {limit} MB (FISHBOWL_IMPORT_MAX_UPLOAD_MB)."
                )
        if not (data.get("customers") or data.get("orders")) and not self.errors:
            raise forms.ValidationError("Choose a customer list, a line report, or both.")
        return data


def fishbowl_import_urls(model_admin) -> list:
    view = model_admin.admin_site.admin_view
    return [path("import/", view(lambda request: fishbowl_import_view(request, model_admin)),
                 name="customers_fishbowl_import")]  # fmt: skip


def _api_configured() -> bool:
    return all(
        getattr(settings, name, "") for name in ("FISHBOWL_URL", "FISHBOWL_USERNAME", "FISHBOWL_PASSWORD")
    )


def _may_start(request) -> bool:
    return sync_run_may_start(user=request.user, kind=SyncRun.Kind.FISHBOWL_IMPORT)


def _start(request, options: dict) -> HttpResponse:
    return run_start_response(
        request=request,
        start=lambda: sync_run_start(kind=SyncRun.Kind.FISHBOWL_IMPORT, user=request.user, options=options),
        back_url=request.path,
    )


def fishbowl_import_view(request, model_admin):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import from Fishbowl",
        "can_start": _may_start(request),
        "api_configured": _api_configured(),
        "max_mb": settings.FISHBOWL_IMPORT_MAX_UPLOAD_MB,
        "account_key": settings.FISHBOWL_ACCOUNT_KEY,
    }
    form = FishbowlImportForm()
    if request.method == "POST":
        if not context["can_start"]:
            raise PermissionDenied
        action = request.POST.get("action", "preview")
        if action in ("api_dry_run", "api_import"):
            if not context["api_configured"]:
                messages.error(request, "The Fishbowl settings (FISHBOWL_URL, …) are not set.")
                return HttpResponseRedirect(request.path)
            return _start(request, fishbowl_import_options(from_api=True, dry_run=action == "api_dry_run"))
        if action == "confirm":
            return _confirm(request)
        form = FishbowlImportForm(request.POST, request.FILES)
        if form.is_valid():
            context.update(_preview(form))
    context["form"] = form
    return TemplateResponse(request, "admin/customers/fishbowl_import.html", context)


def _preview(form: FishbowlImportForm) -> dict:
    data = form.cleaned_data
    uploads = {name: data.get(name) for name in ("customers", "orders")}
    token, stored = fishbowl_upload_store(files=uploads)
    options = fishbowl_import_options(
        customers_path=stored.get("customers"),
        orders_path=stored.get("orders"),
        customers_name=uploads["customers"].name if uploads["customers"] else "",
        orders_name=uploads["orders"].name if uploads["orders"] else "",
        skip_invalid=data["skip_invalid"],
        number_format=data["number_format"],
    )
    started = time.monotonic()
    try:
        result = fishbowl_import_from_options(options=options, dry_run=True)
    except ImportFileError as exc:
        return {"file_error": str(exc)}
    problems: dict[str, list] = {}
    for problem in result.errors:
        problems.setdefault(problem.source, []).append(problem)
    mappings = {
        name: [(_LABELS.get(key, key), written) for key, written in pairs]
        for name, pairs in result.mappings.items()
    }
    return {
        "result": result,
        "problems": problems,
        "mappings": mappings,
        "seconds": round(time.monotonic() - started, 2),
        "token": token,
        "options": options,
        "confirmable": not result.error_count or options["skip_invalid"],
    }


def _confirm(request) -> HttpResponseRedirect:
    token = request.POST.get("token", "")
    stored = fishbowl_upload_paths(token=token)
    if not stored:
        messages.error(request, "That upload is no longer here; upload the files again.")
        return HttpResponseRedirect(request.path)
    number_format = request.POST.get("number_format", "auto")
    options = fishbowl_import_options(
        customers_path=stored.get("customers"),
        orders_path=stored.get("orders"),
        customers_name=request.POST.get("customers_name", "")[:255],
        orders_name=request.POST.get("orders_name", "")[:255],
        skip_invalid=request.POST.get("skip_invalid") == "1",
        number_format=number_format if number_format in dict(NUMBER_FORMATS) else "auto",
    )
    return _start(request, options)
