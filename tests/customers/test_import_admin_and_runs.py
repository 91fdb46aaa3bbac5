"""The admin's "Import from Fishbowl" page, the recorded run behind it and the command, the account key on the
API path, and Fishbowl's password kept out of every message, log and run record."""

import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from syncs.models import SyncRun, SyncRunLog
from syncs.services.runs import sync_run_execute

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
IMPORT_URL = "/admin/customers/fishbowlcustomer/import/"
BASE = "http://fishbowl.lan:2456"
PASSWORD = "Hunter2-s3cret!"
URL_PASSWORD = "url-pa55word"


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def upload(name):
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), content_type="text/csv")


def preview(admin_client, **extra):
    data = {
        "action": "preview",
        "customers": upload("fishbowl_customer_list.csv"),
        "orders": upload("line_report_a.csv"),
        "number_format": "auto",
        **extra,
    }
    return admin_client.post(IMPORT_URL, data)


def test_both_fishbowl_lists_link_to_the_import_page(admin_client):
    for url in ("admin:customers_fishbowlcustomer_changelist", "admin:customers_salesorder_changelist"):
        assert IMPORT_URL in admin_client.get(reverse(url)).content.decode()
    assert admin_client.get(IMPORT_URL).status_code == 200


def test_the_preview_shows_counts_mapping_and_notices_and_writes_nothing(admin_client):
    response = preview(admin_client)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Preview (dry run, nothing written)" in page
    assert response.context["result"].lines.created == 6
    assert response.context["result"].customers.created == 3
    assert "<td>Fulfilled Quantity</td><td>Qty fulfilled</td>" in page  # column ← header as written
    assert "repeat an earlier line exactly" in page
    assert "Confirm and import" in page
    assert (FishbowlCustomer.objects.count(), SalesOrder.objects.count()) == (0, 0)
    assert not SyncRun.objects.exists()


def test_problems_are_listed_by_file_line_and_column_and_cannot_be_confirmed(admin_client, tmp_path):
    bad = (FIXTURES / "line_report_c.csv").read_text().replace("4/12/2025", "4/31/2025")
    response = admin_client.post(IMPORT_URL, {
        "action": "preview", "orders": SimpleUploadedFile("april.csv", bad.encode()), "number_format": "auto",
    })  # fmt: skip

    problems = response.context["problems"]
    assert [(p.source, p.line, p.column) for p in problems["april.csv"]] == [("april.csv", 4, "Posting Date")]
    assert "Confirm and import" not in response.content.decode()


def test_an_upload_over_the_size_limit_is_refused(admin_client, settings):
    settings.FISHBOWL_IMPORT_MAX_UPLOAD_MB = 0

    response = preview(admin_client)

    assert "is larger than 0 MB" in response.content.decode()
    assert not (Path(settings.VAR_DIR) / "imports").exists() or not any(
        (Path(settings.VAR_DIR) / "imports").iterdir()
    )


def test_confirm_starts_a_recorded_fishbowl_import_run_that_opens_the_progress_page(admin_client, staff_user):
    context = preview(admin_client).context
    response = admin_client.post(IMPORT_URL, {
        "action": "confirm", "token": context["token"], "number_format": "auto",
        "customers_name": "fishbowl_customer_list.csv", "orders_name": "line_report_a.csv",
    })  # fmt: skip

    run = SyncRun.objects.get(kind=SyncRun.Kind.FISHBOWL_IMPORT)
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:syncs_syncrun_progress", args=[run.pk]
    )
    assert (run.status, run.started_by) == (SyncRun.Status.QUEUED, staff_user)

    sync_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.message.startswith("Imported: Customers: 3 created")
    assert run.counts["lines_created"] == 6 and run.counts["duplicate_rows"] == 1
    assert SalesOrderLine.objects.count() == 6
    history = SalesOrderLine.history.first()
    assert (history.history_user, history.history_change_reason) == (
        staff_user,
        f"fishbowl import run #{run.pk}",
    )
    assert run.log_entries.filter(level="info", message__contains="line_report_a.csv").exists()


def test_a_person_without_the_start_permission_cannot_import(client):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_fishbowlcustomer"))
    client.force_login(user)

    assert "needs the “Can start sync runs”" in client.get(IMPORT_URL).content.decode()
    assert preview(client).status_code == 403


def test_the_command_records_the_same_kind_of_run(capsys):
    call_command("fishbowl_import", "--orders", str(FIXTURES / "line_report_b.csv"))

    run = SyncRun.objects.get(kind=SyncRun.Kind.FISHBOWL_IMPORT)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.options["orders_name"] == "line_report_b.csv"
    assert f"Imported: (run #{run.pk})" in capsys.readouterr().out


def test_a_refused_command_import_leaves_a_failed_run_with_its_reasons(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text((FIXTURES / "line_report_c.csv").read_text().replace("4/12/2025", "4/31/2025"))

    with pytest.raises(CommandError, match="1 problem"):
        call_command("fishbowl_import", "--orders", str(path))

    run = SyncRun.objects.get(kind=SyncRun.Kind.FISHBOWL_IMPORT)
    assert run.status == SyncRun.Status.FAILED
    assert "bad.csv line 4, column 'Posting Date'" in run.message
    assert run.log_entries.filter(level="error", code="invalid_row").count() == 1


# --- the Fishbowl API ----------------------------------------------------------------------------------------
@pytest.fixture
def fishbowl_settings(settings):
    settings.FISHBOWL_URL = BASE
    settings.FISHBOWL_USERNAME = "copperhub"
    settings.FISHBOWL_PASSWORD = PASSWORD
    settings.FISHBOWL_APP_ID = "4242"
    return settings


@responses.activate
def test_the_api_path_keys_customers_and_orders_by_the_customer_id_by_default(fishbowl_settings):
    customer = {"fishbowl_id": 1160, "account_key": "", "name": "Acme", "account_type": "Wholesale",
                "sales_rep": "BenW", "active": 1}  # fmt: skip
    line = {"number": "50101", "so_id": 9001, "date_issued": "2025-01-15", "status": 60, "customer_id": 1160,
            "account_number": 1160, "customer_name": "Acme", "sales_person": "BenW", "default_sales_rep": "",
            "so_item_id": 1, "product_number": "CC Processing", "description": "Credit Card Processing Fee",
            "item_type": "Sale", "quantity": "1.000000000", "unit_price": "4.200000000", "total_price": "4.20",
            "total_cost": "0E-9"}  # fmt: skip
    sent = []

    def answer(request):
        sql = parse_qs(urlsplit(request.url).query)["query"][0]
        sent.append(sql)
        return 200, {}, json.dumps([line] if "JOIN soitem" in sql else [customer])

    responses.post(f"{BASE}/api/login", json={"token": "t"})
    responses.add_callback(responses.GET, f"{BASE}/api/data-query", callback=answer)
    responses.post(f"{BASE}/api/logout")

    call_command("fishbowl_import", "--from-api")

    order = SalesOrder.objects.get()
    assert order.customer.account_number == "1160" and order.customer.fishbowl_id == 1160
    assert order.lines.get().line_type == SalesOrderLine.LineType.CC_PROCESSING
    assert "c.id AS account_number" in sent[-1]


def test_the_import_page_offers_the_api_only_when_fishbowl_is_configured(admin_client, settings):
    settings.FISHBOWL_URL = ""
    assert "Dry run from Fishbowl" not in admin_client.get(IMPORT_URL).content.decode()
    settings.FISHBOWL_URL, settings.FISHBOWL_USERNAME, settings.FISHBOWL_PASSWORD = BASE, "u", "p"

    response = admin_client.post(IMPORT_URL, {"action": "api_dry_run"})

    run = SyncRun.objects.get(kind=SyncRun.Kind.FISHBOWL_IMPORT)
    assert run.options["from_api"] is True and run.options["dry_run"] is True
    assert response["Location"].endswith(f"/{run.pk}/progress/") or str(run.pk) in response["Location"]


def everything_recorded(capsys, caplog) -> str:
    captured = capsys.readouterr()
    records = [
        json.dumps([run.message, run.options, run.counts, run.step]) for run in SyncRun.objects.all()
    ] + [json.dumps([e.message, e.record, e.detail]) for e in SyncRunLog.objects.all()]
    return "\n".join([captured.out, captured.err, caplog.text, *records])


@responses.activate
def test_the_password_never_reaches_a_message_log_or_run_when_fishbowl_echoes_the_login(
    fishbowl_settings, capsys, caplog
):
    caplog.set_level(logging.DEBUG)
    echo = {"message": f"Login failed for {{'username': 'copperhub', 'password': '{PASSWORD}'}}"}
    responses.post(f"{BASE}/api/login", status=401, json=echo)

    with pytest.raises(CommandError) as error:
        call_command("fishbowl_import", "--from-api")

    recorded = everything_recorded(capsys, caplog) + str(error.value)
    assert "refused the username or password" in recorded  # the error itself is still there
    assert PASSWORD not in recorded
    assert "***" in recorded


@responses.activate
def test_credentials_in_the_fishbowl_url_never_reach_a_message_log_or_run(fishbowl_settings, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    fishbowl_settings.FISHBOWL_URL = f"http://copperhub:{URL_PASSWORD}@fishbowl.lan:2456"
    responses.post(
        f"{BASE}/api/login", body=requests.ConnectionError(f"refused http://copperhub:{URL_PASSWORD}@x")
    )

    with pytest.raises(CommandError) as error:
        call_command("fishbowl_import", "--from-api")

    recorded = everything_recorded(capsys, caplog) + str(error.value)
    assert "Could not reach Fishbowl at http://fishbowl.lan:2456" in recorded
    assert URL_PASSWORD not in recorded and PASSWORD not in recorded
