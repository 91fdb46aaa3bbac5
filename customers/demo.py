"""The Fishbowl side of the demo world (``copper.sandbox.world``) written as files: the customers export and the
sales-order line report, plus the Copper dataset the sandbox serves. Streams; deterministic per seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from copper.sandbox.world import (
    ACCOUNT_TYPE_SPELLINGS,
    ACTIVE_SPELLINGS,
    END_DATE,
    HOUSE_ACCOUNT,
    MONTHS,
    ORDERS_PER_MONTH,
    PRODUCTS,
    REFERENCE_COMPANIES,
    SAMPLE_KIT,
    DemoCompany,
    demo_account,
    demo_definitions,
    demo_users,
    iter_companies,
    rng_stream,
)

CUSTOMERS_HEADER = [
    "Customer ID", "account number", "Name", "Account Type", "Default Sales Rep", "Active",
    "Billing Address", "Shipping Address",
]  # fmt: skip
# As the real line report does: varied case, and "Sales Rep" / "Customer ID" written twice.
ORDERS_HEADER = [
    "sales order number", "SO ID", "ISSUED DATE", "Sales Order Status", "Customer ID", "Account ID", "Customer",
    "Sales Rep", "Sales Rep Initials", "Default Sales Rep", "SO Item ID", "Product Number",
    "Product Description", "Item Type", "Fulfilled Quantity", "Unit price", "Total price", "Total Cost",
    "sales rep", "CUSTOMER ID",
]  # fmt: skip



# --- Fishbowl: customers export and sales-order line report -------------------------------------------------


@dataclass(frozen=True)
class _Buyer:
    written_number: str
    fishbowl_id: int | None
    name: str
    account_type: str
    rep: str
    weight: float


def _money(rng: random.Random, value: float) -> str:
    return f"${value:,.2f}" if rng.random() < 0.08 else f"{value:.2f}"


def _write_customers(path: Path, rng: random.Random, companies: Iterator[DemoCompany], buyers: list[_Buyer],
                     prospects: list[_Buyer]) -> int:  # fmt: skip
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CUSTOMERS_HEADER)
        for company in companies:
            number = company.account_number
            shown = (
                f"{int(number):,}"
                if number.isdigit() and int(number) >= 1000 and rng.random() < 0.01
                else number
            )
            weight = rng.paretovariate(1.6)
            buyer = _Buyer(shown, company.fishbowl_id, company.copper["name"], company.account_type, company.rep,
                           weight if company.active else weight * 0.15)  # fmt: skip
            if company.fishbowl_id is None:
                # Active companies Fishbowl sells to although its customer export (the local table being
                # replaced) lacks them: their orders are the ones that fall out until the customer sync.
                if number and company.active and not company.duplicate:
                    prospects.append(buyer)
                continue
            buyers.append(buyer)
            address = company.copper["address"]
            line = (
                f"{address['street']}, {address['city']}, {address['state']} {address['postal_code']}"
                if address
                else ""
            )
            active = rng.choice(ACTIVE_SPELLINGS) if company.active else rng.choice(["false", "False", "0"])
            writer.writerow([company.fishbowl_id, shown, company.copper["name"],
                             rng.choice(ACCOUNT_TYPE_SPELLINGS[company.account_type]), company.rep, active, line,
                             line if rng.random() < 0.8 else ""])  # fmt: skip
            written += 1
    return written


def _status(rng: random.Random, age_days: int) -> str:
    if age_days < 30:
        return rng.choices(["Issued", "In Progress", "Fulfilled", "Estimate"], weights=[35, 20, 40, 5])[0]
    return rng.choices(["Fulfilled", "Closed Short", "Void", "Cancelled", "Historical", "Expired"],
                       weights=[86, 3, 2, 3, 5, 1])[0]  # fmt: skip


def _write_orders(path: Path, rng: random.Random, buyers: list[_Buyer], prospects: list[_Buyer], scale: float,
                  initials: dict[str, str]) -> tuple[int, int]:  # fmt: skip
    cumulative, total = [], 0.0
    for buyer in buyers:
        total += buyer.weight
        cumulative.append(total)
    reps = sorted(initials)
    prospect_share = len(prospects) / max(1, len(prospects) + len(buyers))
    next_number, next_so_id = rng.randint(10_000, 20_000), rng.randint(5_000, 9_000)
    orders = lines = 0
    first_month = dt.date(END_DATE.year - MONTHS // 12, END_DATE.month, 1) + dt.timedelta(days=31)
    first_month = first_month.replace(day=1)
    with path.open("w", newline="", encoding="utf-8-sig") as handle:  # the real export carries a BOM
        writer = csv.writer(handle)
        writer.writerow(ORDERS_HEADER)
        for month in range(MONTHS):
            year, mon = (
                first_month.year + (first_month.month - 1 + month) // 12,
                (first_month.month - 1 + month) % 12 + 1,
            )
            start = dt.date(year, mon, 1)
            days = ((start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - start).days
            for _ in range(max(1, round(ORDERS_PER_MONTH * scale * rng.uniform(0.85, 1.15)))):
                buyer = (rng.choice(prospects) if prospects and rng.random() < prospect_share
                         else buyers[min(bisect(cumulative, rng.random() * total), len(buyers) - 1)])  # fmt: skip
                issued = start + dt.timedelta(days=rng.randrange(days))
                status = _status(rng, (END_DATE - issued).days)
                if buyer.rep:
                    salesman = HOUSE_ACCOUNT if rng.random() < 0.22 else buyer.rep
                else:
                    salesman = HOUSE_ACCOUNT if rng.random() < 0.6 else rng.choice(reps)
                next_number += 1
                next_so_id += rng.randint(1, 2)
                fulfilled = status in ("Fulfilled", "Closed Short", "Historical", "In Progress")
                items = [
                    rng.choice(PRODUCTS)
                    for _ in range(rng.choices([1, 2, 3, 4], weights=[50, 30, 14, 6])[0])
                ]
                if rng.random() < 0.04:
                    items.append(SAMPLE_KIT)
                items.append(("SHIPPING", "Shipping", "Shipping"))
                if rng.random() < 0.3:
                    items.append(("SHIPPING", "Shipping", "Shipping"))
                subtotal = 0.0
                rows = []
                for sku, description, price in items:
                    if price == "Shipping":
                        qty, unit, kind = (
                            1,
                            0.0 if rng.random() < 0.95 else 12.5,
                            "Shipping" if rng.random() < 0.9 else "",
                        )
                    else:
                        qty = 1 if sku == SAMPLE_KIT[0] else rng.choice([1, 2, 3, 4, 6, 10, 12, 24])
                        unit = round(price * (0.8 if buyer.account_type == "Distributor" else 1.0), 2)
                        kind = "Sale" if rng.random() < 0.9 else ""
                        subtotal += qty * unit
                    rows.append((sku, description, kind, qty, unit))
                if rng.random() < 0.03:
                    rows.append(("DISCOUNT", "Loyalty discount", "Discount", 1, -round(subtotal * 0.05, 2)))
                if rng.random() < 0.165:
                    rows.append(
                        ("CC-FEE", "Credit card processing", "CC Processing", 1, round(subtotal * 0.03, 2))
                    )
                date_text = "" if status == "Estimate" and rng.random() < 0.5 else issued.strftime("%m-%d-%Y")
                customer_id = buyer.fishbowl_id if buyer.fishbowl_id is not None else ""
                for item_id, (sku, description, kind, qty, unit) in enumerate(rows, start=1):
                    total_price = round(qty * unit, 2)
                    shown_rep = "" if salesman and rng.random() < 0.02 else salesman  # first non-empty wins
                    writer.writerow([
                        next_number, next_so_id, date_text, status, customer_id, buyer.written_number, buyer.name,
                        shown_rep, initials.get(salesman, ""), buyer.rep, item_id, sku, description, kind,
                        qty if fulfilled else 0, _money(rng, unit), _money(rng, total_price),
                        f"{max(total_price, 0) * 0.55:.2f}", salesman, customer_id,
                    ])  # fmt: skip
                orders += 1
                lines += len(rows)
    return orders, lines


# --- Writing the whole world --------------------------------------------------------------------------------


def demo_world_write(*, out_dir: Path, seed: int, companies: int) -> dict[str, int]:
    """Write the world under ``out_dir``: ``fishbowl_customers.csv``, ``fishbowl_sales_order_lines.csv`` and
    ``copper/{account,users,custom_field_definitions}.json`` + ``copper/companies.jsonl``. Streams; returns counts.
    Overwrites existing files; writes nothing else."""
    out_dir = Path(out_dir)
    copper_dir = out_dir / "copper"
    copper_dir.mkdir(parents=True, exist_ok=True)
    users = demo_users(seed)
    definitions = demo_definitions(seed)
    (copper_dir / "account.json").write_text(json.dumps(demo_account(seed), indent=2) + "\n")
    (copper_dir / "users.json").write_text(json.dumps([u.as_copper() for u in users], indent=2) + "\n")
    (copper_dir / "custom_field_definitions.json").write_text(json.dumps(definitions, indent=2) + "\n")
    counts = {"copper_users": len(users), "custom_field_definitions": len(definitions), "copper_companies": 0,
              "duplicated_order_ids": 0}  # fmt: skip
    buyers: list[_Buyer] = []
    prospects: list[_Buyer] = []
    with (copper_dir / "companies.jsonl").open("w", encoding="utf-8") as jsonl:

        def companies_teed() -> Iterator[DemoCompany]:
            for company in iter_companies(seed, companies):
                jsonl.write(json.dumps(company.copper, separators=(",", ":")) + "\n")
                counts["copper_companies"] += 1
                counts["duplicated_order_ids"] += company.duplicate
                yield company

        rng = rng_stream(seed, "fishbowl")
        counts["fishbowl_customers"] = _write_customers(out_dir / "fishbowl_customers.csv", rng, companies_teed(),
                                                        buyers, prospects)  # fmt: skip
    initials = {u.username: "".join(part[0] for part in u.name.split()) for u in users if u.username}
    initials[HOUSE_ACCOUNT] = "HA"
    orders, lines = _write_orders(out_dir / "fishbowl_sales_order_lines.csv", rng_stream(seed, "orders"), buyers,
                                  prospects, companies / REFERENCE_COMPANIES, initials)  # fmt: skip
    counts.update(sales_orders=orders, sales_order_lines=lines)
    return counts
