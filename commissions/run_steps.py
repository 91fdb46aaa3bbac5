"""The commission calculation on its progress page: its month in words, its counts labelled, the report."""

from django.urls import reverse

from commissions.models import LineReason
from commissions.months import month_format, month_parse
from commissions.selectors import commission_month_default
from syncs.models import SyncRun
from syncs.registry import NextStep, Phrase

COUNT_LABELS = {
    "created": "Commission lines written",
    "reason_paid": "Lines paid",
    **{f"reason_{r.value}": f"Not paid: {r.label.lower()}" for r in LineReason if r.value},
    "duplicates": "Orders re-exported under a new number (counted once)",
}


def _month_words(value: str) -> str:
    try:
        return month_parse(value).strftime("%B %Y")
    except ValueError:
        return value


def commissions_options_text(run: SyncRun) -> list[Phrase]:
    options = run.options or {}
    phrases = [Phrase(f"Month: {_month_words(options.get('month', ''))}")]
    if options.get("sales_person"):
        phrases.append(Phrase(f"Only the orders of sales person {options['sales_person']}"))
    return phrases


def commissions_next_steps(run: SyncRun) -> list[NextStep]:
    month = (run.options or {}).get("month", "")
    if run.status != SyncRun.Status.SUCCEEDED or not month:
        return []
    url = f"{reverse('admin:commissions_commissionline_report')}?month={month}"
    return [NextStep(f"Open the report for {_month_words(month)}", url, primary=True)]


def commissions_month_default() -> str:
    return month_format(commission_month_default())
