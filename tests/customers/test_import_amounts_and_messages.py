"""Amounts are never misread (the file's number format is told, or the file refused), and the import's messages
point at the right line and column with the right advice."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from customers.fishbowl_csv import ImportFileError
from customers.models import SalesOrder, SalesOrderLine
from customers.services.imports import fishbowl_import

pytestmark = pytest.mark.django_db

HEADER = "SO Number;Date Issued;Status;Account ID;Sales Rep;SO Item ID;Product;Qty fulfilled;Unit price;Total price"


def report(tmp_path, rows, header=HEADER, name="report.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def nothing_written():
    return SalesOrder.objects.count() == 0 and SalesOrderLine.objects.count() == 0


def test_european_amounts_read_right(tmp_path):
    path = report(tmp_path, [
        "S1;01-02-2025;Fulfilled;1160;BenW;1;CB-6;2;1.234,50;2.469,00",
        "S1;01-02-2025;Fulfilled;1160;BenW;2;GR-2;1;246,90;246,90",
    ])  # fmt: skip

    result = fishbowl_import(orders_path=path)

    assert not result.errors
    assert SalesOrderLine.objects.get(so_item_id=1).unit_price == Decimal("1234.5")
    assert SalesOrderLine.objects.get(so_item_id=2).total_price == Decimal("246.90")
    assert "report.csv: amounts read with a decimal comma (1.234,50)." in result.notices


def test_point_decimal_amounts_with_thousands_commas_read_right(tmp_path):
    path = report(tmp_path, ['S1,01-02-2025,Fulfilled,1160,BenW,1,CB-6,2,"1,234.50","$2,469.00"'],
                  header=HEADER.replace(";", ","))  # fmt: skip

    fishbowl_import(orders_path=path)

    assert SalesOrderLine.objects.get().total_price == Decimal("2469.00")


def test_a_file_mixing_both_formats_is_refused_naming_both_lines(tmp_path):
    path = report(tmp_path, [
        "S1;01-02-2025;Fulfilled;1160;BenW;1;CB-6;1;12.50;12.50",
        "S1;01-02-2025;Fulfilled;1160;BenW;2;GR-2;1;246,90;246,90",
    ])  # fmt: skip

    result = fishbowl_import(orders_path=path)

    (problem,) = result.errors
    assert "two number formats" in problem.message
    assert "line 2 column 'Unit price' has '12.50'" in problem.message
    assert "line 3 column 'Unit price' has '246,90'" in problem.message
    assert nothing_written()


def test_a_file_whose_amounts_read_two_ways_is_refused_unless_the_format_is_chosen(tmp_path):
    path = report(tmp_path, ["S1;01-02-2025;Fulfilled;1160;BenW;1;CB-6;1;1,250;1,250"])

    refused = fishbowl_import(orders_path=path)
    chosen = fishbowl_import(orders_path=path, number_format="comma")

    assert "the number format cannot be told" in refused.errors[0].message
    assert "'1,250' (line 2, column 'Unit price')" in refused.errors[0].message
    assert chosen.written and SalesOrderLine.objects.get().unit_price == Decimal("1.25")


def test_a_value_in_the_other_format_after_the_first_rows_is_a_problem_not_a_misreading(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("customers.fishbowl_csv.sources.SAMPLE_ROWS", 3)  # the format is told from 3 rows
    rows = [f"S{i};01-02-2025;Fulfilled;1160;BenW;1;CB-6;1;2,50;2,50" for i in range(3)]
    rows.append("S9;01-02-2025;Fulfilled;1160;BenW;1;CB-6;1;2,50;1,234.50")

    result = fishbowl_import(orders_path=report(tmp_path, rows))

    assert [str(p) for p in result.errors] == [
        "report.csv line 5, column 'Total price': '1,234.50' is not an amount in this file's number format "
        "(1.234,50)"
    ]


def test_quantity_times_price_that_disagrees_with_the_total_is_a_notice(tmp_path):
    path = report(tmp_path, [
        "S1;01-02-2025;Fulfilled;1160;BenW;1;CB-6;2;10,00;20,01",
        "S1;01-02-2025;Fulfilled;1160;BenW;2;GR-2;3;10,00;25,00",
        "S1;01-02-2025;Fulfilled;1160;BenW;3;GR-3;0;10,00;10,00",
    ])  # fmt: skip

    result = fishbowl_import(orders_path=path)

    assert result.written
    assert result.amounts.mismatched == 1
    assert any("line 3: 3 × 10 ≠ 25.00" in notice for notice in result.notices)


def test_negative_and_parenthesised_amounts_and_negative_quantities_are_in_the_summary(tmp_path):
    path = report(tmp_path, [
        "S1;01-02-2025;Fulfilled;1160;BenW;1;RET;1;-720,00;-720,00",
        "S1;01-02-2025;Fulfilled;1160;BenW;2;RET;1;(1.234,50);(1.234,50)",
        "S1;01-02-2025;Fulfilled;1160;BenW;3;RET;-2;5,00;-10,00",
    ])  # fmt: skip

    result = fishbowl_import(orders_path=path)

    assert SalesOrderLine.objects.get(so_item_id=2).total_price == Decimal("-1234.50")
    assert "Negative amounts: 3 line(s), 1 in parentheses; negative quantities: 1" in result.summary()
    assert any("negative quantity (lines 4)" in n for n in result.notices)


# --- messages (issue 16, item 9) -----------------------------------------------------------------------------
def test_a_bad_byte_on_line_3_is_reported_on_line_3_with_its_column(tmp_path):
    path = tmp_path / "report.csv"
    head = HEADER.replace(";", ",") + "\nS1,01-02-2025,Fulfilled,1160,Jos\xe9,1,CB-6,1,2.50,2.50\n"
    path.write_bytes(head.encode("utf-8") + b"S1,01-02-2025,Fulfilled,1160,Ren\xe9e,2,CB-6,1,2.50,2.50\n")

    with pytest.raises(ImportFileError) as error:
        fishbowl_import(orders_path=path)

    assert str(error.value).startswith(
        "report.csv line 3, column 'Sales Rep' (character 33): cannot be read as text"
    )
    assert nothing_written()


def test_a_byte_windows_1252_does_not_define_is_reported_where_it_is(tmp_path):
    path = tmp_path / "report.csv"
    text = HEADER.replace(";", ",") + "\nS1,01-02-2025,Fulfilled,1160,BenW,1,CB-6,1,2.50,2.50\n"
    path.write_bytes(text.encode() + b"S2,01-02-2025,Fulfilled,1160,Ren\xe9e,1,CB\x81,1,2.50,2.50\n")

    with pytest.raises(
        ImportFileError,
        match=r"report.csv line 3, column 'Product' \(character 40\).*byte 0x81 is not a Windows-1252 character",
    ):
        fishbowl_import(orders_path=path)


def test_utf16_without_its_mark_gets_advice_not_a_misreading(tmp_path):
    path = tmp_path / "report.csv"
    path.write_bytes((HEADER + "\n").encode("utf-16-le"))

    with pytest.raises(ImportFileError, match="UTF-16 text without its byte-order mark"):
        fishbowl_import(orders_path=path)


def test_an_unterminated_quote_is_reported_on_its_own_line_and_column(tmp_path):
    rows = [f"S{i},01-02-2025,Fulfilled,1160,BenW,1,CB-6,1,2.50,2.50" for i in range(1, 8)]
    rows[2] = 'S3,01-02-2025,Fulfilled,1160,BenW,1,"CB-6,1,2.50,2.50'
    path = report(tmp_path, rows, header=HEADER.replace(";", ","))

    with pytest.raises(ImportFileError) as error:
        fishbowl_import(orders_path=path)

    assert str(error.value).startswith(
        "report.csv line 4, column 'Product': a quote (\") opened in this value is not closed on its line"
    )
    assert nothing_written()


def test_a_huge_field_gets_the_advice_about_quotes_not_about_utf8(tmp_path):
    path = report(tmp_path, ['S1,01-02-2025,Fulfilled,1160,BenW,1,"' + "x" * 200_000 + '",1,2.50,2.50'],
                  header=HEADER.replace(";", ","))  # fmt: skip

    with pytest.raises(ImportFileError) as error:
        fishbowl_import(orders_path=path)

    message = str(error.value)
    assert message.startswith("report.csv line 2: a value longer than 131,072 characters")
    assert "quote" in message and "UTF-8" not in message


def test_a_semicolon_file_is_read_as_one(tmp_path):
    path = report(tmp_path, ["S1;01-02-2025;Fulfilled;1160;BenW;1;CB-6;1;2.50;2.50"])

    result = fishbowl_import(orders_path=path)

    assert not result.errors
    assert "report.csv: read as UTF-8, semicolon-separated." in result.notices


def test_a_file_with_another_delimiter_is_named_as_such_in_one_error(tmp_path):
    path = report(
        tmp_path, ["S1|01-02-2025|Fulfilled|1160|BenW|1|CB-6|1|2.50|2.50"], header=HEADER.replace(";", "|")
    )

    with pytest.raises(
        ImportFileError, match=r"^report.csv line 1: the columns seem to be separated by '\|'"
    ):
        fishbowl_import(orders_path=path)


def test_a_header_only_file_is_not_silent(tmp_path, capsys):
    path = report(tmp_path, [])

    with pytest.raises(CommandError, match="1 problem"):
        call_command("fishbowl_import", "--orders", str(path))

    assert "report.csv line 1: has a header line but no data rows" in capsys.readouterr().err
