"""How the customer sync reports: run-log entries naming both sides, and the preview rows.

A mixin for ``CustomerSync``: every method records one finding through ``self.progress`` (the run's log) and
keeps the first ``preview_limit`` of each kind on ``self.result`` for callers without a run.
"""

from typing import Any

from customers.models import FishbowlCustomer
from syncs.models import SyncRunLog

Level = SyncRunLog.Level


class SyncReports:
    """Findings of a customer sync, as run-log entries and preview rows."""

    # --- conflicts and warnings ----------------------------------------------------------------------------
    def _report_duplicate(
        self, number: str, companies: list[dict[str, Any]], stale_owner: int | None
    ) -> None:
        sides = "; ".join(f"#{c['copper_id']} {c['name']}" for c in companies)
        stale = f" The owner chosen earlier (#{stale_owner}) no longer claims it." if stale_owner else ""
        self._flag(
            Level.CONFLICT,
            "duplicate_account_number",
            f"account number {number}",
            f"Account number {number} is on {len(companies)} active companies: {sides}. Nothing was "
            f"synced for it; choose the owning company under Account number conflicts.{stale}",
            {
                "account_number": number,
                "companies": [company_side(c) for c in companies],
                "stale_owner": stale_owner,
            },
        )

    def _report_invalid(self, company: dict[str, Any]) -> None:
        self._flag(
            Level.CONFLICT,
            "invalid_account_number",
            f"company {company['copper_id']}",
            f"#{company['copper_id']} {company['name']} has Account Order ID {company['account_number']!r}, which "
            "Fishbowl would not issue; nothing was synced for it. Correct the id in Copper.",
            {"company": company_side(company)},
        )

    def _report_unknown_type(self, company: dict[str, Any]) -> None:
        self.progress.add(unknown_account_type=1)
        self._flag(
            Level.WARNING,
            "unknown_account_type",
            f"company {company['copper_id']}",
            f"#{company['copper_id']} {company['name']} has Account Type {company['account_type']!r}, "
            "which is not Distributor, Wholesale or Retail: the customer's account type stays unknown "
            "(or as it was). Set it in Copper.",
            {"company": company_side(company), "account_type": company["account_type"]},
        )

    def _report_locked(
        self, customer: FishbowlCustomer, company: dict[str, Any], name: str, before, after
    ) -> None:
        self.progress.add(locked_differences=1)
        self._flag(
            Level.WARNING,
            "locked_field_differs",
            f"customer {customer.account_number}",
            f"Customer {customer.account_number} {customer.name}: {name} was edited by hand "
            f"({before!r}); Copper #{company['copper_id']} {company['name']} says {after!r}. Left as edited.",
            {
                "customer": customer_side(customer),
                "company": company_side(company),
                "field": name,
                "customer_value": before,
                "copper_value": after,
            },
        )

    def _report_probable(self, company: dict[str, Any], customer: dict[str, Any]) -> None:
        self.progress.add(probable_matches=1)
        self._flag(
            Level.WARNING,
            "probable_match_by_name",
            f"company {company['copper_id']}",
            f"#{company['copper_id']} {company['name']} (account number {company['account_number']}) has "
            f"the same name as unlinked customer {customer['account_number']} {customer['name']}; not "
            "merged. If they are one business, correct the Account Order ID in Copper.",
            {"company": company_side(company), "customer": customer},
        )

    def _report_link(self, customer: FishbowlCustomer, company: dict[str, Any], code: str) -> None:
        why = (
            "is no longer an active customer"
            if code == "linked_company_inactive"
            else "no longer has an Account Order ID"
        )
        self._flag(
            Level.CONFLICT,
            code,
            f"customer {customer.account_number}",
            f"Customer {customer.account_number} {customer.name} is linked to Copper company "
            f"#{company['copper_id']} {company['name']}, which {why}. The link was left as it is.",
            {"customer": customer_side(customer), "company": company_side(company)},
        )

    def _report_moved_link(self, customer, company, old: int, new: int | None) -> None:
        if new is None:
            message = (
                f"Customer {customer.account_number} {customer.name} was linked to Copper company "
                f"#{old} {company['name']}, whose Account Order ID is now {company['account_number']!r}; the "
                "link moved to the customer with that number."
            )
        else:
            message = (
                f"Customer {customer.account_number} {customer.name} was linked to Copper company #{old}; "
                f"#{new} {company['name']} now has account number {customer.account_number}, so the link "
                "moved to it."
            )
        self._flag(
            Level.CONFLICT,
            "linked_company_id_changed",
            f"customer {customer.account_number}",
            message,
            {
                "customer": customer_side(customer),
                "old_company_id": old,
                "new_company_id": new,
                "company": company_side(company),
            },
        )

    def _report_page_failed(self, companies: list[dict[str, Any]], writes: int, exc: Exception) -> None:
        first, last = companies[0]["copper_id"], companies[-1]["copper_id"]
        self.result.errors += writes
        self.progress.add(errors=writes)
        self._flag(
            Level.ERROR,
            "page_failed",
            f"companies #{first}–#{last}",
            f"Nothing was written for Copper companies #{first}–#{last} ({writes} creates and updates): {exc}. "
            "The page was rolled back whole; the next run retries it.",
            {"first_company_id": first, "last_company_id": last, "writes": writes, "error": str(exc)},
        )

    def _flag(self, level: str, code: str, record: str, message: str, detail: dict[str, Any]) -> None:
        if level == Level.CONFLICT:
            self.result.conflicts += 1
            self.progress.add(conflicts=1)
        if len(self.result.flags) < self.preview_limit:
            self.result.flags.append({"level": level, "code": code, "record": record, "message": message})
        self.progress.log(level=level, code=code, record=record, message=message, detail=detail)

    def _preview(self, kind: str, row: dict[str, Any]) -> None:
        rows = self.result.creates if kind == "create" else self.result.updates
        if len(rows) >= self.preview_limit:
            return
        rows.append(row)
        code = {"create": "created", "update": "updated"}[kind] if self.apply else f"would_{kind}"
        message = preview_message(kind, row, self.apply)
        self.progress.log(
            level=Level.INFO,
            code=code,
            record=f"account number {row['account_number']}",
            message=message,
            detail=row,
        )


def preview_message(kind: str, row: dict[str, Any], applied: bool) -> str:
    if kind == "create":
        verb = "Created" if applied else "Would create"
        return f"{verb} customer {row['account_number']} {row['values']['name']} for Copper company #{row['company']['id']}."
    verb = "Updated" if applied else "Would update"
    fields = ", ".join(f"{name}: {c['before']!r} → {c['after']!r}" for name, c in row["changes"].items())
    return f"{verb} customer {row['account_number']}: {fields}."


def company_side(company: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": company["copper_id"],
        "name": company["name"],
        "account_number": company.get("account_number", ""),
    }


def customer_side(customer: FishbowlCustomer) -> dict[str, Any]:
    return {"id": customer.pk, "account_number": customer.account_number, "name": customer.name}
