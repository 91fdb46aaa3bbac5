"""``manage.py fishbowl_import --customers FILE --orders FILE [--dry-run] [--skip-invalid] [--from-api]``.

Parses the options, calls ``customers.services.imports.fishbowl_import`` and prints its summary. Exits
non-zero (``CommandError``) when the input had errors and nothing was imported, or when Fishbowl refused.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from customers.fishbowl_api import FishbowlError
from customers.fishbowl_csv import ImportFileError
from customers.services.imports import fishbowl_import

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "Import Fishbowl customers and sales-order lines from CSV exports (or the Fishbowl API)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", metavar="FILE.csv", help="Fishbowl customers export.")
        parser.add_argument("--orders", metavar="FILE.csv", help="Fishbowl sales-order line report.")
        parser.add_argument(
            "--from-api",
            action="store_true",
            help="Read both from the Fishbowl REST API (FISHBOWL_* settings).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows and report the rest (an order with an invalid line is skipped whole).",
        )

    def handle(
        self, *args, customers=None, orders=None, from_api=False, dry_run=False, skip_invalid=False, **options
    ):
        if from_api and (customers or orders):
            raise CommandError("Give either --from-api or the CSV files, not both.")
        if not from_api and not (customers or orders):
            raise CommandError("Nothing to import: give --customers and/or --orders, or --from-api.")
        try:
            result = fishbowl_import(
                customers_path=customers,
                orders_path=orders,
                from_api=from_api,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
            )
        except (FishbowlError, ImproperlyConfigured, ImportFileError, OSError) as exc:
            raise CommandError(str(exc)) from exc

        for notice in result.notices:
            self.stdout.write(f"Note: {notice}")
        for problem in result.errors[:SHOWN_ERRORS]:
            self.stderr.write(str(problem))
        if result.error_count > SHOWN_ERRORS:
            self.stderr.write(f"… and {result.error_count - SHOWN_ERRORS} more problems.")
        if result.error_count and not skip_invalid:
            raise CommandError(
                f"{result.error_count} problem(s) in the input; nothing was imported. Fix the file(s), or use "
                "--skip-invalid to import the valid rows."
            )
        heading = "Dry run, nothing written. Would have:" if dry_run else "Imported:"
        self.stdout.write(heading)
        for line in result.summary():
            self.stdout.write(f"  {line}")
        if result.error_count:
            self.stdout.write(self.style.WARNING(f"{result.error_count} problem(s) skipped (listed above)."))
