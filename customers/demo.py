"""A deterministic demo world shaped like the real Copper + Fishbowl data (issue 2).

Pure Python (no Django, no clock, no global ``random``): every figure comes from ``random.Random`` streams
seeded by ``(seed, stream name)``, so the same seed always gives the same world, and the Copper part (users,
definitions, companies) can be produced without generating any order. The Copper sandbox loads its world from
``demo_users`` / ``demo_definitions`` / ``iter_companies``; ``demo_world_write`` writes the same world as files.

Shape (at the reference size of 1,662 companies; everything scales with ``companies``):
- ~12 Copper users (10 sales reps with a Fishbowl username, 2 office users);
- the business custom fields (Account Order ID, Active Customer, Account Type, Region, …, sales metrics) plus
  the unrelated fields of the recorded fixture account (one of every data type) and a person-only field;
- companies: ~85 % active, ~92 % with an Account Order ID, ~10 ids shared by two active companies, a few
  written with a thousands comma ("1,160"); every company lists every company definition, unset as
  ``null`` / ``false`` / ``[]`` exactly like Copper;
- Fishbowl customers for ~46 % of companies (765 of 1,662), and two years of sales orders ending on
  ``END_DATE``: ~250 orders / ~800 lines a month, ~40 % "Shipping" lines at $0, ~5 % "CC Processing", the
  house account "admin" on a third of the lines, ~81/13/6 % Wholesale/Distributor/Retail customers, a quarter
  without a rep, and orders for the active Copper companies Fishbowl's customer export does not have yet (in
  proportion to their number): as in the system being replaced, those orders fall out until the customer sync.
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

GENERATOR_VERSION = 1
END_DATE = dt.date(2026, 10, 31)  # fixed: the world must not depend on the clock
END_TS = int(dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp())
MONTHS = 24
REFERENCE_COMPANIES = 1662
ORDERS_PER_MONTH = 250
ACCOUNT_TYPES = (("Wholesale", 81), ("Distributor", 13), ("Retail", 6))
# The Fishbowl export spells account types inconsistently; customers/normalize.py reads all of these.
ACCOUNT_TYPE_SPELLINGS = {
    "Wholesale": ["Wholesale", "Wholesale", "Wholesale", "wholesale", "WHOLESALE", "Wholesaler"],
    "Distributor": ["Distributor", "Distributor", "distributor", "Distributer", "DISTRIBUTOR"],
    "Retail": ["Retail", "Retail", "retail", "Retailer"],
}
ACTIVE_SPELLINGS = ["true", "true", "checked", "Checked", "True", "1"]
REGIONS = ["Northeast", "Southeast", "Midwest", "Southwest", "West", "Pacific Northwest"]
HOUSE_ACCOUNT = "admin"
SAMPLE_KIT = ("SAMPLE-KIT", "Sample Kit (6 x 2 oz)", 0.0)

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

_FIRST = [
    "Maria",
    "James",
    "Priya",
    "Daniel",
    "Aisha",
    "Tom",
    "Lena",
    "Carlos",
    "Grace",
    "Omar",
    "Nina",
    "Ben",
]
_LAST = ["Alvarez", "Brooks", "Chen", "Dawson", "Ellis", "Foster", "Garcia", "Hughes", "Ibarra", "Jensen",
         "Kowalski", "Lindqvist"]  # fmt: skip
_NAME_A = ["Blue", "Red", "Golden", "Silver", "Green", "North", "South", "Old", "Hidden", "Lucky", "Bright",
           "Copper", "Iron", "Maple", "Cedar", "River", "Harbor", "Summit", "Prairie", "Coastal"]  # fmt: skip
_NAME_B = ["Ridge", "Bean", "Leaf", "Mill", "Kettle", "Cup", "Roast", "Market", "Pantry", "Table", "Spoon",
           "Barrel", "Grove", "Orchard", "Bakery", "Larder", "Depot", "Trading", "Goods", "Provisions"]  # fmt: skip
_NAME_C = ["Co.", "LLC", "Inc.", "Cafe", "Coffee", "Tea House", "Grocers", "Foods", "Supply", "Distributors",
           "Wholesale", "Market", "& Sons", "Collective"]  # fmt: skip
_CITIES = [("Portland", "OR", "97201"), ("Boise", "ID", "83702"), ("Denver", "CO", "80202"),
           ("Austin", "TX", "78701"), ("Madison", "WI", "53703"), ("Raleigh", "NC", "27601"),
           ("Albany", "NY", "12207"), ("Tucson", "AZ", "85701"), ("Columbus", "OH", "43215"),
           ("Savannah", "GA", "31401"), ("Fresno", "CA", "93721"), ("Spokane", "WA", "99201")]  # fmt: skip
_STREETS = ["Main St", "Oak Ave", "Market St", "2nd Ave", "Harbor Blvd", "Mill Rd", "Pine St", "Elm Ct"]
_PRODUCTS = [("CB-1", "Colombian Supremo 5 lb", 62.0), ("CB-2", "Ethiopian Yirgacheffe 5 lb", 78.0),
             ("CB-3", "House Espresso 5 lb", 55.0), ("CB-4", "Decaf Swiss Water 5 lb", 64.0),
             ("CB-5", "Cold Brew Pack 12 ct", 42.0), ("TE-1", "Earl Grey Loose 1 lb", 24.0),
             ("TE-2", "Jasmine Green 1 lb", 28.0), ("TE-3", "Chai Concentrate 6 ct", 36.0),
             ("SY-1", "Vanilla Syrup 750 ml", 9.5), ("SY-2", "Caramel Syrup 750 ml", 9.5),
             ("CU-1", "Paper Cups 12 oz 1000 ct", 88.0), ("CU-2", "Lids 12 oz 1000 ct", 46.0),
             ("EQ-1", "Pour-over Kit", 120.0), ("EQ-2", "Grinder Burr Set", 310.0),
             ("GF-1", "Gift Box Trio", 33.0), ("CB-6", "Sumatra Mandheling 5 lb", 70.0)]  # fmt: skip


def _rng(seed: int, stream: str) -> random.Random:
    return random.Random(f"copperhub-demo:{seed}:{stream}")  # a str seed is hashed with SHA-512: stable


# --- Copper: users and custom-field definitions -------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    """A Copper user; sales reps also have the Fishbowl username that appears on orders."""

    copper_id: int
    name: str
    email: str
    username: str  # Fishbowl login, "" for office users without one

    def as_copper(self) -> dict:
        return {"id": self.copper_id, "name": self.name, "email": self.email}


def demo_users(seed: int) -> list[DemoUser]:
    """Twelve Copper users: ten sales reps (with Fishbowl usernames) and two office users."""
    rng = _rng(seed, "users")
    firsts, lasts = _FIRST[:], _LAST[:]
    rng.shuffle(firsts)
    rng.shuffle(lasts)
    next_id = rng.randint(600_000, 899_000)
    users = []
    for i, (first, last) in enumerate(zip(firsts, lasts, strict=True)):
        next_id += rng.randint(1, 400)
        username = f"{first[0]}{last}".lower() if i < 10 else ""
        users.append(
            DemoUser(next_id, f"{first} {last}", f"{first}.{last}@demo-roasters.example".lower(), username)
        )
    return users


def demo_account(seed: int) -> dict:
    """``GET /account``."""
    return {"id": _rng(seed, "account").randint(100_000, 999_999), "name": "Demo Roasters (sandbox)"}


# The recorded fixture account's fields (shared/fixtures/copper/custom_field_definitions.json), kept verbatim
# so that the recorded company payload is valid here too: id, name, data type, available on, filterable, extra.
_FIXTURE_FIELDS = [
    (705303, "Fruits", "Dropdown", ["company", "lead", "person"], False,
     {"options": [{"id": 2082340, "name": "Banana", "rank": 0}, {"id": 2082341, "name": "Strawberries", "rank": 1}]}),
    (705393, "Parent of", "Connect", ["company"], False, {"connected_id": 705394}),
    (705394, "Child of", "Connect", ["company"], False, {"connected_id": 705393}),
    (705396, "Hryvnia", "Currency", ["company"], False, {"currency": "UAH"}),
    (705399, "Birthday", "Date", ["company"], True, {}),
    (705401, "Many", "MultiSelect", ["company"], True,
     {"options": [{"id": 2082480, "name": "Option 1", "rank": 0}, {"id": 2082481, "name": "Option 2", "rank": 1}]}),
    (705402, "FavNum", "Float", ["company"], True, {}),
    (705403, "Story", "Text", ["company"], True, {}),
    (705404, "MyWebsite", "URL", ["company"], True, {}),
    (705407, "IsBouillonSoup", "Checkbox", ["company"], True, {}),
    (705452, "TextEntry", "String", ["company"], True, {}),
    (705453, "Progression", "Percentage", ["company"], True, {}),
]  # fmt: skip

_BUSINESS_FIELDS = [
    ("Account Order ID", "String", None), ("Active Customer", "Checkbox", None),
    ("Account Type", "Dropdown", ["Distributor", "Wholesale", "Retail"]), ("Region", "Dropdown", REGIONS),
    ("Fishbowl Assigned Sales Person", "String", None), ("Total Orders", "Float", None),
    ("Total Spent", "Currency", None), ("Average Order Value", "Currency", None),
    ("First Order Date", "Date", None), ("Last Order Date", "Date", None),
    ("Days Since Last Order", "Float", None), ("Top Products", "String", None),
    ("Sample Kit Sent", "Checkbox", None), ("Sample Kit Date", "Date", None),
    ("Spent Last 12 Months", "Currency", None),
]  # fmt: skip


def demo_definitions(seed: int) -> list[dict]:
    """``GET /custom_field_definitions``: the business fields (ids derived from the seed, 6 digits like
    Copper's), the recorded fixture account's fields (one per data type, their real ids) and a person-only one."""
    rng = _rng(seed, "definitions")
    next_id, next_option = rng.randint(300_000, 600_000), rng.randint(1_000_000, 1_900_000)
    definitions = []
    for name, data_type, options in _BUSINESS_FIELDS:
        next_id += rng.randint(1, 9)
        row: dict = {"id": next_id, "name": name, "data_type": data_type, "available_on": ["company"],
                     "is_filterable": True}  # fmt: skip
        if options:
            row["options"] = []
            for rank, label in enumerate(options):
                next_option += rng.randint(1, 5)
                row["options"].append({"id": next_option, "name": label, "rank": rank})
        if data_type == "Currency":
            row["currency"] = "USD"
        definitions.append(row)
    for def_id, name, data_type, available_on, filterable, extra in _FIXTURE_FIELDS:
        row = {"id": def_id, "name": name, "data_type": data_type, "available_on": list(available_on),
               "is_filterable": filterable}  # fmt: skip
        definitions.append(row | json.loads(json.dumps(extra)))
    definitions.append({"id": next_id + 17, "name": "Preferred Contact Time", "data_type": "String",
                        "available_on": ["person"], "is_filterable": False})  # fmt: skip
    return definitions


def company_definitions(definitions: list[dict]) -> list[dict]:
    """The definitions a company's ``custom_fields`` lists (every one available on companies, in order)."""
    return [d for d in definitions if "company" in d.get("available_on", [])]


def unset_value(data_type: str) -> object:
    """How Copper writes an unset field: ``[]`` for lists, ``false`` for a checkbox, ``null`` otherwise."""
    return [] if data_type in ("MultiSelect", "Connect") else False if data_type == "Checkbox" else None


# --- Copper: companies --------------------------------------------------------------------------------------


@dataclass
class DemoCompany:
    """One generated company: its Copper JSON and the Fishbowl facts hidden behind it."""

    copper: dict
    account_number: str  # normalised Account Order ID, "" when none
    active: bool
    account_type: str  # Wholesale / Distributor / Retail
    rep: str  # Fishbowl username of the default rep, "" for none
    fishbowl_id: int | None  # set when the company is in Fishbowl's customer export
    duplicate: bool = False  # shares its Account Order ID with an earlier active company


def _special_indices(rng: random.Random, count: int, share: float, minimum: int, low: int = 0) -> set[int]:
    wanted = min(max(minimum, round(count * share)), max(0, count - low))
    return set(rng.sample(range(low, count), wanted)) if wanted else set()


def iter_companies(seed: int, count: int) -> Iterator[DemoCompany]:  # noqa: C901 - one generator, read top down
    """Yield ``count`` companies lazily (memory stays small even at 100,000), always the same for a seed."""
    rng = _rng(seed, "companies")
    users = demo_users(seed)
    reps = [u for u in users if u.username]
    definitions = company_definitions(demo_definitions(seed))
    by_name = {d["name"]: d for d in definitions}
    option = {
        name: {o["name"]: o["id"] for o in by_name[name]["options"]} for name in ("Account Type", "Region")
    }
    contact_types = [rng.randint(1_000_000, 1_999_999) for _ in range(4)]
    duplicates = _special_indices(
        rng, count, 10 / REFERENCE_COMPANIES, 2 if count >= 20 else 0, low=count // 2
    )
    commas = _special_indices(rng, count, 8 / REFERENCE_COMPANIES, 2 if count >= 20 else 0)
    next_id, next_number, next_fishbowl = (
        rng.randint(40_000_000, 60_000_000),
        rng.randint(1001, 1150),
        rng.randint(20, 90),
    )
    names: set[str] = set()
    domains: set[str] = set()
    numbered_active: list[str] = []
    start_ts = int(dt.datetime(2018, 1, 1, tzinfo=dt.UTC).timestamp())
    for index in range(count):
        next_id += rng.randint(1, 250)
        next_number += rng.choice((1, 1, 1, 2, 3))
        name = f"{rng.choice(_NAME_A)} {rng.choice(_NAME_B)} {rng.choice(_NAME_C)}"
        if name.lower() in names:
            name = f"{name} #{index}"
        names.add(name.lower())
        duplicate = index in duplicates and bool(numbered_active)
        active = duplicate or index in commas or rng.random() < 0.85
        number = str(next_number) if (index in commas or rng.random() < 0.92) else ""
        if duplicate:
            number = rng.choice(numbered_active)
        elif number and active:
            numbered_active.append(number)
        account_type = rng.choices([t for t, _ in ACCOUNT_TYPES], weights=[w for _, w in ACCOUNT_TYPES])[0]
        rep = rng.choice(reps).username if rng.random() < 0.75 else ""
        in_fishbowl = bool(number) and not duplicate and rng.random() < (0.53 if active else 0.33)
        fishbowl_id = None
        if in_fishbowl:
            next_fishbowl += rng.randint(1, 3)
            # As in the real shop: Copper's Account Order ID holds the Fishbowl customer id.
            fishbowl_id = int(number)
        values: dict[str, object] = {
            "Account Order ID": f"{int(number):,}"
            if index in commas and number.isdigit()
            else number or None,
            "Active Customer": active,
            "Account Type": option["Account Type"][account_type] if rng.random() < 0.9 else None,
            "Region": rng.choice(list(option["Region"].values())) if rng.random() < 0.8 else None,
        }
        if rep and rng.random() < 0.6:
            values["Fishbowl Assigned Sales Person"] = rep
        if in_fishbowl and rng.random() < 0.6:  # stale metrics written by the system being replaced
            orders = rng.randint(1, 60)
            spent = round(rng.uniform(80, 60_000), 2)
            first = rng.randint(END_TS - 5 * 365 * 86400, END_TS - 200 * 86400)
            last = rng.randint(first, END_TS - 30 * 86400)
            values.update({
                "Total Orders": float(orders), "Total Spent": spent, "Average Order Value": round(spent / orders, 2),
                "First Order Date": first, "Last Order Date": last,
                "Days Since Last Order": float((END_TS - last) // 86400),
                "Top Products": ", ".join(p[0] for p in rng.sample(_PRODUCTS, 3)),
                "Spent Last 12 Months": round(spent * rng.uniform(0.1, 0.6), 2),
            })  # fmt: skip
        if rng.random() < 0.08:
            values["Sample Kit Sent"] = True
            values["Sample Kit Date"] = rng.randint(END_TS - 700 * 86400, END_TS - 86400)
        if rng.random() < 0.05:
            values["Fruits"] = rng.choice(by_name["Fruits"]["options"])["id"]
        if rng.random() < 0.05:
            values["Many"] = [o["id"] for o in by_name["Many"]["options"] if rng.random() < 0.6]
        if rng.random() < 0.1:
            values["Story"] = f"Met at the {rng.choice(['spring', 'autumn'])} trade show; prefers email."
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:40]
        domain = None
        if rng.random() < 0.96:
            domain = f"{slug}.com" if f"{slug}.com" not in domains else f"{slug}{index}.com"
            domains.add(domain)
        city, state, postal = rng.choice(_CITIES)
        created = rng.randint(start_ts, END_TS - 30 * 86400)
        copper = {
            "id": next_id,
            "name": name,
            "address": {
                "street": f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}",
                "city": city,
                "state": state,
                "postal_code": postal,
                "country": "US",
            }
            if rng.random() < 0.9
            else None,  # fmt: skip
            "assignee_id": (
                next(u.copper_id for u in reps if u.username == rep)
                if rep
                else rng.choice(users).copper_id
                if rng.random() < 0.3
                else None
            ),  # fmt: skip
            "contact_type_id": rng.choice(contact_types) if rng.random() < 0.8 else None,
            "details": None,
            "email_domain": domain,
            "phone_numbers": (
                [{"number": f"({rng.randint(201, 989)}) 555-{rng.randint(0, 9999):04d}", "category": "work"}]
                if rng.random() < 0.7
                else []
            ),  # fmt: skip
            "primary_contact_id": None,
            "socials": [],
            "tags": sorted(
                rng.sample(["coffee", "tea", "trade show", "vip", "net 30", "cafe"], rng.randint(0, 2))
            ),
            "websites": [{"url": f"https://www.{domain}", "category": "work"}] if domain else [],
            "custom_fields": [
                {
                    "custom_field_definition_id": d["id"],
                    "value": values.get(d["name"], unset_value(d["data_type"])),
                }
                for d in definitions
            ],
            "interaction_count": rng.randint(0, 150),
            "date_created": created,
            "date_modified": rng.randint(created, END_TS),
        }
        yield DemoCompany(copper, number, active, account_type, rep, fishbowl_id, duplicate)


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
                    rng.choice(_PRODUCTS)
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

        rng = _rng(seed, "fishbowl")
        counts["fishbowl_customers"] = _write_customers(out_dir / "fishbowl_customers.csv", rng, companies_teed(),
                                                        buyers, prospects)  # fmt: skip
    initials = {u.username: "".join(part[0] for part in u.name.split()) for u in users if u.username}
    initials[HOUSE_ACCOUNT] = "HA"
    orders, lines = _write_orders(out_dir / "fishbowl_sales_order_lines.csv", _rng(seed, "orders"), buyers,
                                  prospects, companies / REFERENCE_COMPANIES, initials)  # fmt: skip
    counts.update(sales_orders=orders, sales_order_lines=lines)
    return counts
