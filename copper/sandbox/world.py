"""A deterministic demo world shaped like the real Copper + Fishbowl data.

Pure Python (no Django, no clock, no global ``random``): every figure comes from ``random.Random`` streams
seeded by ``(seed, stream name)``, so the same seed always gives the same world, and the Copper part (users,
definitions, companies) can be produced without generating any order. The Copper sandbox loads its world from
``demo_users`` / ``demo_definitions`` / ``iter_companies``; ``customers.demo`` writes the Fishbowl side of the
same world as files.

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

import datetime as dt
import json
import random
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

GENERATOR_VERSION = 2  # 2: Date fields at local midnight of the account's timezone, as Copper keeps them
# The recorded real account keeps dates at midnight US Pacific (2025-08-01 is 1754031600).
ACCOUNT_TIMEZONE = "America/Los_Angeles"
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
PRODUCTS = [("CB-1", "Colombian Supremo 5 lb", 62.0), ("CB-2", "Ethiopian Yirgacheffe 5 lb", 78.0),
             ("CB-3", "House Espresso 5 lb", 55.0), ("CB-4", "Decaf Swiss Water 5 lb", 64.0),
             ("CB-5", "Cold Brew Pack 12 ct", 42.0), ("TE-1", "Earl Grey Loose 1 lb", 24.0),
             ("TE-2", "Jasmine Green 1 lb", 28.0), ("TE-3", "Chai Concentrate 6 ct", 36.0),
             ("SY-1", "Vanilla Syrup 750 ml", 9.5), ("SY-2", "Caramel Syrup 750 ml", 9.5),
             ("CU-1", "Paper Cups 12 oz 1000 ct", 88.0), ("CU-2", "Lids 12 oz 1000 ct", 46.0),
             ("EQ-1", "Pour-over Kit", 120.0), ("EQ-2", "Grinder Burr Set", 310.0),
             ("GF-1", "Gift Box Trio", 33.0), ("CB-6", "Sumatra Mandheling 5 lb", 70.0)]  # fmt: skip


def _local_midnight(seconds: int) -> int:
    """00:00 of the day ``seconds`` falls on in the account's timezone: how Copper keeps a Date field."""
    zone = zoneinfo.ZoneInfo(ACCOUNT_TIMEZONE)
    day = dt.datetime.fromtimestamp(seconds, tz=zone).date()
    return int(dt.datetime.combine(day, dt.time.min, tzinfo=zone).timestamp())


def rng_stream(seed: int, stream: str) -> random.Random:
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
    rng = rng_stream(seed, "users")
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
    return {"id": rng_stream(seed, "account").randint(100_000, 999_999), "name": "Demo Roasters (sandbox)"}


# The recorded fixture account's fields (tests/copper/fixtures/copper/custom_field_definitions.json), kept verbatim
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
    rng = rng_stream(seed, "definitions")
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
    rng = rng_stream(seed, "companies")
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
            first = _local_midnight(rng.randint(END_TS - 5 * 365 * 86400, END_TS - 200 * 86400))
            last = _local_midnight(rng.randint(first, END_TS - 30 * 86400))
            values.update({
                "Total Orders": float(orders), "Total Spent": spent, "Average Order Value": round(spent / orders, 2),
                "First Order Date": first, "Last Order Date": last,
                "Days Since Last Order": float((END_TS - last) // 86400),
                "Top Products": ", ".join(p[0] for p in rng.sample(PRODUCTS, 3)),
                "Spent Last 12 Months": round(spent * rng.uniform(0.1, 0.6), 2),
            })  # fmt: skip
        if rng.random() < 0.08:
            values["Sample Kit Sent"] = True
            values["Sample Kit Date"] = _local_midnight(rng.randint(END_TS - 700 * 86400, END_TS - 86400))
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
