"""The customer sync: every active Copper company with an Account Order ID is a Fishbowl customer.

``customer_sync`` makes ``FishbowlCustomer`` mirror that rule: for each active company (``is_active_customer``
set, not missing from Copper) with an ``account_number`` there is exactly one customer with that number, linked
to that company. It reads only the typed columns the pull already normalised.

- Matching: by account number first, then by the existing Copper link (only when the linked customer's number
  normalises to the company's); never by name. A missing customer whose name equals an unlinked customer's
  name is created all the same and reported as ``probable_match_by_name``.
- Values taken from Copper: name, account type (``account_type_normalise``; empty or unknown is recorded as
  ``unknown`` on create and reported, never turned into "Retail", and never downgrades a known type), region,
  billing and shipping address (the company's one address), and the sales rep. The sales rep is the
  "Fishbowl Assigned Sales Person" field when filled in (it is a Fishbowl username, the value commissions use),
  else the name of the Copper assignee. An empty Copper value means "no information": it never blanks a field.
- Fields listed in a customer's ``locked_fields`` (edited by hand) are never overwritten; a difference is
  logged as ``locked_field_differs``.
- Reported, never resolved silently (run log, both sides named): ``duplicate_account_number`` (one number on
  several active companies; untouched until an ``AccountNumberOwner`` names the owner, which then wins without
  a report), ``linked_company_inactive``, ``linked_company_id_changed`` (the link moves to the customer that has
  the company's current number), ``invalid_account_number``.
- Batched (``CUSTOMER_SYNC_BATCH_SIZE`` companies a page, ordered by pk): each page's customers come in one
  query; its writes, with history rows whose change reason names the run ("customer sync run #12"), go in one
  transaction through ``syncs.bulk`` (the rows ``bulk_update_with_history``/``bulk_create_with_history``
  would write, at a fraction of the cost). Only changed rows are written, so a second run writes nothing.
  Queries grow with pages, not companies; memory holds one page.
- With ``apply``, orders imported before their customer existed are then linked to it (``order_links``).
- ``apply=False`` (dry run) writes no customer; the would-be creates and updates (first ``preview_limit`` of
  each, with before/after values) are returned and logged as ``would_create`` / ``would_update``.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from copper.models import CopperCompany
from customers.models import AccountNumberOwner, FishbowlCustomer
from customers.selectors import copper_company_is_active
from customers.services.order_links import sales_orders_link
from customers.services.sync_engine import LOCKABLE_FIELDS, CustomerSync
from customers.services.sync_result import CustomerSyncResult
from syncs.models import SyncRun
from syncs.progress import Progress
from syncs.services.runs import sync_run_start

__all__ = [
    "LOCKABLE_FIELDS",
    "CustomerSyncResult",
    "account_number_owner_choose",
    "customer_fields_unlock",
    "customer_locked_fields",
    "customer_sync",
    "customer_sync_after_pull",
    "customer_sync_run",
]


def customer_sync_run(*, run: SyncRun, progress: Progress) -> None:
    """Runner for ``SyncRun.Kind.CUSTOMER_SYNC``: ``run.options["apply"]`` (default False: a dry run)."""
    customer_sync(
        apply=bool(run.options.get("apply", False)), run=run, progress=progress, user=run.started_by
    )


def customer_sync(
    *,
    apply: bool,
    run: SyncRun | None = None,
    progress: Progress | None = None,
    user: AbstractBaseUser | None = None,
    preview_limit: int = 50,
    batch_size: int | None = None,
) -> CustomerSyncResult:
    """Bring ``FishbowlCustomer`` in line with the active Copper companies (see the module docstring).

    Writes customers (and their history) only when ``apply``; always writes progress and log entries to
    ``run`` when given. Raises ``RunCancelled`` between pages when a person cancels; committed pages stay.
    """
    progress = progress or Progress.null()
    sync = CustomerSync(
        apply=apply,
        run=run,
        progress=progress,
        user=user,
        preview_limit=preview_limit,
        batch_size=batch_size or settings.CUSTOMER_SYNC_BATCH_SIZE,
    )
    sync.execute()
    if apply:
        # Orders imported before their customer existed belong to it now.
        progress.step("Linking orders to their customers", total=progress.total, reset=False)
        reason = f"customer sync run #{run.pk}" if run is not None else "customer sync"
        linked = sales_orders_link(change_reason=reason, user=user, progress=progress)
        if linked:
            progress.set_message(f"{sync.result.summary} {linked} orders linked to their customers.")
    return sync.result


def customer_sync_after_pull(*, run: SyncRun) -> SyncRun | None:
    """Follow-up of a successful Copper pull (when ``CUSTOMER_SYNC_AFTER_PULL`` is on): an applying customer sync.

    Never dropped: if an applying sync is queued and not started it does the work (it will read the pulled
    rows); otherwise — a dry run queued, any sync running — an applying sync waits and starts when the kind is
    free. Returns that run (``None`` for an unsuccessful pull or the setting off). The pull's counts name it.
    """
    if run.kind != SyncRun.Kind.COPPER_PULL or run.status != SyncRun.Status.SUCCEEDED:
        return None
    if not settings.CUSTOMER_SYNC_AFTER_PULL:
        return None
    follow_up = sync_run_start(kind=SyncRun.Kind.CUSTOMER_SYNC, options={"apply": True}, parent=run, wait_if_busy=True)
    counts = {**run.counts, "customer_sync_run": follow_up.pk}
    SyncRun.objects.filter(pk=run.pk).update(counts=counts)
    run.counts = counts
    return follow_up


def account_number_owner_choose(
    *, account_number: str, company: CopperCompany, user: AbstractBaseUser | None = None, note: str = ""
) -> AccountNumberOwner:
    """Record that ``company`` owns ``account_number`` among the active companies claiming it.

    Later customer syncs link the number's customer to that company without reporting the conflict. Raises
    ``ValueError`` when the company does not carry that account number (or is not an active customer).
    """
    claims = company.account_number == account_number and copper_company_is_active(
        is_active_customer=company.is_active_customer,
        missing_from_copper_since=company.missing_from_copper_since,
    )
    if not claims:
        raise ValueError(
            f"Copper company #{company.pk} {company.name} is not an active company with account number "
            f"{account_number}; choose one of the companies that claim it."
        )
    owner, _ = AccountNumberOwner.objects.update_or_create(
        account_number=account_number,
        defaults={
            "company": company,
            "chosen_by": user if getattr(user, "is_authenticated", False) else None,
            "note": note,
        },
    )
    return owner


def customer_fields_unlock(*, customers, user: AbstractBaseUser | None = None) -> int:
    """Hand the hand-edited fields of ``customers`` back to the sync (empty ``locked_fields``); returns how many."""
    locked = [customer for customer in customers if customer.locked_fields]
    for customer in locked:
        customer.locked_fields = []
        customer.updated_at = timezone.now()
    if locked:
        bulk_update_with_history(
            locked,
            FishbowlCustomer,
            ["locked_fields", "updated_at"],
            default_user=user if getattr(user, "is_authenticated", False) else None,
            default_change_reason="fields handed back to the customer sync",
        )
    return len(locked)


def customer_locked_fields(*, customer: FishbowlCustomer, changed: list[str]) -> list[str]:
    """The ``locked_fields`` after a person changed ``changed`` by hand: those the sync manages are added."""
    return sorted(set(customer.locked_fields or []) | (set(changed) & set(LOCKABLE_FIELDS)))
