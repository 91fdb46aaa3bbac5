"""One export row (``{column key: raw value}``) → typed fields plus ``(column key, problem)`` pairs.

``customer_parse`` reads a customer-list row, ``OrderLineParser`` a line-report row (and keeps the counts the
import summary reports: negative and parenthesised amounts, quantity × unit price that disagrees with the
total). Which Fishbowl value is the account key (``FISHBOWL_ACCOUNT_KEY``: ``id`` or ``number``) decides where a
customer's and an order's account number comes from. No database access.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from copper.normalize import flag_is_set
from customers.fishbowl_csv.amounts import POINT, amount_parsers
from customers.fishbowl_csv.values import (
    line_type_of,
    parse_account_number,
    parse_date,
    parse_int,
    parse_status,
    text,
)
from customers.models import SalesOrder
from customers.normalize import account_type_normalise

CENT = Decimal("0.01")
SHOWN_LINES = 5  # lines named in a notice (the count covers all)


def account_key_setting() -> str:
    key = getattr(settings, "FISHBOWL_ACCOUNT_KEY", "id")
    if key not in ("id", "number"):
        raise ValueError(f"FISHBOWL_ACCOUNT_KEY must be 'id' or 'number', not {key!r}.")
    return key


def _text(limit: int):
    def parse(value: Any) -> str:
        value = value if value.__class__ is str else text(value)
        if len(value) > limit:
            raise ValueError(f"is longer than {limit} characters")
        return value

    return parse


def _read(values: dict[str, Any], spec, fields: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    """Parse the keys of ``spec`` present in ``values`` into ``fields``; collect ``(key, problem)`` pairs."""
    for key, parse, required, default in spec:
        raw = values.get(key)
        if raw is None:
            if key not in values and not required:
                continue
            raw = ""
        value = raw.strip() if raw.__class__ is str else raw
        if value == "":
            if required:
                problems.append((key, "is empty"))
            fields[key] = default
            continue
        try:
            fields[key] = parse(value)
        except ValueError as exc:
            problems.append((key, str(exc)))
            fields[key] = default


_CUSTOMER_SPEC = (
    ("name", _text(255), True, None),
    ("sales_rep", _text(255), False, ""),
    ("billing_address", text, False, ""),
    ("shipping_address", text, False, ""),
)


def customer_parse(values: dict[str, Any], account_key: str | None = None) -> tuple[dict, list]:
    """One customer-list row → ``FishbowlCustomer`` field values (for the keys present) and problems.

    With the ``id`` account key the account number is the customer id (``Customer ID``, else ``Customer #``);
    with ``number`` it is the ``Account Number`` / ``Customer #`` column, and the id is optional.
    """
    account_key = account_key or account_key_setting()
    fields: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    if account_key == "id":
        key = (
            "fishbowl_id" if text(values.get("fishbowl_id")) or "account_key" not in values else "account_key"
        )
        raw = text(values.get(key))
        fields["fishbowl_id"] = fields["account_number"] = None
        if not raw:
            problems.append((key, "is empty"))
        else:
            try:
                fields["fishbowl_id"] = parse_int(raw)
                fields["account_number"] = str(fields["fishbowl_id"])
            except ValueError as exc:
                problems.append((key, f"{exc} (the account key is the Fishbowl customer id)"))
    else:
        raw = text(values.get("account_key"))
        fields["account_number"] = None
        try:
            fields["account_number"] = parse_account_number(raw)
        except ValueError as exc:
            problems.append(("account_key", str(exc)))
        if "fishbowl_id" in values:  # without the column, an existing customer's id is left alone
            raw_id = text(values.get("fishbowl_id"))
            fields["fishbowl_id"] = None
            try:
                fields["fishbowl_id"] = parse_int(raw_id) if raw_id else None
            except ValueError as exc:
                problems.append(("fishbowl_id", str(exc)))
    _read(values, _CUSTOMER_SPEC, fields, problems)
    if "account_type" in values:
        fields["account_type"] = account_type_normalise(text(values["account_type"]))
    if "active" in values:
        raw = values["active"]
        fields["is_active"] = True if text(raw) == "" else flag_is_set(raw)
    return fields, problems


@dataclass
class AmountNotes:
    """What the summary says about a line report's amounts (counts, and the first lines of each)."""

    negative: int = 0
    parenthesised: int = 0
    negative_quantity: int = 0
    mismatched: int = 0
    mismatch_lines: list[str] = field(default_factory=list)
    negative_quantity_lines: list[int] = field(default_factory=list)

    def notices(self, source: str) -> list[str]:
        out = []
        if self.negative:
            out.append(
                f"{source}: {self.negative} line(s) with a negative amount (credit returns, discounts), "
                f"{self.parenthesised} of them written in parentheses."
            )
        if self.negative_quantity:
            out.append(
                f"{source}: {self.negative_quantity} line(s) with a negative quantity (lines "
                f"{', '.join(map(str, self.negative_quantity_lines))}{' …' if self.negative_quantity > SHOWN_LINES else ''})."
            )
        if self.mismatched:
            out.append(
                f"{source}: {self.mismatched} line(s) where quantity × unit price differs from the total price by "
                f"more than a cent: {'; '.join(self.mismatch_lines)}{' …' if self.mismatched > SHOWN_LINES else ''}."
            )
        return out


class OrderLineParser:
    """Parses line-report rows; ``parse(values, line)`` → (fields, problems).

    Keys of ``fields``: ``number status date_issued account_number sales_person so_item_id quantity unit_price
    total_price line_type`` and, when the source has them, ``so_id customer_name default_sales_rep
    product_number description total_cost``. ``status`` is ``default_status`` when the source has no status
    column. ``notes`` counts the amounts the summary reports.
    """

    def __init__(
        self,
        *,
        number_format: str = POINT,
        account_key: str | None = None,
        default_status: int | None = None,
        has_status: bool = True,
        customer_id_fallback: bool = False,
    ) -> None:
        quantity, money = amount_parsers(number_format)
        self.account_key = account_key or account_key_setting()
        status_default = default_status or getattr(settings, "FISHBOWL_DEFAULT_ORDER_STATUS", 20)
        self.default_status = SalesOrder.Status(status_default).value
        self.has_status = has_status
        self.notes = AmountNotes()
        head: tuple = (("number", _text(64), True, None),)
        if has_status:
            head += (("status", parse_status, True, None),)
        head += (
            ("date_issued", parse_date, False, None),
            ("account_number", parse_account_number, True, None),
        )
        # With the id key, a line without an Account ID value is keyed by its Customer ID.
        self.customer_id_fallback = customer_id_fallback and self.account_key == "id"
        self.tail = (
            ("sales_person", _text(64), False, ""),
            ("so_id", parse_int, False, None),
            ("customer_name", _text(255), False, ""),
            ("default_sales_rep", _text(255), False, ""),
            ("so_item_id", parse_int, True, None),
            ("quantity", quantity, True, None),
            ("unit_price", quantity, True, None),
            ("total_price", money, True, None),
            ("product_number", _text(128), False, ""),
            ("description", _text(512), False, ""),
            ("total_cost", money, False, Decimal("0.00")),
        )
        self.spec = head + self.tail

    def parse(self, values: dict[str, Any], line: int = 0) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        fields: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        if self.customer_id_fallback and not text(values.get("account_number")):
            values["account_number"] = values.get("customer_id")
        _read(values, self.spec, fields, problems)
        if not self.has_status:
            fields["status"] = self.default_status
        status = fields["status"]
        date_missing = fields["date_issued"] is None and not any(k == "date_issued" for k, _ in problems)
        if date_missing and status is not None and status != SalesOrder.Status.ESTIMATE:
            problems.append(("date_issued", "is empty; only an Estimate may have no issued date"))
        fields["line_type"] = line_type_of(
            text(values.get("item_type")), fields.get("product_number") or "", fields.get("description") or ""
        )
        if not problems:
            self._note(values, fields, line)
        return fields, problems

    def _note(self, values: dict[str, Any], fields: dict[str, Any], line: int) -> None:
        quantity, unit, total = fields["quantity"], fields["unit_price"], fields["total_price"]
        notes = self.notes
        if total < 0 or unit < 0:
            notes.negative += 1
            raw = values.get("total_price")
            if raw.__class__ is str and "(" in raw:
                notes.parenthesised += 1
        if quantity < 0:
            notes.negative_quantity += 1
            if len(notes.negative_quantity_lines) < SHOWN_LINES:
                notes.negative_quantity_lines.append(line)
        # An unfulfilled line (quantity 0) carries the ordered total: nothing to compare.
        if quantity and abs(quantity * unit - total) > CENT:
            notes.mismatched += 1
            if len(notes.mismatch_lines) < SHOWN_LINES:
                notes.mismatch_lines.append(
                    f"line {line}: {quantity.normalize():f} × {unit.normalize():f} ≠ {total}"
                )


def order_line_parse(values: dict[str, Any], **options: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One line-report row → fields and problems (see ``OrderLineParser``)."""
    return OrderLineParser(**options).parse(values)
