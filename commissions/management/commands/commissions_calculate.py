"""``manage.py commissions_calculate --month 2026-01 [--sales-person NAME]``: calculate a month in this process.

The calculation runs as a recorded ``SyncRun`` (progress and outcome visible in the admin); the per-rep
summary and the unattributed total are printed, and a failed run exits non-zero.
"""

from django.core.management.base import BaseCommand, CommandError

from commissions.selectors import commission_rep_summary, commission_unattributed_summary
from commissions.services import commission_calculate_start
from syncs.models import SyncRun
from syncs.services.runs import SyncRunAlreadyActive, sync_run_execute_here


class Command(BaseCommand):
    help = (
        "Calculate commissions for a month (YYYY-MM): every counted order issued that month becomes a commission "
        "line; the month's lines are replaced in one transaction, overrides and pins are applied again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month, YYYY-MM (e.g. 2026-01).")
        parser.add_argument("--sales-person", default="", help="Only this Fishbowl username's orders.")

    def handle(self, *args, month: str, sales_person: str = "", **options):
        try:
            run = commission_calculate_start(month=month, sales_person=sales_person or None, user=None)
        except (ValueError, SyncRunAlreadyActive) as exc:
            raise CommandError(str(exc)) from exc
        finished = sync_run_execute_here(run=run)
        if finished.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"{finished} ended {finished.status}: {finished.message}")
        self.stdout.write(f"{finished}: {finished.message}")
        month_value = finished.options["month"]
        self.stdout.write(
            f"{'Rep':30} {'Orders':>7} {'Paid':>6} {'Base':>14} {'Commission':>12} {'Total':>12}"
        )
        for rep in commission_rep_summary(month=month_value):
            self.stdout.write(
                f"{rep['name'][:30]:30} {rep['orders']:>7} {rep['paid_orders']:>6} {rep['base']:>14} "
                f"{rep['amount']:>12} {rep['total']:>12}"
            )
        unattributed = commission_unattributed_summary(month=month_value)
        self.stdout.write(f"Unattributed: {unattributed['count']} orders, revenue {unattributed['revenue']}")
        for reason in unattributed["by_reason"].values():
            self.stdout.write(f"  {reason['label']}: {reason['count']} orders, revenue {reason['revenue']}")
