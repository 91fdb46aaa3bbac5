"""Each integrity check on crafted data: exact counts, findings that point at the object and the fix."""

import pytest

from customers.models import FishbowlCustomer
from integrity import checks
from integrity.checks import companies, customer_fields, metrics, orders, staleness
from integrity.checks.base import Check
from integrity.models import State
from syncs.models import SyncRun
from tests.integrity.conftest import company, customer, order, succeeded_run

pytestmark = pytest.mark.django_db


def test_the_customer_gap_counts_both_sides_and_lists_the_missing_companies(settings):
    settings.INTEGRITY_THRESHOLDS = {"customer_gap": {"warning": 1, "critical": 2}}
    customer("100", linked_to=company("Has customer", "100"))
    customer("999")  # a customer with no company: not part of the gap
    missing_a = company("Alpha missing", "200")
    company("Beta not linked", "300")
    customer("300")  # exists, but the sync has not linked it yet
    company("Conflict one", "700")
    company("Conflict two", "700")
    company("Inactive, ignored", "400", active=False)
    company("No id, ignored", "")

    result = companies.check_customer_gap()

    assert result.numbers == {
        "active_companies_with_id": 5,
        "fishbowl_customers": 3,
        "matched": 1,
        "customer_with_that_number": 2,
        "unmatched": 2,
        "left_to_conflicts": 2,
        "number_owned_by_another_company": 0,
        "invalid_account_number": 0,
    }
    assert (result.count, result.state) == (2, State.CRITICAL)
    assert [(f["label"], f["message"]) for f in result.findings] == [
        ("Alpha missing (Account Order ID 200)", "No Fishbowl customer has account number 200."),
        (
            "Beta not linked (Account Order ID 300)",
            "Fishbowl customer 300 exists but is not linked to this company.",
        ),
    ]
    assert result.findings[0]["url"] == f"/admin/copper/coppercompany/{missing_a.pk}/change/"
    assert result.findings[0]["action"] == "Run the customer sync"


def test_finding_lists_are_capped_but_counts_stay_exact(settings):
    settings.INTEGRITY_FINDINGS_LIMIT = 3
    for n in range(5):
        company(f"Company {n}", str(500 + n))
    result = companies.check_customer_gap()
    assert result.count == 5
    assert len(result.findings) == 3


def test_a_gap_below_the_warning_threshold_is_ok(settings):
    settings.INTEGRITY_THRESHOLDS = {"customer_gap": {"warning": 2, "critical": 0}}
    company("Lonely", "1")
    assert companies.check_customer_gap().state == State.OK
    company("Lonelier", "2")
    assert companies.check_customer_gap().state == State.WARNING


def test_duplicate_account_order_ids_across_active_companies_are_reported_per_number():
    company("One", "700")
    company("Two", "700")
    company("Three", "700")
    company("Four", "800")
    company("Five", "800", active=False)  # inactive duplicates do not count
    result = companies.check_duplicate_account_ids()
    assert result.count == 1
    assert result.findings[0]["label"] == "Account Order ID 700"
    assert "3 active companies" in result.findings[0]["message"]
    assert result.findings[0]["url"].endswith("/admin/copper/coppercompany/?account_number=700")
    assert result.findings[0]["action"].startswith("Choose the company that owns it")
    assert result.findings[0]["action_url"].endswith("/admin/customers/fishbowlcustomer/conflicts/")


def test_customers_linked_to_inactive_or_deleted_companies_are_reported():
    customer("1", linked_to=company("Active", "1"))
    inactive = customer("2", linked_to=company("Lapsed", "2", active=False))
    gone = customer("3", linked_to=company("Gone", "3", missing=True))
    result = companies.check_customers_inactive_company()
    assert result.numbers == {"inactive_company": 1, "deleted_company": 1}
    assert result.count == 2
    by_url = {f["url"]: f["message"] for f in result.findings}
    assert "not an active customer" in by_url[f"/admin/customers/fishbowlcustomer/{inactive.pk}/change/"]
    assert "no longer returns" in by_url[f"/admin/customers/fishbowlcustomer/{gone.pk}/change/"]


def test_orders_with_an_unknown_or_unlinked_customer_fall_out_and_are_counted():
    linked = customer("1", linked_to=company("Linked", "1"))
    unlinked = customer("2")
    order("SO-1", customer=linked)
    order("SO-2", customer=unlinked)
    order("SO-3", customer=unlinked)
    order("SO-4", account_number="404")
    result = orders.check_orders_unattributed()
    assert result.numbers == {
        "unknown_customer": 1,
        "unlinked_customer": 2,
        "accounts_unknown": 1,
        "customers_unlinked": 1,
    }
    assert (result.rows, result.unit) == (2, "groups")  # two groups listed, three orders counted
    assert result.count == 3
    labels = [f["label"] for f in result.findings]
    assert labels == ["Account 404", "2 Customer 2"]
    assert "2 orders" in result.findings[1]["message"]
    assert result.findings[1]["url"].endswith(f"/admin/customers/salesorder/?customer={unlinked.pk}")


def test_unknown_account_types_and_types_that_differ_from_copper_are_reported():
    customer("1", account_type="wholesale", linked_to=company("Agrees", "1", account_type="Wholesale"))
    customer("2", account_type="retail", linked_to=company("Disagrees", "2", account_type="Distributors"))
    customer("3", account_type="unknown", linked_to=company("Unknown here", "3", account_type="Retail"))
    customer("4", account_type="retail", linked_to=company("Blank in Copper", "4", account_type=""))
    customer("5", account_type="unknown", active=False)  # inactive customers are not paid
    result = customer_fields.check_account_types()
    assert result.numbers == {"unknown": 1, "differs_from_copper": 1}
    messages = {f["label"]: f["message"] for f in result.findings}
    assert messages["2 Customer 2"] == "Account type 'retail' here, 'Distributors' in Copper."
    assert "wrong commission rate" in messages["3 Customer 3"]


def test_customers_with_no_rep_or_a_rep_who_is_not_a_copper_user_are_grouped_by_rep(rep):
    customer("1", rep="ann rep")  # case does not matter
    customer("2", rep="")
    customer("3", rep="Zed Nobody")
    customer("4", rep="Zed Nobody")
    result = customer_fields.check_sales_reps()
    assert result.numbers == {"no_rep": 1, "rep_not_copper_user": 2}
    assert result.count == 3
    assert [(f["label"], f["message"]) for f in result.findings] == [
        ("Rep 'Zed Nobody'", "2 customers have a rep who is not a Copper user."),
        ("No sales rep", "1 customers have no sales rep."),
    ]


def test_the_metrics_check_is_ok_and_says_why_when_no_push_is_configured():
    result = metrics.check_copper_metrics()
    assert result.state == State.OK
    assert result.count == 0
    assert "not configured" in result.note.lower() or "no metrics push" in result.note.lower()


def test_staleness_warns_past_the_limit_and_is_critical_when_never_run(settings):
    settings.INTEGRITY_STALE_HOURS = {"copper_pull": 10, "customer_sync": 10, "metrics_apply": 10}
    succeeded_run(SyncRun.Kind.COPPER_PULL, hours_ago=12)
    result = staleness.check_staleness()
    assert result.state == State.CRITICAL  # the customer sync never succeeded
    messages = {f["label"]: f["message"] for f in result.findings}
    assert messages["Customer sync"] == "Never succeeded."
    assert messages["Copper pull"].startswith("Last success 12.0 h ago")
    assert "Metrics apply" not in messages  # never used: the metrics push is not in service
    succeeded_run(SyncRun.Kind.CUSTOMER_SYNC, hours_ago=1)
    result = staleness.check_staleness()
    assert (result.state, result.count) == (State.WARNING, 1)
    succeeded_run(SyncRun.Kind.COPPER_PULL, hours_ago=0.5)
    assert staleness.check_staleness().state == State.OK


def test_a_failing_check_is_reported_critical_instead_of_stopping_the_others(monkeypatch):
    def boom():
        raise RuntimeError("database on fire")

    monkeypatch.setitem(checks.CHECKS, "customer_gap", Check("customer_gap", "Gap", "companies", boom))
    results = {r.check: r for r in checks.checks_run()}
    assert results["customer_gap"].state == State.CRITICAL
    assert "database on fire" in results["customer_gap"].note
    assert results["duplicate_account_ids"].state == State.OK


def test_all_checks_run_in_a_constant_number_of_queries(django_assert_max_num_queries, rep):
    for n in range(30):
        c = company(f"C{n}", str(n), account_type="Retail")
        cust = customer(str(n), linked_to=c if n % 2 else None, rep="Nobody" if n % 3 else "Ann Rep")
        order(f"SO-{n}", customer=cust)
    with django_assert_max_num_queries(30):
        checks.checks_run()
    assert FishbowlCustomer.objects.count() == 30


def test_copper_metric_fields_that_disagree_with_fishbowl_after_a_push_are_reported():
    from copper.models import CustomFieldDefinition
    from customers.models import SalesOrderLine
    from metrics.models import FieldMapping

    CustomFieldDefinition.objects.create(
        copper_id=9010, name="Total Orders", data_type="Float", available_on=["company"]
    )
    CustomFieldDefinition.objects.create(
        copper_id=9011, name="Total Spent", data_type="Currency", available_on=["company"]
    )
    FieldMapping.objects.create(metric=FieldMapping.Metric.TOTAL_ORDERS, copper_field="Total Orders")
    FieldMapping.objects.create(metric=FieldMapping.Metric.TOTAL_SPENT, copper_field="Total Spent")
    acme = company("Acme", "1")
    acme.custom_fields = [
        {"custom_field_definition_id": 9010, "value": 2},
        {"custom_field_definition_id": 9011, "value": 10.0},
    ]
    acme.save()
    buyer = customer("1", linked_to=acme)
    for n in (1, 2):
        so = order(f"SO-{n}", customer=buyer)
        SalesOrderLine.objects.create(
            order=so, so_item_id=1, product_number="P", quantity_fulfilled=1, total_price=15
        )

    before_push = metrics.check_copper_metrics()
    assert (before_push.state, before_push.note) == (State.OK, "No metrics push has been applied yet.")

    succeeded_run(SyncRun.Kind.METRICS_APPLY)
    result = metrics.check_copper_metrics()
    assert result.count == 1  # Total Orders agrees (2 == 2.0); Total Spent does not
    assert result.numbers["Total Spent"] == 1
    assert result.findings[0]["label"] == "Acme: Total Spent"
    assert result.findings[0]["message"] == "Copper holds 10.0; Fishbowl gives 30.0."
    assert result.state == State.WARNING


def test_account_types_are_checked_even_when_copper_has_no_labels_at_all():
    customer("1", account_type="unknown", linked_to=company("No label", "1"))
    customer("2", account_type="retail")
    result = customer_fields.check_account_types()
    assert result.note == ""
    assert result.numbers == {"unknown": 1, "differs_from_copper": 0}


def test_a_fishbowl_username_counts_as_a_copper_user_once_a_sales_rep_maps_it(rep):
    from django.apps import apps

    sales_rep = apps.get_model("commissions", "SalesRep")
    sales_rep.objects.create(fishbowl_username="ARep", name="Ann Rep", copper_user=rep)
    sales_rep.objects.create(fishbowl_username="zed", name="Zed Nobody")  # no Copper user
    customer("1", rep="arep")
    customer("2", rep="zed")
    result = customer_fields.check_sales_reps()
    assert result.numbers == {"no_rep": 0, "rep_not_copper_user": 1}
    assert result.findings[0]["label"] == "Rep 'zed'"
    assert result.findings[0]["action"] == "Map this Fishbowl username to a Copper user"
