"""A change set's write buttons, each behind a confirmation page in the style of Django's ``delete_selected``.

Approve, Apply to Copper and Roll back open a GET page that says exactly what will happen: per Copper field
the number of changes and the sums before → after, one tick box per kind of flagged change (the POST is
refused, naming the flag, until each is ticked), and what the apply does when Copper changed since the dry
run. The page's "Yes, …" button POSTs; "No, take me back" returns to the change set. The POST calls one
service; refusals become error messages, never a 500.

``ChangeSetConfirmViews`` is mixed into ``ChangeSetAdmin`` (its URLs stay ``metrics_changeset_approve`` …);
``change_set_actions`` decides which buttons the change-set page offers (the builder gets no Approve button).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from metrics import values as mv
from metrics.admin_changes import changes_url
from metrics.models import ChangeSet
from metrics.selectors import FieldSummary, change_set_field_summary
from metrics.selectors_confirm import change_set_rollback_field_summary
from metrics.services.base import CHANGE_SET_NOT_AWAITING, CHANGE_SET_SELF_APPROVAL, ChangeSetError, _who
from metrics.services.changesets import change_set_approve
from metrics.services.rollback import change_set_require_rollbackable, change_set_rollback_open
from metrics.services.starts import change_set_apply_start, change_set_rollback_start
from syncs.admin_views import run_start_response

Status = ChangeSet.Status
TEMPLATE = "metrics/changeset_confirm.html"

BUILT_BY_YOU = "Built by you; another person must approve."
FLAG_NOT_TICKED = "Tick “{label}” ({count} changes) to confirm you looked at them; nothing was {done}."
STALE_PROMISE = (
    "Before writing, each company is read again from Copper and only fields that still hold the “before” "
    "value shown here are written: a field someone changed in Copper since the dry run is kept as it is and "
    "marked stale, never overwritten."
)
ROLLBACK_PROMISE = (
    "When the rollback is applied, each company is read again from Copper and a field someone changed there "
    "since {change_set} was applied is kept as it is and reported as a conflict, never overwritten."
)


def flag_words() -> dict[str, str]:
    """Each flag's name as the change set's legend shows it (``metrics.values.flag_legend``)."""
    return {item.flag: item.label for item in _legend()}


def _legend() -> list[mv.FlagLegend]:
    return mv.flag_legend(factor=settings.METRICS_SUSPICIOUS_FACTOR)


@dataclass(frozen=True)
class FlagToAcknowledge:
    flag: str
    label: str
    description: str
    count: int
    ticked: bool
    url: str

    @property
    def field_name(self) -> str:
        return f"ack_{self.flag}"


def change_set_actions(*, change_set: ChangeSet, user: Any) -> dict[str, Any]:
    """Which write buttons the change-set page shows ``user`` (a GET to each confirmation page)."""
    status = change_set.status
    approver = user.has_perm("metrics.approve_changeset")
    self_built = (
        not settings.METRICS_ALLOW_SELF_APPROVAL
        and change_set.built_by_id is not None
        and change_set.built_by_id == user.pk
    )
    return {
        "change_set": change_set,
        "can_approve": status == Status.BUILT and approver and not self_built,
        "built_by_you": status == Status.BUILT and approver and self_built,
        "built_by_you_text": BUILT_BY_YOU,
        "can_reject": status in (Status.BUILT, Status.APPROVED) and approver,
        "can_apply": status in (Status.APPROVED, Status.APPLYING)
        and user.has_perm("metrics.apply_changeset"),
        "can_rollback": (
            status in (Status.APPLIED, Status.PARTIALLY_APPLIED)
            and not change_set.rollback_of_id
            and user.has_perm("metrics.rollback_changeset")
        ),
    }


def _number(value: Decimal | None, data_type: str) -> str:
    if value is None:
        return "—"
    if data_type == "Currency" or value != value.to_integral_value():
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def _summary_rows(summary: list[FieldSummary]) -> list[dict[str, Any]]:
    """Per field: its counts, and the sums before → after where a sum means something (totals, as the change
    set's own summary shows them); other fields show one change as an example and why there is no sum."""
    rows = []
    for field in summary:
        summable = field.is_number and field.metric in mv.SUMMABLE_METRICS
        before = after = change = ""
        if summable:
            difference = field.difference or Decimal(0)
            before, after = _number(field.old_total, field.data_type), _number(field.new_total, field.data_type)
            change = f"{'+' if difference >= 0 else '−'}{_number(abs(difference), field.data_type)}"
        sample = ""
        if not summable and field.sample_company and (field.sample_before or field.sample_after):
            sample = f"{field.sample_company}: {field.sample_before or '(empty)'} → {field.sample_after or '(empty)'}"
        rows.append(
            {
                "field": field.field_name,
                "changes": field.changes,
                "flagged": field.flagged,
                "summable": summable,
                "no_sum": "not a total: no sum" if field.is_number else "not a number: no sum",
                "before": before,
                "after": after,
                "change": change,
                "sample": sample,
            }
        )
    return rows


def _flags(change_set: ChangeSet, summary: list[FieldSummary], ticked: set[str]) -> list[FlagToAcknowledge]:
    totals: dict[str, int] = {}
    for field in summary:
        for flag, count in field.flag_counts.items():
            totals[flag] = totals.get(flag, 0) + count
    legend = {item.flag: item for item in _legend()}
    return [
        FlagToAcknowledge(
            flag=flag,
            label=legend[flag].label if flag in legend else mv.flag_label(flag),
            description=legend[flag].description if flag in legend else "",
            count=count,
            ticked=flag in ticked,
            url=changes_url(change_set.pk, flag=flag),
        )
        for flag, count in sorted(totals.items(), key=lambda item: -item[1])
    ]


class ChangeSetConfirmViews:
    """Approve / apply / roll back views for ``ChangeSetAdmin``: GET confirms, POST does it."""

    def _confirm_target(self, request: HttpRequest, pk: int, perm: str) -> ChangeSet:
        if request.method not in ("GET", "POST"):
            raise PermissionDenied("GET or POST only")
        if not request.user.has_perm(f"metrics.{perm}"):
            raise PermissionDenied
        return get_object_or_404(
            ChangeSet.objects.select_related("built_by", "approved_by", "rollback_of"), pk=pk
        )

    def _to_change_set(self, change_set: ChangeSet) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:metrics_changeset_review", args=[change_set.pk]))

    def _refuse(self, request: HttpRequest, change_set: ChangeSet, message: str) -> HttpResponse:
        messages.error(request, message)
        return self._to_change_set(change_set)

    def _render(self, request: HttpRequest, change_set: ChangeSet, **context: Any) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "change_set": change_set,
            "back_url": reverse("admin:metrics_changeset_review", args=[change_set.pk]),
            "flagged_url": changes_url(change_set.pk, flag="any"),
            **context,
        }
        return TemplateResponse(request, TEMPLATE, context)

    def _unticked(self, request: HttpRequest, flags: list[FlagToAcknowledge], done: str) -> bool:
        """On a POST, refuse (with a message per flag) until every flag kind is ticked."""
        missing = [flag for flag in flags if not flag.ticked]
        for flag in missing:
            messages.error(request, FLAG_NOT_TICKED.format(label=flag.label, count=flag.count, done=done))
        return bool(missing)

    # --- approve --------------------------------------------------------------------------------------------
    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Approve a built set after a look at what it writes; the builder is refused (the one-person setting
        aside), as ``change_set_approve`` refuses."""
        change_set = self._confirm_target(request, pk, "approve_changeset")
        if change_set.status != Status.BUILT:
            status = change_set.get_status_display().lower()
            return self._refuse(
                request,
                change_set,
                CHANGE_SET_NOT_AWAITING.format(pk=change_set.pk, status=status, action="approved"),
            )
        if not change_set_actions(change_set=change_set, user=request.user)["can_approve"]:
            return self._refuse(
                request,
                change_set,
                CHANGE_SET_SELF_APPROVAL.format(pk=change_set.pk, user=_who(request.user)),
            )
        summary = change_set_field_summary(change_set=change_set)
        flags = _flags(change_set, summary, _ticked(request))
        if request.method == "POST" and not self._unticked(request, flags, "approved"):
            try:
                change_set_approve(change_set=change_set, user=request.user)
            except ChangeSetError as exc:
                return self._refuse(request, change_set, exc.user_message)
            messages.success(request, f"{change_set} approved; it can now be applied to Copper.")
            return self._to_change_set(change_set)
        what = "put back the old values of" if change_set.rollback_of_id else "write"
        own = change_set.built_by_id is not None and change_set.built_by_id == request.user.pk
        alone = " You built it; this installation lets one person approve their own sets." if own else ""
        return self._render(
            request,
            change_set,
            title=f"Approve {change_set}?",
            action="approve",
            intro=(
                f"Approving lets a person with the apply permission {what} {_changes(change_set)} in Copper. "
                f"Nothing is written now.{alone}"
            ),
            rows=_summary_rows(summary),
            flags=flags,
            promise=_promise(change_set),
            yes=f"Yes, approve {change_set}",
        )

    # --- apply ----------------------------------------------------------------------------------------------
    def apply_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Apply an approved set (or resume an interrupted apply) after a look: starts the apply run."""
        change_set = self._confirm_target(request, pk, "apply_changeset")
        if change_set.status not in (Status.APPROVED, Status.APPLYING):
            return self._refuse(
                request,
                change_set,
                f"{change_set} is {change_set.get_status_display().lower()}; "
                "only an approved set can be applied.",
            )
        summary = change_set_field_summary(change_set=change_set)
        flags = _flags(change_set, summary, _ticked(request))
        if request.method == "POST" and not self._unticked(request, flags, "applied"):
            return run_start_response(
                request=request,
                start=lambda: change_set_apply_start(change_set=change_set, user=request.user),
                back_url=self._to_change_set(change_set).url,
                refused=(ChangeSetError,),
            )
        resuming = change_set.status == Status.APPLYING
        pending = sum(s.outcome_counts.get("pending", 0) for s in summary)
        intro = (
            f"Applying writes {_changes(change_set)} to Copper now, at most one update per company, "
            f"approved by {change_set.approved_by or 'a second person'}."
        )
        if resuming:
            intro = (
                f"The apply of {change_set} stopped part-way: resuming writes the {pending:,} changes "
                "still pending."
            )
        return self._render(
            request,
            change_set,
            title=f"Apply {change_set} to Copper?",
            action="apply",
            intro=intro,
            rows=_summary_rows(summary),
            flags=flags,
            promise=_promise(change_set),
            yes=f"Yes, {'resume' if resuming else 'apply'} {change_set}",
        )

    # --- roll back ------------------------------------------------------------------------------------------
    def rollback_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Build the rollback of an applied set (awaiting a second person's approval) and open it."""
        change_set = self._confirm_target(request, pk, "rollback_changeset")
        open_rollback = change_set_rollback_open(change_set=change_set)
        if open_rollback is not None:
            messages.info(request, f"{open_rollback} already awaits approval or apply; here it is.")
            return self._to_change_set(open_rollback)
        if request.method == "POST":
            try:
                rollback = change_set_rollback_start(change_set=change_set, user=request.user)
            except ChangeSetError as exc:
                return self._refuse(request, change_set, exc.user_message)
            messages.success(
                request,
                f"{rollback} built: it puts back {_changes(rollback)}. Nothing is written to Copper until "
                "another person approves it and it is applied.",
            )
            return self._to_change_set(rollback)
        try:
            change_set_require_rollbackable(change_set)
        except ChangeSetError as exc:
            return self._refuse(request, change_set, exc.user_message)
        summary = change_set_rollback_field_summary(change_set=change_set)
        total = sum(field.changes for field in summary)
        return self._render(
            request,
            change_set,
            title=f"Roll back {change_set}?",
            action="rollback",
            intro=(
                f"Rolling back builds a rollback change set that puts back the value each of the {total:,} "
                f"applied changes of {change_set} replaced. Nothing is written to Copper now: another person "
                "must approve the rollback set, then it is applied like any change set."
            ),
            rows=_summary_rows(summary),
            before_heading="Sum Copper holds now",
            after_heading="Sum put back",
            flags=[],
            promise=ROLLBACK_PROMISE.format(change_set=change_set),
            yes="Yes, build the rollback",
        )


def _ticked(request: HttpRequest) -> set[str]:
    if request.method != "POST":
        return set()
    return {name.removeprefix("ack_") for name in request.POST if name.startswith("ack_")}


def _changes(change_set: ChangeSet) -> str:
    counts = change_set.counts
    changes, companies = counts.get("changes", 0), counts.get("companies_changed", 0)
    plural = ("s" if changes != 1 else "", "ies" if companies != 1 else "y")
    return f"{changes:,} change{plural[0]} on {companies:,} compan{plural[1]}"


def _promise(change_set: ChangeSet) -> str:
    if change_set.rollback_of_id:
        return ROLLBACK_PROMISE.format(change_set=change_set.rollback_of)
    return STALE_PROMISE
