"""Which header of a Fishbowl export is which column: one alias table per column, compared normalised.

A header is normalised by lower-casing it, reading ``#`` as "number" and dropping everything that is not a
letter or digit, so ``SO #``, ``SO Number`` and ``so-number`` are one spelling, as are ``So item id`` and
``SO Item ID``. The tables cover every spelling seen in real exports of one Copper + Fishbowl shop; a shop with
others adds them without code through the ``FISHBOWL_COLUMN_ALIASES`` setting (``{column key: [spellings]}``).
No database access.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Column:
    """One column of an export: its key (the parsers' name for it), the canonical label, the spellings it is
    known by, and whether a file without it cannot be imported."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def spellings(self) -> tuple[str, ...]:
        extra = tuple(getattr(settings, "FISHBOWL_COLUMN_ALIASES", {}).get(self.key, ()))
        return (self.label, *self.aliases, *extra)


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def header_normalise(raw: str) -> str:
    """``" SO # "`` → ``"sonumber"``; ``"So item id"`` → ``"soitemid"``."""
    text = raw.lower().replace("#", " number ").replace("\u2116", " number ")
    return _NOT_ALNUM.sub("", text)


# The customer list. ``fishbowl_id`` is Fishbowl's customer id, ``account_key`` the column a shop's customer
# list gives as its customer key (``Customer #``): with FISHBOWL_ACCOUNT_KEY = "id" the key is the id, with
# "number" it is customer.number. Which is required depends on that setting (see ``required_keys``).
CUSTOMER_COLUMNS = (
    Column("fishbowl_id", "Customer ID", ("Customer Id", "ID", "Fishbowl ID", "Cust ID")),
    Column(
        "account_key",
        "Account Number",
        ("Customer #", "Customer No", "Account #", "Account No", "Number", "Customer Number"),
    ),
    Column("name", "Name", ("Customer", "Customer Name", "Company", "Company Name"), True),
    Column("account_type", "Account Type", ("Type", "Customer Type")),
    Column("sales_rep", "Default Sales Rep", ("Sales Rep", "Sales Person", "Salesman", "Salesperson")),
    Column("active", "Active", ("Active Flag", "Is Active")),
    Column("billing_address", "Billing Address", ("Bill To Address", "Bill Address")),
    Column("shipping_address", "Shipping Address", ("Ship To Address", "Ship Address")),
)

# The sales-order line report.
ORDER_LINE_COLUMNS = (
    Column("number", "Sales order Number", ("SO Number", "SO #", "Order Number", "SO Num"), True),
    Column("so_id", "SO ID", ("Sales Order ID", "Sales order Id")),
    Column("date_issued", "Issued date", ("Posting Date", "Date Issued", "Issue Date"), True),
    Column("status", "Sales Order Status", ("SO Status", "Status", "Order Status")),
    Column("customer_id", "Customer ID", ("Customer Id",)),
    Column("account_number", "Account ID", ("Account id2", "Account Number", "Account #")),
    Column("customer_name", "Customer", ("Customer Name", "Bill to name", "Billing Name")),
    Column("sales_person", "Sales Rep", ("Sales person", "Salesperson", "Salesman"), True),
    Column("sales_rep_initials", "Sales Rep Initials", ("Sales man initials", "Salesman Initials")),
    Column("default_sales_rep", "Default Sales Rep", ("Customer Sales Rep",)),
    Column("so_item_id", "SO Item ID", ("Sales Order Item ID", "Soitem id"), True),
    Column(
        "product_number",
        "SO Item Product Number",
        ("Product Number", "Product", "Item", "Sku", "Part Number", "Product Num"),
    ),
    Column(
        "description",
        "Product Description",
        ("Product desc", "Soitem desc", "SO Item Description", "Sales Order Item Description", "Description"),
    ),
    Column("item_type", "SO Item Type", ("Soitem type", "Sales Order Item Type", "Item Type")),
    Column("quantity", "Fulfilled Quantity", ("Qty fulfilled", "Quantity Fulfilled"), True),
    Column("unit_price", "Unit price", (), True),
    Column("total_price", "Total price", (), True),
    Column("total_cost", "Total cost", ()),
)


def required_keys(columns: tuple[Column, ...], account_key: str) -> list[tuple[str, ...]]:
    """Groups of keys of which the file needs at least one each (the account key can come from two columns)."""
    groups = [(c.key,) for c in columns if c.required]
    if columns is CUSTOMER_COLUMNS:
        groups.insert(0, ("fishbowl_id", "account_key") if account_key == "id" else ("account_key",))
    else:
        groups.insert(4, ("account_number", "customer_id") if account_key == "id" else ("account_number",))
    return groups


@dataclass
class HeaderMap:
    """The result of matching a header line: indexes per key, the header as written per key, the rest."""

    indexes: dict[str, list[int]]
    labels: dict[str, str]
    unknown: list[str]

    def mapping(self) -> list[tuple[str, str]]:
        """``(column key, header as written)`` in file order, for showing which header fed which column."""
        first = sorted((idx[0], key) for key, idx in self.indexes.items())
        return [(key, self.labels[key]) for _, key in first]


def header_map(header: list[str], columns: tuple[Column, ...]) -> HeaderMap:
    """Match each header cell to a column (a repeated header keeps every index: first non-empty value wins)."""
    by_spelling: dict[str, Column] = {}
    for column in columns:
        for spelling in column.spellings():
            by_spelling.setdefault(header_normalise(spelling), column)
    result = HeaderMap({}, {}, [])
    for index, raw in enumerate(header):
        column = by_spelling.get(header_normalise(raw))
        if column is None:
            if raw.strip():
                result.unknown.append(raw.strip())
            continue
        result.indexes.setdefault(column.key, []).append(index)
        result.labels.setdefault(column.key, raw.strip())
    return result


def known_count(header: list[str], columns: tuple[Column, ...]) -> int:
    return len(header_map(header, columns).indexes)


def missing_column_message(column: Column, header: list[str]) -> str:
    """Names the column, lists the headers the file has and suggests the closest one."""
    present = [cell.strip() for cell in header if cell.strip()]
    normalised = {header_normalise(cell): cell for cell in present}
    wanted = [header_normalise(s) for s in column.spellings()]
    close: list[str] = []
    for spelling in wanted:
        close += difflib.get_close_matches(spelling, list(normalised), n=1, cutoff=0.5)
    message = (
        f"required column '{column.label}' is missing (also read as: {', '.join(column.aliases) or '-'})"
    )
    if close:
        best = max(close, key=lambda n: max(difflib.SequenceMatcher(None, n, w).ratio() for w in wanted))
        message += f"; did you mean '{normalised[best]}'?"
    else:
        message += "."
    shown = ", ".join(f"'{cell}'" for cell in present[:40]) + (" …" if len(present) > 40 else "")
    return f"{message} The file's headers: {shown or '(none)'}."
