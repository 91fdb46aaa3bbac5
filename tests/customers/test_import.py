"""The Fishbowl CSV import: what lands in the mirror, what is refused, and that re-importing changes nothing."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from customers.services.imports import fishbowl_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def account_number_key(settings):
    """These files come from a shop whose Copper Account Order ID holds Fishbowl's customer number."""
    settings.FISHBOWL_ACCOUNT_KEY = "number"


CUSTOMER_HEADER = "Customer ID,Account Number,Name,Account Type,Default Sales Rep,Active"
CUSTOMERS = [
    '1,"1,160",Acme Supply,wholesale,jsmith,checked',
    "2,200,Beta Retail,Retail,,false",
    "3,300,Gamma Dist,DISTRIBUTOR,mlee,",
]
ORDER_HEADER = (
    "Sales order Number,SO ID,Issued date,Sales Order Status,Customer ID,Account ID,Customer,Sales Rep,"
    "Sales Rep Initials,Default Sales Rep,SO Item ID,Product Number,Product Description,Item Type,"
    "Fulfilled Quantity,Unit price,Total price,Total Cost"
)
ORDERS = [
    'SO100,10,01-15-2025,Fulfilled,1,"1,160",Acme Supply,admin,AD,jsmith,1,W-1,Widget,Sale,2,"$1,234.50","$2,469.00",900',
    'SO100,10,01-15-2025,Fulfilled,1,"1,160",Acme Supply,admin,AD,jsmith,2,SHIPPING,Shipping,,1,$0.00,$0.00,',
    "SO101,11,2025-02-03,issued,2,200,Beta Retail,jsmith,JS,,1,G-7,Gadget,CC Processing,1,3.5,3.50,0",
]


def write_csv(directory, name, header, rows):
    path = directory / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    return {
        "customers_path": write_csv(tmp_path, "fishbowl_customers.csv", CUSTOMER_HEADER, CUSTOMERS),
        "orders_path": write_csv(tmp_path, "fishbowl_sales_order_lines.csv", ORDER_HEADER, ORDERS),
    }


def counts():
    return (
        FishbowlCustomer.objects.count(),
        SalesOrder.objects.count(),
        SalesOrderLine.objects.count(),
        FishbowlCustomer.history.count(),
        SalesOrder.history.count(),
        SalesOrderLine.history.count(),
    )


def import_orders(tmp_path, rows, header=ORDER_HEADER, **options):
    path = write_csv(tmp_path, "fishbowl_sales_order_lines.csv", header, rows)
    return fishbowl_import(orders_path=path, **options)


def test_an_import_fills_customers_orders_and_lines_with_clean_values(files):
    result = fishbowl_import(**files)

    assert result.written and not result.errors
    acme = FishbowlCustomer.objects.get(account_number="1160")
    assert (acme.fishbowl_id, acme.name, acme.account_type, acme.sales_rep, acme.is_active) == (
        1,
        "Acme Supply",
        FishbowlCustomer.AccountType.WHOLESALE,
        "jsmith",
        True,
    )
    assert FishbowlCustomer.objects.get(account_number="200").is_active is False
    assert FishbowlCustomer.objects.get(account_number="300").is_active is True  # empty Active means active
    order = SalesOrder.objects.get(number="SO100")
    assert order.customer == acme and order.customer_account_number == "1160"
    assert (order.status, str(order.date_issued), order.sales_person, order.sales_rep) == (
        SalesOrder.Status.FULFILLED,
        "2025-01-15",
        "admin",
        "jsmith",
    )
    widget, shipping = order.lines.order_by("so_item_id")
    assert (widget.unit_price, widget.total_price, widget.total_cost) == (
        Decimal("1234.50"),
        Decimal("2469.00"),
        Decimal("900"),
    )
    assert (widget.line_type, shipping.line_type) == ("sale", "shipping")
    assert SalesOrderLine.objects.get(order__number="SO101").line_type == "cc_processing"
    assert (result.customers.created, result.orders.created, result.lines.created) == (3, 2, 3)


def test_importing_the_same_files_twice_changes_nothing(files):
    fishbowl_import(**files)
    before = counts()

    again = fishbowl_import(**files)

    assert counts() == before
    assert (again.customers.created, again.customers.updated, again.customers.unchanged) == (0, 0, 3)
    assert (again.orders.created, again.orders.updated, again.orders.unchanged) == (0, 0, 2)
    assert (again.lines.created, again.lines.updated, again.lines.unchanged, again.lines.deleted) == (
        0,
        0,
        3,
        0,
    )


def test_history_rows_carry_the_change_reason_naming_the_import_and_the_user(files, staff_user):
    fishbowl_import(**files, user=staff_user)

    for model in (FishbowlCustomer, SalesOrder, SalesOrderLine):
        reasons = set(model.history.values_list("history_change_reason", flat=True))
        assert len(reasons) == 1
        reason = reasons.pop()
        assert reason.startswith(
            "fishbowl import fishbowl_customers.csv + fishbowl_sales_order_lines.csv at "
        )
        assert set(model.history.values_list("history_user", flat=True)) == {staff_user.pk}
        assert set(model.history.values_list("history_type", flat=True)) == {"+"}


def test_a_changed_value_is_updated_with_history_and_a_vanished_line_is_deleted(files, tmp_path):
    fishbowl_import(**files)
    changed = [ORDERS[0].replace("Fulfilled", "Closed Short").replace('"$1,234.50"', "$1000")]
    changed.append(ORDERS[2])  # SO100's shipping line is gone from the new export

    result = import_orders(tmp_path, changed)

    order = SalesOrder.objects.get(number="SO100")
    assert order.status == SalesOrder.Status.CLOSED_SHORT
    assert list(order.lines.values_list("so_item_id", "unit_price")) == [(1, Decimal("1000"))]
    assert (result.orders.updated, result.lines.updated, result.lines.deleted) == (1, 1, 1)
    assert order.history.first().history_change_reason.startswith(
        "fishbowl import fishbowl_sales_order_lines.csv"
    )
    deleted = SalesOrderLine.history.get(history_type="-", so_item_id=2)
    assert deleted.history_change_reason.startswith("fishbowl import fishbowl_sales_order_lines.csv at ")
    assert SalesOrderLine.history.filter(history_type="~").count() == 1


def test_lines_of_one_order_on_non_adjacent_rows_make_one_order(tmp_path, files):
    fishbowl_import(customers_path=files["customers_path"])
    rows = [ORDERS[0], ORDERS[2], ORDERS[1]]

    result = import_orders(tmp_path, rows)
    again = import_orders(tmp_path, rows)

    assert SalesOrder.objects.count() == 2
    assert sorted(SalesOrder.objects.get(number="SO100").lines.values_list("so_item_id", flat=True)) == [1, 2]
    assert (result.orders.created, result.lines.created) == (2, 3)
    assert (again.lines.created, again.lines.updated, again.lines.deleted, again.lines.unchanged) == (
        0,
        0,
        0,
        3,
    )


def test_orders_of_an_unknown_customer_are_kept_without_a_customer(tmp_path):
    result = import_orders(tmp_path, ORDERS)

    order = SalesOrder.objects.get(number="SO100")
    assert order.customer is None and order.customer_account_number == "1160"
    assert result.orders_without_customer == 2


def test_an_order_links_to_its_customer_once_the_customer_is_imported(tmp_path, files):
    import_orders(tmp_path, ORDERS)

    fishbowl_import(**files)

    assert SalesOrder.objects.get(number="SO100").customer.account_number == "1160"


def test_headers_match_in_any_case_and_a_repeated_header_gives_its_first_non_empty_value(tmp_path):
    header = (
        "SALES ORDER NUMBER,issued date, Sales Order Status ,ACCOUNT ID,Sales Rep,Sales Rep,SO ITEM ID,"
        "fulfilled quantity,UNIT PRICE,total price,Report Footer"
    )
    rows = ["SO7,03-04-2025,Issued,42,,kpatel,5,1,2,2,x", ",,,,,,,,,,", ""]  # blank lines at the end
    path = write_csv(tmp_path, "lines.csv", "\ufeff" + header, rows)  # with a byte-order mark

    result = fishbowl_import(orders_path=path)

    assert not result.errors
    assert SalesOrder.objects.get(number="SO7").sales_person == "kpatel"
    assert result.notices == ["lines.csv: columns ignored: Report Footer"]


BAD_INPUT = [
    (
        lambda row: row.replace("01-15-2025", "13-45-2025"),
        "fishbowl_sales_order_lines.csv line 2, column 'Issued date': '13-45-2025' is not a date (MM-DD-YYYY, M/D/YYYY, optionally with a time)",
    ),
    (
        lambda row: row.replace('"$1,234.50"', "12.3x"),
        "fishbowl_sales_order_lines.csv line 2, column 'Unit price': '12.3x' is not an amount",
    ),
    (
        lambda row: row.replace("Fulfilled", "Shipped"),
        "fishbowl_sales_order_lines.csv line 2, column 'Sales Order Status': 'Shipped' is not a sales order "
        "status (Estimate, Issued, In Progress, Fulfilled, Closed Short, Void, Cancelled, Expired, Historical)",
    ),
    (
        lambda row: row.replace('"1,160"', "11 60"),
        "fishbowl_sales_order_lines.csv line 2, column 'Account ID': '11 60' is not a valid account number",
    ),
    (
        lambda row: row.replace(",1,W-1,", ",one,W-1,"),
        "fishbowl_sales_order_lines.csv line 2, column 'SO Item ID': 'one' is not a whole number",
    ),
    (
        lambda row: row.replace("01-15-2025", ""),
        "fishbowl_sales_order_lines.csv line 2, column 'Issued date': is empty; only an Estimate may have no "
        "issued date",
    ),
]


@pytest.mark.parametrize(("spoil", "message"), BAD_INPUT)
def test_a_bad_value_names_file_line_and_column_and_nothing_is_written(files, spoil, message):
    rows = [spoil(ORDERS[0]), *ORDERS[1:]]
    write_csv(files["orders_path"].parent, "fishbowl_sales_order_lines.csv", ORDER_HEADER, rows)

    result = fishbowl_import(**files)

    assert [str(problem) for problem in result.errors] == [message]
    assert not result.written
    assert counts() == (0, 0, 0, 0, 0, 0)  # the valid customers file is not imported either


def test_a_missing_required_column_names_file_and_column(tmp_path):
    header = ORDER_HEADER.replace("Issued date,", "")
    rows = [row.replace("01-15-2025,", "").replace("2025-02-03,", "") for row in ORDERS]

    result = import_orders(tmp_path, rows, header=header)

    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith(
        "fishbowl_sales_order_lines.csv line 1, column 'Issued date': required column 'Issued date' is missing"
    )
    assert counts() == (0, 0, 0, 0, 0, 0)


def test_an_estimate_may_have_no_issued_date(tmp_path):
    import_orders(tmp_path, [ORDERS[2].replace("2025-02-03,issued", ",Estimate")])

    assert SalesOrder.objects.get(number="SO101").date_issued is None


def test_an_so_item_id_repeated_within_an_order_is_an_error(tmp_path):
    result = import_orders(tmp_path, [ORDERS[0], ORDERS[1].replace(",2,SHIPPING", ",1,SHIPPING")])

    assert [str(p) for p in result.errors] == [
        "fishbowl_sales_order_lines.csv line 3, column 'SO Item ID': SO item 1 of order SO100 is also on line 2 "
        "with different values (quantity: 2.0000 ≠ 1.0000; unit_price: 1234.5000 ≠ 0.0000; total_price: 2469.00 ≠ 0.00)"
    ]
    assert SalesOrder.objects.count() == 0


def test_a_repeated_account_number_in_the_customers_file_is_an_error(tmp_path):
    path = write_csv(tmp_path, "c.csv", CUSTOMER_HEADER, [CUSTOMERS[0], "9,1160,Acme again,,,"])

    result = fishbowl_import(customers_path=path)

    assert [str(p) for p in result.errors] == [
        "c.csv line 3, column 'Account Number': account number 1160 repeats line 2"
    ]
    assert FishbowlCustomer.objects.count() == 0


def test_skip_invalid_imports_the_valid_rows_and_skips_a_whole_order_with_an_invalid_line(files):
    rows = [ORDERS[0], ORDERS[1].replace("$0.00,$0.00", "$0.00,free"), ORDERS[2]]
    write_csv(files["orders_path"].parent, "fishbowl_sales_order_lines.csv", ORDER_HEADER, rows)
    bad_customers = [*CUSTOMERS, "x,400,No Id,,,"]
    write_csv(files["customers_path"].parent, "fishbowl_customers.csv", CUSTOMER_HEADER, bad_customers)

    result = fishbowl_import(**files, skip_invalid=True)

    assert result.written
    assert [str(p) for p in result.errors] == [
        "fishbowl_customers.csv line 5, column 'Customer ID': 'x' is not a whole number",
        "fishbowl_sales_order_lines.csv line 3, column 'Total price': 'free' is not an amount",
    ]
    assert "fishbowl_sales_order_lines.csv: order SO100 skipped (2 lines, 1 invalid)" in result.notices
    assert list(SalesOrder.objects.values_list("number", flat=True)) == ["SO101"]
    assert FishbowlCustomer.objects.count() == 3
    assert (result.orders.invalid, result.lines.invalid, result.lines.skipped, result.customers.invalid) == (
        1,
        1,
        1,
        1,
    )


def test_a_dry_run_reports_what_would_change_and_writes_nothing(files):
    result = fishbowl_import(**files, dry_run=True)

    assert counts() == (0, 0, 0, 0, 0, 0)
    assert not result.written
    assert (result.customers.created, result.orders.created, result.lines.created) == (3, 2, 3)
    assert result.orders_without_customer == 0  # customers created in the same (rolled back) run count


def test_a_dry_run_after_an_import_reports_updates_without_making_them(files, tmp_path):
    fishbowl_import(**files)
    before = counts()

    result = import_orders(tmp_path, [ORDERS[0].replace("admin", "jsmith"), *ORDERS[1:]], dry_run=True)

    assert counts() == before
    assert SalesOrder.objects.get(number="SO100").sales_person == "admin"
    assert (result.orders.updated, result.orders.unchanged) == (1, 1)


def test_a_locked_customer_field_is_not_overwritten(files):
    fishbowl_import(**files)
    FishbowlCustomer.objects.filter(account_number="1160").update(
        name="Acme (edited)", locked_fields=["name"]
    )

    fishbowl_import(**files)

    assert FishbowlCustomer.objects.get(account_number="1160").name == "Acme (edited)"


def test_the_command_prints_a_summary(files, capsys):
    call_command(
        "fishbowl_import", "--customers", str(files["customers_path"]), "--orders", str(files["orders_path"])
    )

    out = capsys.readouterr().out
    assert "Customers: 3 created, 0 updated, 0 unchanged" in out
    assert "Order lines: 3 created, 0 updated, 0 unchanged" in out


def test_the_command_exits_non_zero_listing_the_errors_and_imports_nothing(files, capsys):
    write_csv(
        files["orders_path"].parent,
        "fishbowl_sales_order_lines.csv",
        ORDER_HEADER,
        [ORDERS[0].replace("2025", "20x5")],
    )

    with pytest.raises(CommandError, match="1 problem"):
        call_command(
            "fishbowl_import",
            "--customers",
            str(files["customers_path"]),
            "--orders",
            str(files["orders_path"]),
        )

    assert "line 2, column 'Issued date': '01-15-20x5' is not a date" in capsys.readouterr().err
    assert counts() == (0, 0, 0, 0, 0, 0)


def test_the_command_dry_run_writes_nothing(files, capsys):
    call_command("fishbowl_import", "--orders", str(files["orders_path"]), "--dry-run")

    assert "Dry run, nothing written" in capsys.readouterr().out
    assert counts() == (0, 0, 0, 0, 0, 0)


def test_the_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("fishbowl_import", "--orders", str(tmp_path / "nope.csv"))


def test_a_customer_id_held_by_another_account_is_an_error_not_a_crash(files):
    FishbowlCustomer.objects.create(account_number="999", fishbowl_id=1, name="Old number")

    result = fishbowl_import(customers_path=files["customers_path"])

    assert [str(p) for p in result.errors] == [
        "fishbowl_customers.csv line 2, column 'Customer ID': Customer ID 1 belongs to account 999 in copperhub"
    ]
    assert FishbowlCustomer.objects.count() == 1


def test_the_benchmark_files_import_cleanly_and_a_second_import_writes_nothing(tmp_path):
    from customers.benchmarks.imports import fishbowl_files_write

    customers_path, orders_path = fishbowl_files_write(tmp_path, lines=300)

    first = fishbowl_import(customers_path=customers_path, orders_path=orders_path)
    before = counts()
    second = fishbowl_import(customers_path=customers_path, orders_path=orders_path)

    assert not first.errors and first.lines.created == 300
    assert (second.lines.unchanged, second.orders.created, second.orders.updated) == (300, 0, 0)
    assert counts() == before


def test_a_file_that_is_neither_utf8_nor_windows_1252_is_refused_naming_line_and_column(tmp_path):
    path = tmp_path / "broken.csv"
    # UTF-8 text (é) with a stray byte later on: no single encoding reads it.
    row = ORDERS[0].replace("Acme Supply", "Acm\xe9 Supply").encode("utf-8")
    path.write_bytes(
        ORDER_HEADER.encode()
        + b"\n"
        + row
        + b"\n"
        + ORDERS[1].replace("Acme", "Ac\xe9me").encode("latin-1")
        + b"\n"
    )

    with pytest.raises(
        CommandError, match=r"broken.csv line 3, column 'Customer' \(character \d+\): cannot be read"
    ):
        call_command("fishbowl_import", "--orders", str(path))

    assert counts() == (0, 0, 0, 0, 0, 0)


def test_with_a_run_the_history_names_the_run_and_a_refused_import_leaves_its_errors_on_it(files, tmp_path):
    from syncs.models import SyncRun
    from syncs.progress import Progress

    run = SyncRun.objects.create(kind=SyncRun.Kind.FISHBOWL_IMPORT, status=SyncRun.Status.RUNNING)
    fishbowl_import(**files, progress=Progress(run))
    assert set(SalesOrder.history.values_list("history_change_reason", flat=True)) == {
        f"fishbowl import run #{run.pk}"
    }

    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED)  # one active run per kind
    second = SyncRun.objects.create(kind=SyncRun.Kind.FISHBOWL_IMPORT, status=SyncRun.Status.RUNNING)
    import_orders(tmp_path, [ORDERS[0].replace("Fulfilled", "Shipped")], progress=Progress(second))

    second.refresh_from_db()
    assert second.errors == 1
    assert list(second.log_entries.values_list("record", flat=True)) == [
        "fishbowl_sales_order_lines.csv line 2"
    ]
