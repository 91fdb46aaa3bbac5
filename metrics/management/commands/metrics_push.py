"""``manage.py metrics_push [--user NAME] [--apply-approved ID]``: the metrics push from the command line.

Without options it builds a dry-run change set (nothing is written to Copper) and prints its counts and the
flagged changes; a second person approves it in the admin. ``--apply-approved ID`` applies an approved set in
this process. Both run as recorded SyncRuns (one of a kind at a time, with the admin's progress page); a failed
run, or changes Copper refused, exit non-zero.
"""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from metrics.models import ChangeSet
from metrics.services.field_mapping import field_mapping_warnings
from syncs.models import SyncRun
from syncs.services.runs import SyncRunAlreadyActive, sync_run_execute, sync_run_start


class Command(BaseCommand):
    help = (
        "Build a dry-run change set of sales metrics for Copper and print it (default), or apply an approved "
        "set with --apply-approved ID. Approval always happens in the admin, by someone other than the builder."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply-approved", type=int, metavar="ID", help="Apply this approved change set."
        )
        parser.add_argument("--user", help="Username recorded as builder / applier (default: none).")
        parser.add_argument("--show", type=int, default=50, help="Flagged changes to print (default 50).")

    def handle(self, *args, apply_approved=None, user=None, show=50, **options):
        person = None
        if user:
            person = get_user_model().objects.filter(username=user).first()
            if person is None:
                raise CommandError(f"There is no user named {user!r}.")
        if apply_approved is not None:
            return self._apply(apply_approved, person)
        for warning in field_mapping_warnings():
            self.stderr.write(f"Warning: {warning.message}")
        run = self._run(kind=SyncRun.Kind.METRICS_DRY_RUN, user=person, options={})
        change_set = ChangeSet.objects.get(source_run=run)
        self.stdout.write(run.message)
        for key, value in sorted(change_set.counts.items()):
            self.stdout.write(f"  {key}: {value}")
        flagged = change_set.changes.filter(flagged=True).order_by("company_name", "field_name")
        if flagged:
            self.stdout.write(f"Flagged changes ({flagged.count()}, first {show}):")
        for change in flagged[:show]:
            self.stdout.write(
                f"  {change.company_name} ({change.company_id}) {change.field_name}: "
                f"{change.old_display} → {change.new_display} [{', '.join(change.flags)}]"
            )
        self.stdout.write(f"Review and approve it in the admin: change set #{change_set.pk}.")

    def _apply(self, pk: int, user) -> None:
        change_set = ChangeSet.objects.filter(pk=pk).first()
        if change_set is None:
            raise CommandError(f"There is no change set #{pk}.")
        if change_set.status not in (ChangeSet.Status.APPROVED, ChangeSet.Status.APPLYING):
            raise CommandError(
                f"{change_set} is {change_set.get_status_display().lower()}; only an approved set can be applied."
            )
        run = self._run(kind=SyncRun.Kind.METRICS_APPLY, user=user, options={"change_set_id": pk})
        change_set.refresh_from_db()
        self.stdout.write(run.message)
        failed = change_set.counts.get("outcome_failed", 0)
        if failed:
            raise CommandError(f"Copper refused {failed} change(s); see change set #{pk} in the admin.")

    def _run(self, *, kind: str, user, options: dict) -> SyncRun:
        try:
            run = sync_run_start(kind=kind, user=user, options=options)
        except SyncRunAlreadyActive as exc:
            raise CommandError(str(exc)) from exc
        # A worker may receive the queued task too; whoever claims the run first runs it. If the worker won,
        # wait for it so the exit status still tells the outcome.
        finished = sync_run_execute(run_id=run.pk)
        while finished is None:
            run.refresh_from_db()
            if not run.is_active:
                finished = run
                break
            time.sleep(1)
        if finished.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"{finished} ended {finished.status}: {finished.message}")
        return finished
