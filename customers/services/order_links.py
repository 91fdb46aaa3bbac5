"""Attach orders that arrived before their customer existed.

An order imported for an account number Fishbowl's customer export did not have is kept with no customer (and
its ``customer_account_number``). Once the customer sync creates that customer, the order must point at it, or
it stays outside commissions and metrics for nothing.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import OuterRef, Subquery
from simple_history.utils import bulk_update_with_history

from customers.models import FishbowlCustomer, SalesOrder
from syncs.progress import Progress


def sales_orders_link(
    *,
    change_reason: str,
    user: AbstractBaseUser | None = None,
    progress: Progress | None = None,
    batch_size: int = 2000,
) -> int:
    """Link every order with no customer to the customer holding its account number; return how many.

    Set-based: each batch is one query (orders joined to their customer by account number) and one bulk
    update with history rows carrying ``change_reason``. Idempotent: linked orders are not read again.
    """
    progress = progress or Progress.null()
    customer_by_number = FishbowlCustomer.objects.filter(account_number=OuterRef("customer_account_number"))
    orphans = (
        SalesOrder.objects.filter(customer__isnull=True)
        .exclude(customer_account_number="")
        .annotate(match=Subquery(customer_by_number.values("pk")[:1]))
        .filter(match__isnull=False)
        .order_by("pk")
    )
    linked, last_pk = 0, 0
    while True:
        batch = list(orphans.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return linked
        for order in batch:
            order.customer_id = order.match
        with transaction.atomic():
            bulk_update_with_history(
                batch,
                SalesOrder,
                ["customer"],
                batch_size=batch_size,
                default_user=user,
                default_change_reason=change_reason,
            )
        linked += len(batch)
        last_pk = batch[-1].pk
        progress.add(orders_linked=len(batch))
