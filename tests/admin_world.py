"""A small but complete copperhub, built through the real services, for the browser tests of the admin.

Every model the admin shows gets at least one row, with the long names and odd values a real account has:
companies with custom fields (dates, dropdowns, long text), Fishbowl customers and orders, an applied change
set and one awaiting approval (with flags), sync runs finished and one running, an integrity report with
findings and alerts, a month of commission lines, field mappings, webhook notifications, API tokens, the
worker's schedules and task results.

Runs are executed in the test's own thread: ``admin_world_create`` patches the broker hand-off
(``syncs.queue.async_task``) with a recorder and executes what was queued, as a worker would, so the runs,
their logs, follow-ups, history and change reasons are the ones a real worker leaves. Copper is
``tests.metrics.metrics_world.FakeCopper`` (no network).

``AdminWorld.url_args`` gives, by admin URL name, the arguments of the custom admin pages that need one
(a run, a change set, a check), so a test can visit them without knowing where they come from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from commissions.models import (
    CommissionOverride,
    CommissionRate,
    CustomerStatus,
    CustomerStatusPin,
    SalesRep,
    Segment,
    Spiff,
    Title,
)
from copper.models import CopperCompany, CopperUser, CopperWebhookNotification, CustomFieldDefinition
from copperhub.api.services import api_token_create, service_account_create
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from customers.services.sync import account_number_owner_choose
from integrity.models import CheckResultRecord, IntegrityReport
from metrics.models import ChangeSet
from metrics.services.changesets import change_set_approve
from metrics.services.starts import change_set_apply_start, change_set_build_start
from syncs.models import SyncRun, SyncRunLog
from syncs.services.runs import sync_run_execute, sync_run_start
from tests.metrics.metrics_world import (
    FakeCopper,
    company_create,
    definitions_create,
    mappings_create,
)
from tests.metrics.metrics_world import order_create as _order_create

SALE = SalesOrderLine.LineType.SALE
SHIPPING = SalesOrderLine.LineType.SHIPPING
# A month with orders, the one the commission report opens on in the world.
COMMISSION_MONTH = "2026-06"

# (copper id, name, account number, Copper's current values of the mapped fields)
COMPANIES = [
    (
        201,
        "Northwind Natural Foods Cooperative of the Pacific Northwest, LLC",
        "10042",
        # Copper holds more orders than Fishbowl has (went down) and a later last order (date backwards).
        {"Total Orders": 48.0, "Total Spent": 12.0, "Last Order Date": 1785456000, "Region": 1},
    ),
    (
        202,
        "Saint-Jean-sur-Richelieu Épicerie Fine & Fromagerie Artisanale Inc.",
        "10043",
        {"Total Spent": 250000.0, "Notes": "Prefers deliveries before 7 am; dock B; call Marie-Ève first."},
    ),
    (203, "Blue Ridge Mountain Apothecary and Wellness Supply Company", "1,004,4", {}),
    (204, "Cedar Creek Market", "10045", {"Sample Kit Sent": 32}),
    (205, "Duluth Harbor Provisions — Wholesale Division (formerly Lake Superior Grocers)", "10046", {}),
]
# Active companies with a number but no Fishbowl customer yet: the customer sync creates them.
UNLINKED = [
    (206, "Eau Claire Organic Growers Association of Western Wisconsin", "10047", "Distributor"),
    (207, "Fort Collins Fermentation Supply & Homebrew Emporium", "10048", "Wholesale"),
]
PRODUCTS = [
    ("LAV-ESS-OIL-15ML-CASE24", "Lavender essential oil, 15 ml amber bottle, case of 24"),
    ("PEP-ESS-OIL-30ML-CASE12", "Peppermint essential oil, 30 ml cobalt bottle with dropper, case of 12"),
    ("SAMPLE-KIT", "Retail sample kit (six 5 ml testers, display card, price sheet)"),
]


class InlineQueue:
    """Stands in for the broker: records each queued run; ``drain()`` executes them in order, as a worker."""

    def __init__(self) -> None:
        self.run_ids: list[int] = []

    def async_task(self, func, *args, **kwargs) -> str:
        assert func is sync_run_execute, f"unexpected task {func!r}"
        self.run_ids.append(kwargs["run_id"])
        return f"inline-{kwargs['run_id']}"

    def drain(self) -> None:
        while self.run_ids:
            sync_run_execute(run_id=self.run_ids.pop(0))


@dataclasses.dataclass
class AdminWorld:
    """What was built, for tests that walk it; ``url_args`` fills the custom admin URLs that need an id."""

    built_set: ChangeSet
    applied_set: ChangeSet
    running_run: SyncRun
    customer_sync_dry_run: SyncRun
    customer_sync_apply_run: SyncRun
    report: IntegrityReport
    copper: FakeCopper
    queue: InlineQueue
    url_args: dict[str, list[dict[str, Any]]]
    extra_urls: list[str]


def _order(number: str, account: str, day: dt.date, lines, sales_person: str) -> SalesOrder:
    order = _order_create(number, account, day, lines)
    order.sales_person = sales_person
    order.sales_rep = sales_person.title()
    order.customer_name = order.customer.name
    order.save()
    for line in order.lines.all():
        line.description = dict(PRODUCTS).get(line.product_number, "Freight — LTL, liftgate delivery")
        line.unit_price = line.total_price / (line.quantity_fulfilled or 1)
        line.save()
    return order


def _copper_side() -> None:
    definitions_create()
    CustomFieldDefinition.objects.create(
        copper_id=9020,
        name="Preferred Delivery Window and Receiving Instructions (warehouse)",
        data_type="Text",
        available_on=["company", "person"],
    )
    users = [
        CopperUser.objects.create(copper_id=7001, name="Margaret Okonkwo-Lindqvist", email="margaret.okonkwo-lindqvist@northwind-botanicals.example.com"),
        CopperUser.objects.create(copper_id=7002, name="Dev Raghunathan", email="dev@northwind-botanicals.example.com"),
    ]  # fmt: skip
    for copper_id, name, number, values in COMPANIES:
        company = company_create(copper_id, name, number.replace(",", ""), **values)
        company.account_order_id = number
        company.assignee = users[copper_id % 2]
        company.email_domain = name.split()[0].lower() + "-provisions-and-supply.example.com"
        company.address = {"street": "1200 Industrial Parkway, Building 7, Suite 310", "city": "Saint-Jean-sur-Richelieu", "state": "QC", "postal_code": "J3B 7B5", "country": "CA"}  # fmt: skip
        company.tags = ["wholesale", "priority-account", "net-30", "trade-show-2025-lead"]
        company.account_type = "Wholesale"
        company.region = "Pacific Northwest"
        company.fishbowl_sales_person = "mokonkwo"
        company.date_created = timezone.now() - dt.timedelta(days=900)
        company.date_modified = company.pulled_at = timezone.now() - dt.timedelta(hours=3)
        company.save()
    for copper_id, name, number, account_type in UNLINKED:
        CopperCompany.objects.create(
            copper_id=copper_id, name=name, account_order_id=number, account_number=number,
            is_active_customer=True, account_type=account_type, region="Upper Midwest",
            fishbowl_sales_person="draghunathan", assignee=users[1],
        )  # fmt: skip
    # Two active companies claim one number (a conflict); one other number has its owner chosen already.
    CopperCompany.objects.create(
        copper_id=208, name="Northwind Natural Foods Co-op (duplicate entered at the 2025 trade show)",
        account_order_id="10042", account_number="10042", is_active_customer=True,
    )  # fmt: skip
    CopperCompany.objects.create(
        copper_id=209, name="Cedar Creek Market — second location (Maple Avenue)",
        account_order_id="10045", account_number="10045", is_active_customer=True,
    )  # fmt: skip
    CopperWebhookNotification.objects.create(
        subscription_id=55501, event="update", type="company", ids=[201, 202, 203, 204, 205, 206, 207],
        timestamp=timezone.now() - dt.timedelta(minutes=20), processed_at=timezone.now() - dt.timedelta(minutes=19),
        outcome=CopperWebhookNotification.Outcome.APPLIED,
        message="Pulled 7 companies changed in Copper; 2 of them are not linked to a Fishbowl customer yet.",
        detail={"pulled": 7, "unlinked": 2}, updated_attributes={"custom_fields": [9010, 9011]},
        dedupe_key="company-update-55501-1785456000",
    )  # fmt: skip


def _fishbowl_side(user) -> None:
    day = dt.date(2026, 6, 1)
    for i, (_cid, _name, number, _values) in enumerate(COMPANIES):
        account = number.replace(",", "")
        person = "mokonkwo" if i % 2 == 0 else "draghunathan"
        for n in range(1 + i % 3):
            lines = [
                (PRODUCTS[n % 2][0], SALE, 6 + n, f"{1234.56 * (i + 1) + 100 * n:.2f}"),
                ("FREIGHT-LTL", SHIPPING, 1, "185.00"),
            ]
            if n == 0:
                lines.append(("SAMPLE-KIT", SALE, 1, "0.00"))
            _order(f"SO-2026-{i:02d}{n:02d}", account, day + dt.timedelta(days=3 * i + n), lines, person)
    # Last year's orders make the June customers "established" for commissions.
    _order("SO-2025-0001", "10042", dt.date(2025, 5, 12), [(PRODUCTS[0][0], SALE, 24, "2880.00")], "mokonkwo")
    FishbowlCustomer.objects.create(
        account_number="20001", name="Walk-in Retail Counter (house account, Fishbowl only)",
        sales_rep="House", billing_address="PO Box 4410\nSaint Paul, MN 55104", fishbowl_id=90001,
    )  # fmt: skip
    # A person set this customer's rep and region by hand: the sync keeps them (and reports the difference).
    edited = FishbowlCustomer.objects.get(account_number="10043")
    edited.sales_rep, edited.region, edited.locked_fields = "draghunathan", "Québec", ["sales_rep", "region"]
    edited.save()
    account_number_owner_choose(
        account_number="10045",
        company=CopperCompany.objects.get(pk=204),
        user=user,
        note="Maple Avenue is a delivery address of the same account; orders belong to the main store.",
    )


def _commissions(user) -> None:
    SalesRep.objects.create(
        fishbowl_username="mokonkwo", name="Margaret Okonkwo-Lindqvist", title=Title.SENIOR_ACCOUNT_EXECUTIVE,
        copper_user=CopperUser.objects.get(pk=7001),
    )  # fmt: skip
    SalesRep.objects.create(
        fishbowl_username="draghunathan", name="Dev Raghunathan", title=Title.INSIDE_SALES
    )
    for title in (Title.SENIOR_ACCOUNT_EXECUTIVE, Title.INSIDE_SALES):
        for status, rate in ((CustomerStatus.NEW, "0.0800"), (CustomerStatus.TWELVE_MONTH, "0.0450")):
            # The migrations seed the rate table; the world sets the two reps' wholesale rates.
            CommissionRate.objects.update_or_create(
                title=title,
                segment=Segment.WHOLESALE,
                customer_status=status,
                defaults={"rate": Decimal(rate)},
            )
    Spiff.objects.create(
        product_number="PEP-ESS-OIL-30ML-CASE12", value=Decimal("2.50"), start_date=dt.date(2026, 6, 1),
        end_date=dt.date(2026, 6, 30), description="June launch: peppermint 30 ml, $2.50 a case on top of the rate",
    )  # fmt: skip
    CustomerStatusPin.objects.create(
        customer=FishbowlCustomer.objects.get(account_number="10043"), status=CustomerStatus.REVIVED,
        reason="Came back after 14 months with the new buyer (Marie-Ève Tremblay); agreed with sales ops on 2026-05-28.",
        pinned_by=user,
    )  # fmt: skip
    CommissionOverride.objects.create(
        order=SalesOrder.objects.get(number="SO-2026-0100"), rate=Decimal("0.1000"),
        reason="Split with the trade-show team: 10 % agreed by the sales manager for this opening order only.",
        created_by=user,
    )  # fmt: skip


def _runs(user, second_user, queue: InlineQueue, copper: FakeCopper) -> dict[str, SyncRun]:
    """Every kind's run, through the real starts and runners; the last one is left running."""
    runs: dict[str, SyncRun] = {}
    runs["sync_dry"] = sync_run_start(kind=SyncRun.Kind.CUSTOMER_SYNC, user=user, options={"apply": False})
    queue.drain()
    runs["sync_apply"] = sync_run_start(
        kind=SyncRun.Kind.CUSTOMER_SYNC, user=user, options={"apply": True}, parent=runs["sync_dry"]
    )
    queue.drain()  # and the integrity report that follows it

    change_set_build_start(user=user)
    queue.drain()
    applied = ChangeSet.objects.latest("pk")
    change_set_approve(change_set=applied, user=second_user)
    change_set_apply_start(change_set=applied, user=second_user)
    queue.drain()

    sync_run_start(kind=SyncRun.Kind.COMMISSIONS, user=user, options={"month": COMMISSION_MONTH})
    queue.drain()

    # Since the apply: someone edits Copper, a new order arrives; the next dry run is left for approval.
    copper.edit(201, "Total Orders", 52.0)
    _order(
        "SO-2026-0999", "10043", dt.date(2026, 6, 29), [(PRODUCTS[1][0], SALE, 60, "9540.00")], "draghunathan"
    )
    change_set_build_start(user=user)
    queue.drain()

    pull = SyncRun.objects.create(
        kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.FAILED, options={"full": True}, started_by=user,
        step="Companies", total=1662, processed=1400, updated=1390, unchanged=8, errors=2,
        started_at=timezone.now() - dt.timedelta(hours=2), finished_at=timezone.now() - dt.timedelta(hours=2, minutes=-4),
        message="Copper answered 429 Too Many Requests for 11 minutes in a row; the pull stopped at company 1,400 of 1,662 and keeps what it wrote.",
        counts={"companies": 1400, "copper_reads": 14, "definitions": 11},
    )  # fmt: skip
    SyncRunLog.objects.bulk_create(
        SyncRunLog(
            run=pull, level=SyncRunLog.Level.WARNING, code="copper_rate_limited",
            record=f"company #{4_100_000 + n} “Saint-Jean-sur-Richelieu Épicerie Fine & Fromagerie Artisanale Inc.”",
            message="Copper answered 429 Too Many Requests; retried after 60 s " + "(Retry-After honoured) " * 4,
            detail={"status": 429, "retry_after": 60, "url": "https://api.copper.com/developer_api/v1/companies/search?page_size=200&sort_by=date_modified&minimum_modified_date=1785456000"},
        )
        for n in range(3)
    )  # fmt: skip
    runs["running"] = SyncRun.objects.create(
        kind=SyncRun.Kind.FISHBOWL_IMPORT, status=SyncRun.Status.RUNNING, started_by=user,
        options={"customers": "customers-2026-06-30-full-export-from-fishbowl-server.csv", "orders": "sales-orders-2026-06-30-full-export.csv"},
        step="Sales order lines", total=48_213, processed=17_950, created=1204, updated=16_511,
        started_at=timezone.now() - dt.timedelta(minutes=3), heartbeat_at=timezone.now(),
        step_started_at=timezone.now() - dt.timedelta(minutes=1),
    )  # fmt: skip
    return runs


def _worker_side() -> None:
    from django_q.models import OrmQ, Schedule, Task
    from django_q.signing import SignedPackage

    now = timezone.now()
    if not Schedule.objects.exists():
        Schedule.objects.create(
            name="copper-pull-every-15-minutes", func="copper.tasks.copper_pull_scheduled",
            schedule_type=Schedule.MINUTES, minutes=15, next_run=now + dt.timedelta(minutes=15),
        )  # fmt: skip
    for n, success in ((1, True), (2, False)):
        Task.objects.create(
            id=f"{n:032d}", name=f"sync-run-{n}-customer-sync-apply", func="syncs.services.runs.sync_run_execute",
            kwargs={"run_id": n}, started=now - dt.timedelta(minutes=9), stopped=now - dt.timedelta(minutes=8),
            success=success, result=None if success else "Traceback (most recent call last):\n  ...\nTimeoutError: Copper did not answer within 30 s",
        )  # fmt: skip
    OrmQ.objects.create(
        key="copperhub",
        payload=SignedPackage.dumps({"id": "f" * 32, "name": "integrity-alerts-1", "func": "integrity.tasks.integrity_alerts_deliver", "args": (), "kwargs": {}}),
    )  # fmt: skip


def _api_side(user) -> None:
    account = service_account_create(
        username="looker-nightly-sales-dashboard", purpose="Looker's nightly import of commissions and metrics for the sales-ops dashboard", created_by=user
    )  # fmt: skip
    api_token_create(
        name="Looker nightly import (read only, rotated quarterly)", created_by=user, service_account=account
    )
    api_token_create(name="Alice's laptop — ad-hoc exports", created_by=user, read_only=False)
    group = Group.objects.create(name="Sales operations (approve and apply metrics pushes)")
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=["metrics", "customers"]))


def admin_world_create(*, user, second_user, monkeypatch) -> AdminWorld:
    """Build the world (about two seconds); ``user`` builds and starts, ``second_user`` approves and applies.

    Leaves two patches for the rest of the test: runs started later (from a browser, say) are only recorded in
    ``world.queue`` until ``world.queue.drain()`` (or patch ``syncs.queue.async_task`` again, with a
    ``tests.syncs.helpers.BackgroundWorker``), and the metrics runs talk to ``world.copper``.
    """
    queue = InlineQueue()
    monkeypatch.setattr("syncs.queue.async_task", queue.async_task)
    _copper_side()
    mappings_create()
    _fishbowl_side(user)
    _commissions(user)
    copper = FakeCopper(list(CopperCompany.objects.filter(pk__in=[c[0] for c in COMPANIES])))
    monkeypatch.setattr("metrics.services.changesets._client", lambda: copper)
    runs = _runs(user, second_user, queue, copper)
    _worker_side()
    _api_side(user)

    report = IntegrityReport.objects.latest("pk")
    checks = CheckResultRecord.objects.filter(report=report).order_by("-finding_rows", "check_name")
    sets = ChangeSet.objects.order_by("pk")
    applied, built = sets.filter(status=ChangeSet.Status.APPLIED).first(), sets.last()
    finished = SyncRun.objects.exclude(pk=runs["running"].pk).order_by("pk")
    return AdminWorld(
        built_set=built,
        applied_set=applied,
        running_run=runs["running"],
        customer_sync_dry_run=runs["sync_dry"],
        customer_sync_apply_run=runs["sync_apply"],
        report=report,
        copper=copper,
        queue=queue,
        url_args={
            # The running run and every finished one: each kind's summary and next steps differ.
            "syncs_syncrun_progress": [{"run_id": run.pk} for run in [runs["running"], *finished]],
            "syncs_syncrun_progress_json": [{"run_id": runs["running"].pk}],
            "syncs_syncrun_cancel": [{"run_id": runs["running"].pk}],
            "customers_customer_sync_preview": [
                {"run_id": runs["sync_dry"].pk},
                {"run_id": runs["sync_apply"].pk},
            ],
            # The confirmation of the dry run's apply (the world's dry run has something to create).
            "customers_customer_sync_confirm": [{"run_id": runs["sync_dry"].pk}],
            "integrity_rollback": [{"run_id": runs["sync_apply"].pk}],
            # The two checks with the most findings, and one without any.
            "integrity_check_detail": [{"name": c.check_name} for c in [*checks[:2], checks.last()]],
            "metrics_changeset_review": [{"pk": built.pk}, {"pk": applied.pk}],
        },
        extra_urls=[
            f"{reverse('admin:integrity_audit')}?run={runs['sync_apply'].pk}",
            f"{reverse('admin:metrics_changeset_review', args=[applied.pk])}?flagged=1",
            f"{reverse('admin:commissions_commissionline_report')}?month={COMMISSION_MONTH}",
        ],
    )
