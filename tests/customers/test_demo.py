"""The demo world: deterministic for a seed, and shaped like the real Copper + Fishbowl data."""

import collections
import csv
import datetime as dt
import io
import json
import re
import time

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command, get_commands

from copper.normalize import account_number_normalise
from copper.sandbox.world import END_DATE, iter_companies
from customers.demo import HOUSE_ACCOUNT, demo_world_write
from customers.normalize import account_type_normalise

COMPANIES = 800


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    counts = demo_world_write(out_dir=out, seed=7, companies=COMPANIES)
    return out, counts


def read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def column(header, name):
    """Index of the first column called ``name`` (case-insensitive, as the importer matches)."""
    return [h.strip().lower() for h in header].index(name.lower())


def copper_world(out):
    definitions = json.loads((out / "copper/custom_field_definitions.json").read_text())
    by_name = {d["name"]: d["id"] for d in definitions}
    companies = [json.loads(line) for line in (out / "copper/companies.jsonl").read_text().splitlines()]

    def value(company, name):
        return next(
            f["value"] for f in company["custom_fields"] if f["custom_field_definition_id"] == by_name[name]
        )

    return companies, value


def test_the_same_seed_writes_byte_identical_files_and_another_seed_does_not(tmp_path):
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        demo_world_write(out_dir=tmp_path / name, seed=seed, companies=150)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 6
    for path in files:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes(), path
    assert (tmp_path / "a/copper/companies.jsonl").read_bytes() != (
        tmp_path / "c/copper/companies.jsonl"
    ).read_bytes()


def test_companies_are_generated_lazily_so_a_huge_world_starts_at_once():
    started = time.monotonic()
    first = next(iter_companies(7, 1_000_000))
    assert time.monotonic() - started < 2
    assert first.copper == next(iter_companies(7, 1_000_000)).copper


def test_copper_companies_are_mostly_active_mostly_numbered_with_duplicates_and_comma_ids(world):
    out, counts = world
    companies, value = copper_world(out)
    assert counts["copper_companies"] == len(companies) == COMPANIES
    active = [c for c in companies if value(c, "Active Customer")]
    assert 0.78 < len(active) / COMPANIES < 0.92
    numbered = [c for c in companies if value(c, "Account Order ID")]
    assert 0.86 < len(numbered) / COMPANIES < 0.97
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+", value(c, "Account Order ID")) for c in numbered)
    owners = collections.Counter(
        account_number_normalise(value(c, "Account Order ID")) for c in active if value(c, "Account Order ID")
    )
    shared = [number for number, n in owners.items() if n > 1]
    assert 2 <= len(shared) <= 10
    assert counts["duplicated_order_ids"] == len(shared)
    domains = [c["email_domain"] for c in companies if c["email_domain"]]
    assert len(domains) == len(set(domains)) > 0.9 * COMPANIES
    assert all(
        isinstance(c["date_modified"], int) and c["date_created"] <= c["date_modified"] for c in companies
    )


def test_fishbowl_customers_are_a_part_of_the_companies_matching_their_account_order_ids(world):
    out, counts = world
    companies, value = copper_world(out)
    header, rows = read_csv(out / "fishbowl_customers.csv")
    assert counts["fishbowl_customers"] == len(rows)
    assert 0.38 < len(rows) / COMPANIES < 0.54  # 765 of 1,662 in the real system
    copper_numbers = {account_number_normalise(value(c, "Account Order ID")) for c in companies}
    numbers = [account_number_normalise(r[column(header, "Account Number")]) for r in rows]
    assert len(set(numbers)) == len(numbers)
    assert set(numbers) <= copper_numbers
    assert any("," in r[column(header, "Account Number")] for r in rows)
    types = collections.Counter(account_type_normalise(r[column(header, "Account Type")]) for r in rows)
    assert set(types) == {"wholesale", "distributor", "retail"}  # every spelling is understood
    shares = {str(k): n / len(rows) for k, n in types.items()}
    assert 0.74 < shares["wholesale"] < 0.88
    assert 0.08 < shares["distributor"] < 0.19
    assert 0.02 < shares["retail"] < 0.11
    assert len({r[column(header, "Account Type")] for r in rows}) > 3  # spelled several ways
    no_rep = sum(not r[column(header, "Default Sales Rep")] for r in rows) / len(rows)
    assert 0.18 < no_rep < 0.32
    flags = {r[column(header, "Active")] for r in rows}
    assert {"true", "checked", "Checked"} <= flags


def test_sales_orders_have_the_shape_of_the_real_ones(world):
    out, counts = world
    header, rows = read_csv(out / "fishbowl_sales_order_lines.csv")
    number, kind, product = (
        column(header, "Sales order Number"),
        column(header, "Item Type"),
        column(header, "Product Number"),
    )
    unit, issued = (
        column(header, "Unit price"),
        column(header, "Issued date"),
    )
    reps = [i for i, h in enumerate(header) if h.lower() == "sales rep"]
    orders = {r[number] for r in rows}
    assert (counts["sales_orders"], counts["sales_order_lines"]) == (len(orders), len(rows))
    scale = COMPANIES / 1662
    assert 0.85 * 250 * scale < len(orders) / 24 < 1.15 * 250 * scale
    assert 2.8 < len(rows) / len(orders) < 3.7

    def line_type(r):
        return r[kind] or ("Shipping" if r[product] == "SHIPPING" else "Sale")

    types = collections.Counter(line_type(r) for r in rows)
    assert 0.35 < types["Shipping"] / len(rows) < 0.45
    assert 0.03 < types["CC Processing"] / len(rows) < 0.07
    shipping_prices = [
        float(r[unit].replace("$", "").replace(",", "")) for r in rows if line_type(r) == "Shipping"
    ]
    assert shipping_prices.count(0.0) / len(shipping_prices) > 0.9
    salesman = [
        next((r[i] for i in reps if r[i]), "") for r in rows
    ]  # first non-empty of the repeated column
    assert 0.27 < salesman.count(HOUSE_ACCOUNT) / len(rows) < 0.40
    assert any(not r[reps[0]] and r[reps[1]] for r in rows)  # the repeat matters
    assert any(r[product] == "SAMPLE-KIT" for r in rows)
    dates = [dt.datetime.strptime(r[issued], "%m-%d-%Y").date() for r in rows if r[issued]]
    assert max(dates) <= END_DATE and max(dates) > END_DATE - dt.timedelta(days=15)
    assert (END_DATE - min(dates)).days > 700


def test_some_orders_are_for_copper_accounts_missing_from_the_customer_export(world):
    out, _ = world
    c_header, customers = read_csv(out / "fishbowl_customers.csv")
    known = {account_number_normalise(r[column(c_header, "Account Number")]) for r in customers}
    header, rows = read_csv(out / "fishbowl_sales_order_lines.csv")
    companies, value = copper_world(out)
    copper_numbers = {account_number_normalise(value(c, "Account Order ID")) for c in companies}
    missing = {account_number_normalise(r[column(header, "Account ID")]) for r in rows} - known
    assert missing and missing <= copper_numbers


def test_the_line_report_repeats_and_varies_its_headers_and_carries_a_bom(world):
    out, _ = world
    raw = (out / "fishbowl_sales_order_lines.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, _ = read_csv(out / "fishbowl_sales_order_lines.csv")
    lowered = collections.Counter(h.lower() for h in header)
    assert lowered["sales rep"] == 2 and lowered["customer id"] == 2
    assert "ISSUED DATE" in header and "sales order number" in header


def test_demo_data_writes_the_files_and_prints_counts(tmp_path):
    stdout = io.StringIO()
    call_command("demo_data", companies=40, seed=3, out=tmp_path, stdout=stdout)
    assert (tmp_path / "fishbowl_customers.csv").exists()
    assert (tmp_path / "copper/companies.jsonl").read_text().count("\n") == 40
    assert "copper companies: 40" in stdout.getvalue()


@pytest.mark.django_db
def test_demo_setup_prints_working_logins_and_can_run_twice(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; not under test
    for _ in range(2):
        stdout = io.StringIO()
        call_command("demo_setup", companies=40, seed=3, stdout=stdout, stderr=io.StringIO())
        output = stdout.getvalue()
        assert "http://127.0.0.1:8000/admin/" in output
        passwords = dict(re.findall(r"user: (\w+)\s+password: (\S+)", output))
        assert set(passwords) == {"admin", "reviewer"}
        for username, password in passwords.items():
            user = authenticate(username=username, password=password)
            assert user is not None and user.is_staff
    assert (tmp_path / "demo/fishbowl_sales_order_lines.csv").exists()
    if "fishbowl_import" in get_commands():
        from customers.models import FishbowlCustomer

        _, customers = read_csv(tmp_path / "demo/fishbowl_customers.csv")
        assert FishbowlCustomer.objects.count() == len(customers)



@pytest.mark.django_db
def test_the_demo_prints_the_login_url_on_the_port_it_serves(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; not under test
    stdout = io.StringIO()
    call_command("demo_setup", companies=40, seed=3, port=9400, stdout=stdout, stderr=io.StringIO())
    assert "http://127.0.0.1:9400/admin/" in stdout.getvalue()
