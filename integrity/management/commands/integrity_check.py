"""``manage.py integrity_check [--fail-on warning|critical]``: run every check, store a report, print states."""

from django.core.management.base import BaseCommand

from integrity.models import SEVERITY, IntegrityReport, State
from integrity.services import integrity_report_create


class Command(BaseCommand):
    help = (
        "Run every integrity check, store a report (alerting on changes of state) and print each check's state "
        "and count. With --fail-on, exit with status 2 when any check is at or above that level (for cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fail-on", choices=[State.WARNING, State.CRITICAL], default=None)

    def handle(self, *args, fail_on=None, **options):
        report = integrity_report_create(trigger=IntegrityReport.Trigger.ON_DEMAND)
        styles = {
            State.OK: self.style.SUCCESS,
            State.WARNING: self.style.WARNING,
            State.CRITICAL: self.style.ERROR,
        }
        for result in report.results.order_by("id"):
            line = f"{result.state.upper():9} {result.count:>9}  {result.check_name}: {result.title}"
            if result.note:
                line += f" ({result.note})"
            self.stdout.write(styles[result.state](line))
        chain = report.summary
        self.stdout.write(
            "Chain: {fishbowl_customers} Fishbowl customers, {active_companies_with_id} active Copper companies "
            "with an id, {matched} matched, {orders} orders, {unattributed_orders} unattributed.".format(
                **chain
            )
        )
        self.stdout.write(f"Report #{report.pk}: overall {report.state}.")
        if fail_on and SEVERITY[report.state] >= SEVERITY[fail_on]:
            raise SystemExit(2)
