"""``manage.py copper_pull [--full] [--queue]``: pull Copper into the local mirror.

By default the pull runs in this process (as a recorded ``SyncRun``), so cron sees its outcome: the summary is
printed and a failed or cancelled run exits non-zero. ``--queue`` hands it to the worker instead.
"""

from django.core.management.base import BaseCommand, CommandError

from copper.services.pull import copper_pull_start
from syncs.models import SyncRun
from syncs.services.runs import SyncRunAlreadyActive, sync_run_execute_here


class Command(BaseCommand):
    help = "Pull Copper users, custom-field definitions and companies (incremental unless --full)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="Refresh every company and mark those Copper no longer has."
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--now", action="store_true", help="Run in this process and wait (the default).")
        mode.add_argument("--queue", action="store_true", help="Queue the run for the worker and return.")

    def handle(self, *args, full=False, queue=False, **options):
        try:
            run = copper_pull_start(user=None, full=full)
        except SyncRunAlreadyActive as exc:
            raise CommandError(str(exc)) from exc
        if queue:
            self.stdout.write(f"Queued {run} (full={full}); follow it in the admin.")
            return
        finished = sync_run_execute_here(run=run)
        self.stdout.write(f"{finished}: {finished.get_status_display().lower()}. {finished.message}")
        if finished.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"{finished} ended {finished.status}: {finished.message}")
