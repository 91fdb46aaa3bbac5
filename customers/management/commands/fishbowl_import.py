"""``manage.py fishbowl_import --customers FILE --orders FILE [--dry-run] [--skip-invalid] [--number-format F]
[--from-api]``.

Parses the options and runs the import in this process as a recorded ``fishbowl_import`` sync run (the same
kind the admin's "Import from Fishbowl" starts; visible in the admin), then prints its summary. Exits non-zero
(``CommandError``) when the input had problems and nothing was imported, when a file cannot be read, or when
Fishbowl refused.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.fishbowl_csv.amounts import FORMAT_CHOICES
from customers.services.import_run import fishbowl_import_options, fishbowl_import_result
from syncs.models import SyncRun
from syncs.services.runs import SyncRunAlreadyActive, sync_run_execute_here, sync_run_start

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Import Fishbowl customers and sales-order lines from CSV exports (any header spelling of the README's "
        "table; UTF-8, Windows-1252 or UTF-16; comma, semicolon or tab) or from the Fishbowl API, as a recorded "
        "Fishbowl import run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", metavar="FILE.csv", help="Fishbowl customer list.")
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
        parser.add_argument(
            "--number-format",
            choices=FORMAT_CHOICES,
            default="auto",
            help="How amounts are written: point (1,234.50), comma (1.234,50) or auto (told from each file).",
        )

    def handle(self, *args, customers=None, orders=None, from_api=False, dry_run=False, skip_invalid=False,
               number_format="auto", **options):  # fmt: skip
        for path in (customers, orders):
            if path and not Path(path).is_file():
                raise CommandError(f"No such file: {path}")
        try:
            run_options = fishbowl_import_options(
                customers_path=customers,
                orders_path=orders,
                customers_name=Path(customers).name if customers else "",
                orders_name=Path(orders).name if orders else "",
                from_api=from_api,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                number_format=number_format,
            )
            run = sync_run_start(kind=SyncRun.Kind.FISHBOWL_IMPORT, options=run_options)
        except (ValueError, SyncRunAlreadyActive) as exc:
            raise CommandError(str(exc)) from None
        run = sync_run_execute_here(run=run)
        result = fishbowl_import_result(run_id=run.pk)
        if result is not None:
            for notice in result.notices:
                self.stdout.write(f"Note: {notice}")
            for problem in result.errors[:SHOWN_ERRORS]:
                self.stderr.write(str(problem))
            if result.error_count > SHOWN_ERRORS:
                self.stderr.write(f"… and {result.error_count - SHOWN_ERRORS} more problems.")
        if run.status != SyncRun.Status.SUCCEEDED:
            if result is not None and result.error_count:
                raise CommandError(
                    f"{result.error_count} problem(s) in the input; nothing was imported (run #{run.pk}). Fix "
                    "the file(s), or use --skip-invalid to import the valid rows."
                )
            raise CommandError(f"Fishbowl import run #{run.pk} {run.status}: {run.message}")
        heading = "Dry run, nothing written. Would have:" if dry_run else "Imported:"
        self.stdout.write(f"{heading} (run #{run.pk})")
        for line in result.summary() if result is not None else [run.message]:
            self.stdout.write(f"  {line}")
        if result is not None and result.error_count:
            self.stdout.write(self.style.WARNING(f"{result.error_count} problem(s) skipped (listed above)."))
