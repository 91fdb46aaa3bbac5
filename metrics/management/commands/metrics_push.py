"""``manage.py metrics_push --user NAME [--apply-approved ID]``: the metrics push from the command line.

Without options it builds a dry-run change set (nothing is written to Copper) and prints its counts and the
flagged changes; a second person approves it in the admin. ``--apply-approved ID`` applies an approved set in
this process (a rollback set too: built by Roll back in the admin or the API, approved by a second person). Both run as recorded SyncRuns (one of a kind at a time, with the admin's progress page); a failed
run, or changes Copper refused, exit non-zero. ``--user`` is required: the person named builds (or applies)
the set, with their permissions, and so can never be the one who approves it.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from metrics.models import ChangeSet
from metrics.services.base import ChangeSetError
from metrics.services.field_mapping import field_mapping_warnings
from metrics.services.starts import change_set_apply_start, change_set_build_start
from syncs.models import SyncRun
from syncs.services.runs import SyncRunAlreadyActive, SyncRunPermissionDenied, sync_run_execute_here


class Command(BaseCommand):
    help = (
        "Build a dry-run change set of sales metrics for Copper and print it (default), or apply an approved "
        "set with --apply-approved ID. Approval always happens in the admin, by someone other than the builder."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply-approved", type=int, metavar="ID", help="Apply this approved change set."
        )
        parser.add_argument(
            "--user",
            required=True,
            help="Who builds or applies (recorded, with their permissions; a builder cannot approve their own set).",
        )
        parser.add_argument("--show", type=int, default=50, help="Flagged changes to print (default 50).")

    def handle(self, *args, apply_approved=None, user=None, show=50, **options):
        person = get_user_model().objects.filter(username=user, is_active=True).first()
        if person is None:
            raise CommandError(f"There is no active user named {user!r}.")
        if apply_approved is not None:
            return self._apply(apply_approved, person)
        for warning in field_mapping_warnings():
            self.stderr.write(f"Warning: {warning.message}")
        run = self._run(lambda: change_set_build_start(user=person))
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
        run = self._run(lambda: change_set_apply_start(change_set=change_set, user=user))
        change_set.refresh_from_db()
        self.stdout.write(run.message)
        failed = change_set.counts.get("outcome_failed", 0)
        if failed:
            raise CommandError(f"Copper refused {failed} change(s); see change set #{pk} in the admin.")

    def _run(self, start) -> SyncRun:
        try:
            run = start()
        except (ChangeSetError, SyncRunAlreadyActive, SyncRunPermissionDenied) as exc:
            raise CommandError(getattr(exc, "user_message", None) or str(exc)) from exc
        finished = sync_run_execute_here(run=run)
        if finished.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"{finished} ended {finished.status}: {finished.message}")
        return finished
