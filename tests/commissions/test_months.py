"""Calendar-month arithmetic used by the customer-status rules."""

from datetime import date

import pytest

from commissions.months import month_next, month_parse, months_add


@pytest.mark.parametrize(
    "start, months, expected",
    [
        (date(2025, 1, 31), 6, date(2025, 7, 31)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
    ],
)
def test_months_are_added_on_the_calendar_clamping_to_the_last_day(start, months, expected):
    assert months_add(start, months) == expected


def test_a_month_is_parsed_from_yyyy_mm_and_the_next_month_follows_december():
    assert month_parse("2026-01") == date(2026, 1, 1)
    assert month_parse(date(2026, 3, 17)) == date(2026, 3, 1)
    assert month_next(date(2025, 12, 1)) == date(2026, 1, 1)


@pytest.mark.parametrize("value", ["2026-13", "2026/01", "January", "", "26-01"])
def test_a_bad_month_is_refused_with_a_clear_message(value):
    with pytest.raises(ValueError, match="Month must look like YYYY-MM"):
        month_parse(value)
