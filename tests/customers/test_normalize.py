"""Account numbers, flags and account types are read the same way everywhere."""

import pytest

from copper.normalize import account_number_is_valid, account_number_normalise, flag_is_set
from customers.models import FishbowlCustomer
from customers.normalize import account_type_normalise

T = FishbowlCustomer.AccountType


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 1,160 ", "1160"),
        ("1160", "1160"),
        (1160, "1160"),
        (1160.0, "1160"),
        ("1160.0", "1160"),
        (None, ""),
        ("", ""),
        ("C-42", "C-42"),
        ("12,34", "12,34"),
    ],
)
def test_account_numbers_are_trimmed_and_lose_thousands_commas(raw, expected):
    assert account_number_normalise(raw) == expected


def test_an_account_number_with_characters_fishbowl_would_not_issue_is_invalid():
    assert account_number_is_valid("1160")
    assert not account_number_is_valid("12,34")
    assert not account_number_is_valid("11 60")
    assert not account_number_is_valid("")


@pytest.mark.parametrize("raw", [True, "true", "TRUE", "checked", "Checked", " yes ", 1])
def test_every_way_exports_write_an_active_flag_counts_as_set(raw):
    assert flag_is_set(raw)


@pytest.mark.parametrize("raw", [False, "false", "", None, 0, "unchecked"])
def test_anything_else_is_not_set(raw):
    assert not flag_is_set(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wholesale", T.WHOLESALE),
        ("wholesale ", T.WHOLESALE),
        ("WHOLESALER", T.WHOLESALE),
        ("Distributor", T.DISTRIBUTOR),
        ("distributors", T.DISTRIBUTOR),
        ("Retail", T.RETAIL),
        (["Retail"], T.RETAIL),
        ("", T.UNKNOWN),
        (None, T.UNKNOWN),
        ("Franchise", T.UNKNOWN),
        ([], T.UNKNOWN),
    ],
)
def test_account_type_variants_map_to_one_value_and_never_default_to_retail(raw, expected):
    assert account_type_normalise(raw) == expected
