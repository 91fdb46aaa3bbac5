"""The per-field summary of a change set (what the review and confirmation pages show on top)."""

from decimal import Decimal

import pytest

from metrics.models import Change
from metrics.selectors import change_set_field_summary
from metrics.services.changesets import change_set_build
from tests.metrics.metrics_world import AS_OF, FakeCopper, mappings_create, world_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def change_set(staff_user):
    companies = world_create()
    mappings_create()
    return change_set_build(client=FakeCopper(list(companies.values())), user=staff_user, as_of=AS_OF)


def test_the_summary_has_one_row_per_field_that_agrees_with_the_changes(change_set):
    summary = {row.field_name: row for row in change_set_field_summary(change_set=change_set)}
    changes = list(Change.objects.filter(change_set=change_set))
    assert set(summary) == {c.field_name for c in changes}
    for name, row in summary.items():
        rows = [c for c in changes if c.field_name == name]
        assert row.changes == len(rows)
        assert row.flagged == sum(c.flagged for c in rows)
        for flag in Change.FLAGS:
            assert row.flag_counts.get(flag, 0) == sum(flag in c.flags for c in rows)
        assert row.outcome_counts == {"pending": len(rows)}
        assert (row.sample_company, row.sample_before, row.sample_after) in {
            (c.company_name, c.old_display, c.new_display) for c in rows
        }


def test_the_summary_sums_money_before_and_after_and_not_dates(change_set):
    summary = {row.field_name: row for row in change_set_field_summary(change_set=change_set)}
    spent = list(Change.objects.filter(change_set=change_set, field_name="Total Spent"))
    assert summary["Total Spent"].old_total == Decimal(str(sum(c.old_value or 0 for c in spent))).quantize(
        Decimal("0.01")
    )
    assert summary["Total Spent"].new_total == Decimal(str(sum(c.new_value or 0 for c in spent))).quantize(
        Decimal("0.01")
    )
    assert (
        summary["Total Spent"].difference
        == summary["Total Spent"].new_total - summary["Total Spent"].old_total
    )
    assert summary["Last Order Date"].old_total is None and not summary["Last Order Date"].is_number


def test_the_summary_is_one_query(change_set, django_assert_num_queries):
    with django_assert_num_queries(1):
        change_set_field_summary(change_set=change_set)
