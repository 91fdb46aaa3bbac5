"""``manage.py sync_customers [--apply]``: the customer sync from the command line, recorded as a sync run."""

from django.core.management.base import BaseCommand, CommandError

from customers.selectors import customer_sync_preview
from syncs.models import SyncRun
from syncs.services.runs import SyncRunAlreadyActive, sync_run_execute_here, sync_run_start


class Command(BaseCommand):
    help = (
        "Make every active Copper company with an Account Order ID a linked Fishbowl customer. Without --apply "
        "(the default) it writes nothing and shows what it would create, update and flag (counts plus the first "
        "rows of each); with --apply it writes, with history naming the run. Runs in this process as a customer "
        "sync run (visible in the admin), and exits non-zero if the run fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Write the changes (default: dry run).")
        parser.add_argument("--rows", type=int, default=10, help="How many rows of each kind to show.")

    def handle(self, *args, apply: bool, rows: int, **options):
        try:
            run = sync_run_start(kind=SyncRun.Kind.CUSTOMER_SYNC, options={"apply": apply})
        except SyncRunAlreadyActive as exc:
            raise CommandError(str(exc)) from None
        run = sync_run_execute_here(run=run)
        self._report(run, rows)
        if run.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"Customer sync run #{run.pk} {run.status}: {run.message}")

    def _report(self, run: SyncRun, rows: int) -> None:
        preview = customer_sync_preview(run=run, limit=rows)
        mode = "applied" if not preview.is_dry_run else "dry run, nothing written"
        self.stdout.write(self.style.MIGRATE_HEADING(f"Customer sync run #{run.pk} ({mode})"))
        self.stdout.write("  " + ", ".join(f"{name} {value}" for name, value in preview.counts.items()))
        verb = "Would create" if preview.is_dry_run else "Created"
        self.stdout.write(f"{verb} ({run.created}):")
        for row in preview.creates:
            values = row["values"]
            self.stdout.write(
                f"  {row['account_number']:>10}  {values['name']}  [{values['account_type']}] "
                f"rep={values['sales_rep'] or '-'}  ← Copper #{row['company']['id']}"
            )
        verb = "Would update" if preview.is_dry_run else "Updated"
        self.stdout.write(f"{verb} ({run.updated}):")
        for row in preview.updates:
            changes = "; ".join(
                f"{name}: {c['before']!r} → {c['after']!r}" for name, c in row["changes"].items()
            )
            self.stdout.write(f"  {row['account_number']:>10}  {changes}")
        self.stdout.write(f"Flagged ({run.counts.get('conflicts', 0)} conflicts):")
        for entry in preview.flags:
            self.stdout.write(f"  [{entry.code}] {entry.message}")
        self.stdout.write(run.message)
