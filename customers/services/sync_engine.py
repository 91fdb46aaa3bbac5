"""The customer sync's engine: pages of Copper companies matched, compared and written (see ``sync``)."""

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from copper.models import CopperCompany, CopperUser
from copper.normalize import account_number_is_valid, account_number_normalise
from customers.models import AccountNumberOwner, FishbowlCustomer
from customers.normalize import account_type_normalise, address_key, address_text
from customers.selectors import (
    account_numbers_shared,
    copper_companies_active_with_number,
    copper_company_is_active,
)
from customers.services.sync_reports import SyncReports, company_side
from customers.services.sync_result import CustomerSyncResult
from syncs.bulk import bulk_insert_with_history, bulk_update_with_history

UNKNOWN = FishbowlCustomer.AccountType.UNKNOWN

# Fields the sync keeps right; all but the link may be locked by a person's edit.
DATA_FIELDS = ("name", "account_type", "sales_rep", "region", "billing_address", "shipping_address")
LOCKABLE_FIELDS = DATA_FIELDS
ADDRESS_FIELDS = ("billing_address", "shipping_address")
COMPANY_COLUMNS = (
    "copper_id",
    "name",
    "account_number",
    "is_active_customer",
    "missing_from_copper_since",
    "account_type",
    "region",
    "fishbowl_sales_person",
    "assignee_id",
    "address",
)


class CustomerSync(SyncReports):
    """One run of the customer sync; ``execute()`` fills ``result``."""

    def __init__(self, *, apply, run, progress, user, preview_limit, batch_size) -> None:
        self.apply = apply
        self.progress = progress
        self.user = user if user is not None and getattr(user, "is_authenticated", False) else None
        self.preview_limit = preview_limit
        self.batch_size = batch_size
        self.reason = f"customer sync run #{run.pk}" if run is not None else "customer sync"
        self.result = CustomerSyncResult(apply=apply, run_id=run.pk if run is not None else None)
        self.users: dict[int, str] = {}
        self.claimants: dict[str, list[dict[str, Any]]] = {}  # duplicated number → its active companies
        self.owner: dict[str, int | None] = {}  # duplicated number → owning company id (None: unresolved)

    # --- the run -----------------------------------------------------------------------------------------
    def execute(self) -> None:
        mode = "Syncing customers" if self.apply else "Dry run: comparing customers"
        self.progress.step("Reading duplicate account numbers and owners")
        self.users = dict(CopperUser.objects.values_list("copper_id", "name"))
        self._read_duplicates()
        self.progress.step(mode, total=CopperCompany.objects.count())
        pages = CopperCompany.objects.order_by("pk").values(*COMPANY_COLUMNS)
        last_pk = None
        while True:
            self.progress.check_cancelled()
            page = pages if last_pk is None else pages.filter(pk__gt=last_pk)
            companies = list(page[: self.batch_size])
            if not companies:
                break
            last_pk = companies[-1]["copper_id"]
            self._page(companies)
        self.progress.set_message(self.result.summary)
        self.progress.flush()

    def _read_duplicates(self) -> None:
        active = copper_companies_active_with_number()
        numbers = list(account_numbers_shared())
        if not numbers:
            return
        for row in (
            active.filter(account_number__in=numbers)
            .order_by("pk")
            .values("copper_id", "name", "account_number")
        ):
            self.claimants.setdefault(row["account_number"], []).append(row)
        chosen = dict(
            AccountNumberOwner.objects.filter(account_number__in=numbers).values_list(
                "account_number", "company_id"
            )
        )
        for number, companies in self.claimants.items():
            ids = [c["copper_id"] for c in companies]
            owner = chosen.get(number)
            self.owner[number] = owner if owner in ids else None
            if self.owner[number] is None:
                self._report_duplicate(number, companies, owner)

    # --- one page of companies ---------------------------------------------------------------------------
    def _page(self, companies: list[dict[str, Any]]) -> None:
        wanted, counts = [], {"examined": len(companies), "skipped": 0, "held": 0, "not_owner": 0}
        inactive, no_id = {}, {}
        for company in companies:
            number = company["account_number"]
            if not copper_company_is_active(
                is_active_customer=company["is_active_customer"],
                missing_from_copper_since=company["missing_from_copper_since"],
            ):
                inactive[company["copper_id"]] = company
            elif not number:
                no_id[company["copper_id"]] = company
            elif number in self.claimants:
                owner = self.owner[number]
                if owner is None:
                    counts["held"] += 1  # reported once per number in _read_duplicates
                elif owner == company["copper_id"]:
                    wanted.append(company)
                else:
                    counts["not_owner"] += 1
                    counts["skipped"] += 1
            elif not account_number_is_valid(number):
                counts["held"] += 1
                self._report_invalid(company)
            else:
                wanted.append(company)
        counts["skipped"] += len(inactive) + len(no_id)

        # The page is a contiguous pk range, so one statement of fixed shape reads its customers (SQLite then
        # prepares it once, instead of caching one large IN-list statement per page).
        span = (companies[0]["copper_id"], companies[-1]["copper_id"])
        page_numbers = CopperCompany.objects.filter(pk__range=span).exclude(account_number="")
        customers = list(
            FishbowlCustomer.objects.filter(
                Q(account_number__in=page_numbers.values("account_number"))
                | Q(copper_company_id__gte=span[0], copper_company_id__lte=span[1])
            )
        )
        by_number = {c.account_number: c for c in customers}
        by_link = {c.copper_company_id: c for c in customers if c.copper_company_id is not None}
        for company_id, company in inactive.items():
            if company_id in by_link:
                self._report_link(by_link[company_id], company, "linked_company_inactive")
        for company_id, company in no_id.items():
            if company_id in by_link:
                self._report_link(by_link[company_id], company, "linked_company_id_changed")

        plan = self._match(wanted, by_number, by_link)
        plan.span = span
        counts["unchanged"] = plan.unchanged
        self._write(plan, companies)
        self._probable_matches(plan)
        self.result.examined += counts["examined"]
        self.result.skipped += counts["skipped"]
        self.result.unchanged += plan.unchanged
        self.progress.add(
            processed=len(companies),
            examined=counts["examined"],
            skipped=counts["skipped"],
            unchanged=plan.unchanged,
            held_by_conflict=counts["held"],
            not_owner=counts["not_owner"],
        )

    def _match(self, wanted, by_number, by_link) -> "_Plan":
        plan = _Plan()
        linked_to: dict[int, int | None] = {}  # customer pk → company id it ends up linked to
        displaced: dict[int, tuple[FishbowlCustomer, dict[str, Any]]] = {}
        matched = []
        for company in wanted:
            number, company_id = company["account_number"], company["copper_id"]
            values, fill_only = self._values(company)
            customer = by_number.get(number)
            linked = by_link.get(company_id)
            by_link_only = linked is not None and account_number_normalise(linked.account_number) == number
            if customer is None and by_link_only:
                customer = linked  # matched by the existing link
            if linked is not None and linked is not customer:
                linked_to.setdefault(linked.pk, None)
                displaced[linked.pk] = (linked, company)
            if customer is None:
                plan.creates.append((company, values))
                plan.claimed.add(company_id)
            else:
                linked_to[customer.pk] = company_id
                plan.claimed.add(company_id)
                matched.append((customer, company, values, fill_only))
        for customer, company, values, fill_only in matched:
            values["copper_company_id"] = company["copper_id"]
            if not self._diff(plan, customer, company, values, fill_only):
                plan.unchanged += 1
        for pk, (customer, company) in displaced.items():
            if linked_to[pk] is None:
                self._diff(plan, customer, company, {"copper_company_id": None})
        plan.taken = {match[0].pk for match in matched}
        return plan

    def _values(self, company: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """What Copper says each customer field should be, and which of them only fill a blank field.

        ``None`` means "no information, keep it". The Fishbowl Assigned Sales Person is a Fishbowl username and
        wins; the assignee's display name only fills an empty rep (it is not a Fishbowl username). Copper has one
        address: it keeps the billing address right and fills an empty shipping address.
        """
        account_type = account_type_normalise(company["account_type"])
        if account_type == UNKNOWN:
            self._report_unknown_type(company)
        address = address_text(company["address"])
        fishbowl_rep = (company["fishbowl_sales_person"] or "").strip()
        fill_only = {"shipping_address"} | (set() if fishbowl_rep else {"sales_rep"})
        sales_rep = fishbowl_rep or self.users.get(company["assignee_id"], "").strip()
        values = {
            "name": company["name"].strip() or None,
            "account_type": account_type,
            "sales_rep": sales_rep or None,
            "region": (company["region"] or "").strip() or None,
            "billing_address": address or None,
            "shipping_address": address or None,
        }
        return values, fill_only

    def _diff(self, plan, customer, company, values, fill_only=()) -> bool:
        """Queue the changed, unlocked fields of ``customer`` as an update; report locked differences."""
        changes = {}
        locked = set(customer.locked_fields or [])
        for name, after in values.items():
            before = getattr(customer, name)
            if after == before or (after is None and name != "copper_company_id"):
                continue
            if name in fill_only and before:
                continue
            if name in ADDRESS_FIELDS and address_key(before) == address_key(after):
                continue  # the same address, written differently ("1 Main St, Springfield" / two lines)
            if name == "account_type" and after == UNKNOWN:
                continue  # an unknown Copper label never downgrades a known type
            if name in locked:
                self._report_locked(customer, company, name, before, after)
                continue
            changes[name] = {"before": before, "after": after}
        link = changes.get("copper_company_id")
        if link and link["before"] is not None and self.owner.get(company["account_number"]) is None:
            self._report_moved_link(customer, company, link["before"], link["after"])
        if changes:
            plan.updates.append((customer, changes))
        return bool(changes)

    # --- writing -----------------------------------------------------------------------------------------
    def _write(self, plan: "_Plan", companies: list[dict[str, Any]]) -> None:
        """Save the page (when applying), then count it and keep its first rows as the preview.

        A page whose transaction fails on a constraint (someone wrote the same customer meanwhile) is rolled
        back whole, counted as errors and logged; the run goes on and the next run retries those companies.
        """
        new = [
            FishbowlCustomer(
                account_number=company["account_number"],
                copper_company_id=company["copper_id"],
                source=FishbowlCustomer.Source.COPPER_SYNC,
                **{name: value or "" for name, value in values.items()},
            )
            for company, values in plan.creates
        ]
        if self.apply and (new or plan.updates):
            try:
                self._save(plan, new)
            except IntegrityError as exc:
                self._report_page_failed(companies, len(new) + len(plan.updates), exc)
                return
        for customer, (company, _) in zip(new, plan.creates, strict=True):
            values = {name: getattr(customer, name) for name in DATA_FIELDS}
            row = {
                "account_number": customer.account_number,
                "company": company_side(company),
                "values": values,
            }
            self._preview("create", row)
        for customer, changes in plan.updates:
            row = {"account_number": customer.account_number, "customer_id": customer.pk, "changes": changes}
            self._preview("update", row)
        self.result.created += len(new)
        self.result.updated += len(plan.updates)
        self.progress.add(created=len(new), updated=len(plan.updates))

    def _save(self, plan: "_Plan", new: list[FishbowlCustomer]) -> None:
        """Write one page in one transaction, so a page is either fully written or not at all.

        Rows and their history go through ``syncs.bulk`` (one prepared statement per kind of write); the
        history rows are those ``bulk_update_with_history``/``bulk_create_with_history`` would write.
        """
        now = timezone.now()
        history = {"change_reason": self.reason, "history_user": self.user, "history_date": now}
        # The link is one-to-one: first free every company this page links anew, then link.
        vacate = [
            customer
            for customer, changes in plan.updates
            if "copper_company_id" in changes and customer.copper_company_id in plan.claimed
        ]
        vacating = {customer.pk for customer in vacate}
        # A customer whose only change is losing its link is finished by the first write.
        done = {
            customer.pk
            for customer, changes in plan.updates
            if customer.pk in vacating
            and list(changes) == ["copper_company_id"]
            and changes["copper_company_id"]["after"] is None
        }
        rest = [(customer, changes) for customer, changes in plan.updates if customer.pk not in done]
        with transaction.atomic():
            if vacate:
                for customer in vacate:
                    customer.copper_company_id = None
                    customer.updated_at = now
                bulk_update_with_history(
                    model=FishbowlCustomer, rows=vacate, fields=["copper_company", "updated_at"], **history
                )
            if rest:
                fields = set()
                for customer, changes in rest:
                    for name, change in changes.items():
                        setattr(customer, name, change["after"])
                        fields.add("copper_company" if name == "copper_company_id" else name)
                    customer.updated_at = now
                objs = [customer for customer, _ in rest]
                bulk_update_with_history(
                    model=FishbowlCustomer, rows=objs, fields=[*sorted(fields), "updated_at"], **history
                )
            if new:
                for customer in new:
                    customer.created_at = customer.updated_at = now
                linked = FishbowlCustomer.objects.filter(
                    copper_company_id__gte=plan.span[0], copper_company_id__lte=plan.span[1]
                )
                bulk_insert_with_history(
                    model=FishbowlCustomer, rows=new, key=("account_number",), lookup=linked, **history
                )

    def _probable_matches(self, plan: "_Plan") -> None:
        """Report a customer to be created whose name is an unlinked customer's name (one query per page)."""
        names = {company["name"].strip(): company for company, _ in plan.creates if company["name"].strip()}
        if not names:
            return
        # Unlinked customers named like a company of the page: a statement of fixed shape (see ``_page``) that
        # the name index answers; the page's own matches and other names are dropped below.
        page_names = CopperCompany.objects.filter(pk__range=plan.span).values("name")
        candidates = FishbowlCustomer.objects.filter(name__in=page_names, copper_company__isnull=True).values(
            "pk", "account_number", "name"
        )
        for customer in candidates:
            company = names.get(customer["name"])
            if (
                company is None
                or customer["pk"] in plan.taken
                or customer["account_number"] == company["account_number"]
            ):
                continue
            self._report_probable(
                company,
                {
                    "id": customer["pk"],
                    "account_number": customer["account_number"],
                    "name": customer["name"],
                },
            )


@dataclass
class _Plan:
    creates: list = field(default_factory=list)  # (company, values)
    updates: list = field(default_factory=list)  # (customer, {field: {"before": …, "after": …}})
    claimed: set = field(default_factory=set)  # company ids this page links a customer to
    taken: set = field(default_factory=set)  # pks of customers matched to a company of this page
    span: tuple = ()  # (first, last) company pk of the page
    unchanged: int = 0
