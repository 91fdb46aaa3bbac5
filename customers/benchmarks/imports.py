"""``manage.py bench import --orders N [--shape canonical|real]``: the Fishbowl CSV import of N lines, twice.

Writes a synthetic customers CSV and an N-line sales-order line CSV (~3 lines per order) into a temporary
directory, imports them into a fresh scratch SQLite database (``syncs.bench.scratch_database``; the real
database is never touched), then imports the same files again (the idempotent re-import must write nothing).
Prints time, rows/s and peak memory of each run.

``--shape canonical`` (the default, the figure compared over time): UTF-8, commas, the canonical headers cased
and repeated, customers keyed by account number (FISHBOWL_ACCOUNT_KEY = number). ``--shape real``: a real
shop's export — the customer list's ``Customer #`` and the line report's alias spellings (``SO Number`` twice,
``So item id``, ``Qty fulfilled``, ``Account ID`` twice, an ignored ``Product ID`` …), Windows-1252 text
separated by semicolons with decimal-comma amounts, card fees typed Sale, customers keyed by id.
"""

import csv
import random
import tempfile
import time
from pathlib import Path

from customers.demo import demo_world_write
from customers.models import SalesOrderLine
from customers.services.imports import fishbowl_import
from syncs.bench import Measure, benchmark, scratch_database

CUSTOMER_HEADER = ["Customer ID", "ACCOUNT NUMBER", "Name", "Account Type", "Default Sales Rep", "Active"]
ORDER_HEADER = [
    "Issued date",
    "Customer ID",
    "Customer",
    "Account ID",
    "sales order number",
    "SO ID",
    "Sales Order Status",
    "Sales Rep",
    "Sales Rep Initials",
    "Default Sales Rep",
    "Sales Rep",
    "Customer ID",
    "SO Item ID",
    "Product Number",
    "Product Description",
    "Item Type",
    "Fulfilled Quantity",
    "Unit price",
    "Total price",
    "Total Cost",
]
REAL_CUSTOMER_HEADER = ["Customer #", "Name", "Account Type", "Sales Rep", "Active"]
REAL_ORDER_HEADER = [
    "Issued Date",
    "Account ID",
    "Customer Name",
    "Account id",
    "SO Number",
    "Sales Order ID",
    "SO Status",
    "Sales person",
    "Sales man initials",
    "Default Sales Rep",
    "SO Number",
    "Customer id",
    "So item id",
    "SO Item Product Number",
    "Product desc",
    "Soitem type",
    "Qty fulfilled",
    "Unit Price",
    "Total price",
    "Total Cost",
    "Product ID",
]
REPS = ["admin", "jsmith", "mlee", "kpatel", "rgarcia", ""]
STATUSES = ["Fulfilled"] * 6 + ["Issued", "In Progress", "Closed Short", "Historical", "Void", "Cancelled"]


def _account(number: int) -> str:
    return f"{number:,}" if number % 37 == 0 else str(number)


def fishbowl_files_write(directory: Path, *, lines: int, seed: int = 7) -> tuple[Path, Path]:
    """Write ``fishbowl_customers.csv`` and a ``lines``-row ``fishbowl_sales_order_lines.csv``; streams."""
    rng = random.Random(seed)
    customers = max(50, lines // 100)
    customers_path = directory / "fishbowl_customers.csv"
    orders_path = directory / "fishbowl_sales_order_lines.csv"
    names = {}
    with customers_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CUSTOMER_HEADER)
        for index in range(1, customers + 1):
            number = 1000 + index
            names[number] = f"Customer {index}"
            kind = rng.choices(["Wholesale", "Distributor", "retail"], [81, 13, 6])[0]
            active = rng.choice(["true", "checked", "Checked", "1"])
            writer.writerow([index, _account(number), names[number], kind, rng.choice(REPS), active])
    with orders_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORDER_HEADER)
        written, order = 0, 0
        while written < lines:
            order += 1
            number = 1001 + rng.randrange(customers + customers // 10)  # ~9 % of orders: unknown customer
            rep = rng.choice(REPS)
            day = f"{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}-{rng.choice([2024, 2025])}"
            head = [
                day,
                number - 1000,
                names.get(number, "Gone Ltd"),
                _account(number),
                f"SO{order:07d}",
                order,
            ]
            head += [rng.choice(STATUSES), rep, rep[:2].upper(), "admin", "", number - 1000]
            for item in range(1, min(rng.randint(1, 5), lines - written) + 1):
                if item == 2:
                    product = ["SHIPPING", "Shipping", "Shipping", "1", "$0.00", "$0.00", "0"]
                else:
                    quantity, price = rng.randint(1, 40), rng.randint(100, 250000) / 100
                    product = [f"P-{rng.randint(1, 900)}", "Widget", "Sale", quantity, f"${price:,.2f}"]
                    product += [f"${quantity * price:,.2f}", f"{quantity * price / 2:.2f}"]
                writer.writerow(head + [order * 10 + item] + product)
                written += 1
    return customers_path, orders_path


def _eu(amount: float) -> str:
    """``1234.5`` → ``"1.234,50"`` (decimal comma, point thousands), as a European spreadsheet writes it."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def fishbowl_real_files_write(directory: Path, *, lines: int, seed: int = 7) -> tuple[Path, Path]:
    """The same data as ``fishbowl_files_write`` in a real shop's shape (see the module docstring); streams."""
    rng = random.Random(seed)
    customers = max(50, lines // 100)
    customers_path = directory / "fishbowl_customers.csv"
    orders_path = directory / "fishbowl_sales_order_lines.csv"
    names = {}
    options = {"newline": "", "encoding": "cp1252"}
    with customers_path.open("w", **options) as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(REAL_CUSTOMER_HEADER)
        for index in range(1, customers + 1):
            names[index] = f"Café {index}"
            kind = rng.choices(["Wholesale", "Distributor", "retail"], [81, 13, 6])[0]
            writer.writerow(
                [index, names[index], kind, rng.choice(REPS), rng.choice(["true", "Checked", "1"])]
            )
    with orders_path.open("w", **options) as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(REAL_ORDER_HEADER)
        written, order = 0, 0
        while written < lines:
            order += 1
            customer = 1 + rng.randrange(customers + customers // 10)  # ~9 % of orders: unknown customer
            rep = rng.choice(REPS)
            day = f"{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}-{rng.choice([2024, 2025])}"
            if rng.random() < 0.3:
                day += f" {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
            number = f"SO{order:07d}"
            head = [day, customer, names.get(customer, "Gone Ltd"), "", number, order, rng.choice(STATUSES)]
            head += [rep, rep[:2].upper(), "admin", number, customer]
            for item in range(1, min(rng.randint(1, 5), lines - written) + 1):
                if item == 2:
                    product = ["Shipping", "Shipping", "Shipping", "1", "0,00", "0,00", "0", "12"]
                elif item == 4:
                    fee = rng.randint(100, 4000) / 100
                    product = ["CC Processing", "Credit Card Processing Fee", "Sale", "1", _eu(fee), _eu(fee)]
                    product += ["0", "907"]
                else:
                    quantity, price = rng.randint(1, 40), rng.randint(100, 250000) / 100
                    product = [f"P-{rng.randint(1, 900)}", "Widget ½ lb", "Sale", quantity, _eu(price)]
                    product += [_eu(quantity * price), _eu(quantity * price / 2), rng.randint(1, 900)]
                writer.writerow(head[:12] + [order * 10 + item] + product)
                written += 1
    return customers_path, orders_path


SHAPES = {"canonical": (fishbowl_files_write, "number"), "real": (fishbowl_real_files_write, "id")}


@benchmark(
    "import",
    arguments={
        "--orders": {"type": int, "default": 200000, "help": "sales-order lines"},
        "--shape": {"choices": list(SHAPES), "default": "canonical", "help": "file shape (module docstring)"},
    },
)
def import_benchmark(*, orders: int, shape: str = "canonical") -> dict:
    """Fishbowl CSV import of N sales-order lines into a scratch SQLite database, then an idempotent re-import."""
    from django.test import override_settings

    write, account_key = SHAPES[shape]
    figures: dict = {"order lines": orders, "shape": shape}
    with (
        tempfile.TemporaryDirectory(prefix="copperhub-import-") as tmp,
        scratch_database(),
        override_settings(FISHBOWL_ACCOUNT_KEY=account_key),
    ):
        customers_path, orders_path = write(Path(tmp), lines=orders)
        figures["orders file MiB"] = round(orders_path.stat().st_size / 2**20, 1)
        for label in ("first import", "re-import"):
            cpu = time.process_time()
            with Measure() as measure:
                result = fishbowl_import(customers_path=customers_path, orders_path=orders_path)
            cpu = time.process_time() - cpu
            if result.error_count:
                raise RuntimeError(f"benchmark data was refused: {result.errors[:3]}")
            figures[label] = {
                "seconds": round(measure.seconds, 2),
                # CPU time of this process: the figure to compare on a shared machine, where wall time
                # also counts the waits for other processes.
                "cpu seconds": round(cpu, 2),
                "lines per second": round(orders / measure.seconds),
                "peak MiB": measure.peak_mib,
                "lines created": result.lines.created,
                "lines unchanged": result.lines.unchanged,
                "orders created": result.orders.created,
                "orders updated": result.orders.updated,
                "orders without customer": result.orders_without_customer,
            }
        figures["order lines in database"] = SalesOrderLine.objects.count()
        figures["history rows of lines"] = SalesOrderLine.history.count()
    return figures


@benchmark(
    "import_preview",
    arguments={
        "--companies": {"type": int, "default": 1662, "help": "demo world size (make demo's default)"}
    },
)
def import_preview_benchmark(*, companies: int) -> dict:
    """The admin's "Import from Fishbowl" with the demo world's two files: upload + dry-run preview, then confirm
    until the progress page answers (scratch database, the admin driven through Django's test client)."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment, teardown_test_environment

    url = "/admin/customers/fishbowlcustomer/import/"
    names = {"customers": "fishbowl_customers.csv", "orders": "fishbowl_sales_order_lines.csv"}
    figures: dict = {"companies": companies}
    setup_test_environment()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="copperhub-preview-") as tmp,
            scratch_database(),
            override_settings(VAR_DIR=Path(tmp) / "var", ALLOWED_HOSTS=["*"]),
        ):
            figures.update(demo_world_write(out_dir=Path(tmp), seed=7, companies=companies))
            client = Client()
            client.force_login(get_user_model().objects.create_superuser("bench", "bench@example.com", "x"))
            for attempt in (1, 2, 3):
                files = {k: SimpleUploadedFile(n, (Path(tmp) / n).read_bytes()) for k, n in names.items()}
                with Measure() as measure:
                    response = client.post(url, {"action": "preview", "number_format": "auto", **files})
                if response.status_code != 200 or "result" not in response.context:
                    raise RuntimeError(f"the preview failed: {response.status_code}")
                figures[f"preview {attempt} seconds"] = round(measure.seconds, 2)
            data = {"action": "confirm", "token": response.context["token"], "number_format": "auto"}
            with Measure() as measure:
                progress = client.get(client.post(url, data)["Location"])
            figures["confirm → progress page seconds"] = round(measure.seconds, 2)
            figures["progress page status"] = progress.status_code
    finally:
        teardown_test_environment()
    return figures
