"""Real Fishbowl exports import as they come: every header spelling, no status column, repeated rows, card fees
typed Sale, every encoding and delimiter real exports use, and the customer list keyed by ``Customer #``."""

from decimal import Decimal
from pathlib import Path

import pytest

from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from customers.services.imports import fishbowl_import

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
CUSTOMERS = FIXTURES / "fishbowl_customer_list.csv"
LineType = SalesOrderLine.LineType


def line(order: str, item: int) -> SalesOrderLine:
    return SalesOrderLine.objects.get(order__number=order, so_item_id=item)


def test_the_customer_list_is_keyed_by_customer_number_as_the_fishbowl_id():
    result = fishbowl_import(customers_path=CUSTOMERS)

    assert not result.errors
    acme = FishbowlCustomer.objects.get(account_number="1160")
    assert (acme.fishbowl_id, acme.name, acme.account_type, acme.sales_rep) == (
        1160,
        "Acme Supply",
        "wholesale",
        "BenW",
    )
    assert acme.billing_address == "12 Main St\nSpringfield, IL"
    assert FishbowlCustomer.objects.get(account_number="1377").is_active is False


@pytest.mark.parametrize("report", ["line_report_a.csv", "line_report_b.csv", "line_report_c.csv"])
def test_each_spelling_family_of_the_line_report_imports_with_its_products_and_line_types(report):
    result = fishbowl_import(customers_path=CUSTOMERS, orders_path=FIXTURES / report)

    assert [str(p) for p in result.errors] == []
    assert result.written
    assert SalesOrderLine.objects.exclude(product_number="").count() == SalesOrderLine.objects.count()
    assert SalesOrder.objects.filter(customer__isnull=True).count() == 0
    shipping = SalesOrderLine.objects.filter(product_number="Shipping")
    assert {item.line_type for item in shipping} == {LineType.SHIPPING}
    assert all(order.sales_person in ("BenW", "AnnaK") for order in SalesOrder.objects.all())


def test_family_a_card_fees_typed_sale_are_card_fees_and_every_item_type_is_recognised():
    fishbowl_import(customers_path=CUSTOMERS, orders_path=FIXTURES / "line_report_a.csv")

    assert line("50101", 3).line_type == LineType.CC_PROCESSING  # item type Sale, product CC Processing
    assert line("50102", 1).line_type == LineType.SALE  # Kit
    assert line("50102", 2).line_type == LineType.DISCOUNT  # Discount Amount
    assert line("50102", 3).line_type == LineType.OTHER  # Credit Return: counted in revenue, negative
    assert line("50102", 3).total_price == Decimal("-720.00")
    order = SalesOrder.objects.get(number="50102")
    assert order.customer.account_number == "1204"  # the second "Account ID" column filled the empty first


def test_family_a_an_exactly_repeated_row_imports_once_with_a_notice():
    result = fishbowl_import(orders_path=FIXTURES / "line_report_a.csv")

    assert not result.errors
    assert SalesOrderLine.objects.filter(order__number="50102").count() == 3
    assert result.duplicate_rows == 1
    assert any("1 line(s) repeat an earlier line exactly" in n and "lines 8" in n for n in result.notices)


def test_family_b_dates_with_a_time_and_parenthesised_discounts():
    result = fishbowl_import(customers_path=CUSTOMERS, orders_path=FIXTURES / "line_report_b.csv")

    order = SalesOrder.objects.get(number="50201")
    assert (str(order.date_issued), order.fishbowl_id, order.customer_name) == (
        "2025-03-04",
        9101,
        "Acme Supply",
    )
    assert line("50202", 1).line_type == LineType.CC_PROCESSING
    assert line("50202", 3).total_price == Decimal("-19.90")
    assert "Negative amounts: 1 line(s), 1 in parentheses; negative quantities: 0" in result.summary()
    assert any("columns ignored: Product ID, Last Unit Price" in n for n in result.notices)


def test_family_c_without_status_or_item_type_imports_with_the_default_status_and_a_notice():
    result = fishbowl_import(customers_path=CUSTOMERS, orders_path=FIXTURES / "line_report_c.csv")

    assert not result.errors
    assert set(SalesOrder.objects.values_list("status", flat=True)) == {SalesOrder.Status.ISSUED}
    assert str(SalesOrder.objects.get(number="50301").date_issued) == "2025-04-07"
    assert any("no status column; new orders get the status Issued" in n for n in result.notices)
    assert line("50301", 2).line_type == LineType.SHIPPING  # the product is the only sign
    # With no "Account id2" value, the customer id is the account key.
    assert SalesOrder.objects.get(number="50302").customer.account_number == "1160"


def test_a_report_without_status_leaves_the_status_of_orders_already_imported(tmp_path):
    fishbowl_import(orders_path=FIXTURES / "line_report_c.csv")
    order = SalesOrder.objects.get(number="50301")
    order.status = SalesOrder.Status.FULFILLED
    order.save()

    fishbowl_import(orders_path=FIXTURES / "line_report_c.csv")

    assert SalesOrder.objects.get(number="50301").status == SalesOrder.Status.FULFILLED


def test_the_same_order_and_item_with_different_values_is_an_error_naming_both_lines(tmp_path):
    text = (FIXTURES / "line_report_a.csv").read_text()
    path = tmp_path / "report.csv"
    path.write_text(
        text.rstrip("\n").rsplit("\n", 1)[0]
        + "\n"
        + text.rstrip("\n").rsplit("\n", 1)[1].replace("-$720.00,-$720.00", "-$700.00,-$700.00")
        + "\n"
    )

    result = fishbowl_import(orders_path=path)

    assert not result.written
    assert [str(p) for p in result.errors] == [
        "report.csv line 8, column 'SO Item ID': SO item 3 of order 50102 is also on line 7 with different "
        "values (unit_price: -720.0000 ≠ -700.0000; total_price: -720.00 ≠ -700.00)"
    ]


ENCODINGS = {
    "utf-8 with BOM": lambda text: text.encode("utf-8-sig"),
    "windows-1252": lambda text: text.encode("cp1252"),
    "utf-16 with BOM": lambda text: text.encode("utf-16"),
}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_every_encoding_and_delimiter_of_real_exports_reads_the_same(tmp_path, encoding, delimiter):
    import csv
    import io

    rows = list(csv.reader(io.StringIO((FIXTURES / "line_report_b.csv").read_text(encoding="utf-8"))))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "export.csv"
    path.write_bytes(ENCODINGS[encoding](buffer.getvalue()))

    result = fishbowl_import(customers_path=CUSTOMERS, orders_path=path)

    assert [str(p) for p in result.errors] == []
    assert SalesOrder.objects.get(number="50202").customer_name == "Café Gamma"
    assert SalesOrderLine.objects.count() == 5
    if (encoding, delimiter) != ("utf-8 with BOM", ","):
        assert any(n.startswith("export.csv: read as ") for n in result.notices)


def test_a_shop_keyed_by_customer_number_reads_the_number(settings, tmp_path):
    settings.FISHBOWL_ACCOUNT_KEY = "number"
    path = tmp_path / "customers.csv"
    path.write_text("Customer ID,Account Number,Name\n7,C-100,Acme\n")

    fishbowl_import(customers_path=path)

    customer = FishbowlCustomer.objects.get()
    assert (customer.account_number, customer.fishbowl_id) == ("C-100", 7)


def test_extra_header_spellings_come_from_the_setting(settings, tmp_path):
    settings.FISHBOWL_COLUMN_ALIASES = {"product_number": ["Artikel"]}
    source = (FIXTURES / "line_report_c.csv").read_text().replace("Part Number", "Artikel")
    path = tmp_path / "report.csv"
    path.write_text(source)

    result = fishbowl_import(orders_path=path)

    assert not result.errors
    assert line("50301", 1).product_number == "CB-6"
    assert ("product_number", "Artikel") in result.mappings["report.csv"]


def test_a_missing_required_column_lists_the_headers_and_suggests_the_closest(tmp_path):
    path = tmp_path / "report.csv"
    source = (FIXTURES / "line_report_c.csv").read_text().replace("Fulfilled Quantity", "Qty shipped")
    path.write_text(source)

    result = fishbowl_import(orders_path=path)

    (problem,) = result.errors
    assert problem.column == "Fulfilled Quantity"
    assert "required column 'Fulfilled Quantity' is missing" in problem.message
    assert "did you mean 'Qty shipped'?" in problem.message
    assert "The file's headers: 'SO #', 'Sales order Id', 'Posting Date'" in problem.message
    assert SalesOrder.objects.count() == 0


def test_commissions_and_metrics_leave_out_card_fees_typed_sale_and_shipping_by_product(settings):
    from metrics.selectors import _counted_line_types

    fishbowl_import(customers_path=CUSTOMERS, orders_path=FIXTURES / "line_report_b.csv")

    counted = set(_counted_line_types())
    fee, shipping = line("50202", 1), line("50201", 2)
    assert fee.line_type not in counted and shipping.line_type not in counted
    assert line("50202", 2).line_type in counted
