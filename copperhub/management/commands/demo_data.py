"""``manage.py demo_data --companies 1662 --seed 7 [--out var/demo]``: write the deterministic demo world.

Writes the two Fishbowl CSV exports and the Copper dataset the sandbox serves (see ``customers/demo.py``);
touches no database. The same seed and size always give byte-identical files.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from copper.sandbox.world import REFERENCE_COMPANIES
from customers.demo import demo_world_write


def default_out_dir() -> Path:
    return Path(settings.VAR_DIR) / "demo"


class Command(BaseCommand):
    help = (
        "Generate the demo world deterministically: <out>/fishbowl_customers.csv, "
        "<out>/fishbowl_sales_order_lines.csv and <out>/copper/ (users, definitions, companies.jsonl)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--companies", type=int, default=REFERENCE_COMPANIES, help="Copper companies (default 1662)."
        )
        parser.add_argument(
            "--seed", type=int, default=7, help="Random seed: the same seed gives the same world."
        )
        parser.add_argument("--out", type=Path, default=None, help="Output directory (default var/demo).")

    def handle(self, *args, companies, seed, out, **options):
        if companies < 1:
            raise CommandError("--companies must be at least 1.")
        out_dir = out or default_out_dir()
        counts = demo_world_write(out_dir=out_dir, seed=seed, companies=companies)
        self.stdout.write(f"Demo world (seed {seed}) written to {out_dir}:")
        for name, value in counts.items():
            self.stdout.write(f"  {name.replace('_', ' ')}: {value:,}")
        return None
