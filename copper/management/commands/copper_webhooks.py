"""``manage.py copper_webhooks list|create|delete|process``: Copper's company webhook subscriptions.

``create [--target URL] [--event new --event update ...]`` subscribes the receiver (default
``COPPER_WEBHOOK_TARGET``) to company new/update/delete, skipping events already subscribed; ``delete ID ...`` (or
``--all``) removes subscriptions; ``process`` handles notifications still waiting (a worker that died, or no
worker running).
"""

from django.core.management.base import BaseCommand, CommandError

from copper.client import copper_client_from_settings
from copper.errors import CopperError
from copper.services.webhook_subscriptions import (
    SubscriptionError,
    copper_webhook_subscribe,
    copper_webhook_subscriptions,
    copper_webhook_unsubscribe,
)
from copper.services.webhooks import EVENTS, copper_webhooks_process


class Command(BaseCommand):
    help = (
        "List, create or delete Copper webhook subscriptions for companies, or process waiting notifications."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="List the company subscriptions Copper holds.")
        create = actions.add_parser("create", help="Subscribe the receiver to company events (idempotent).")
        create.add_argument("--target", help="Receiver URL (https); default COPPER_WEBHOOK_TARGET.")
        create.add_argument("--event", action="append", choices=EVENTS, help="Repeatable; default all three.")
        delete = actions.add_parser("delete", help="Delete subscriptions by id.")
        delete.add_argument("ids", nargs="*", type=int)
        delete.add_argument("--all", action="store_true", help="Delete every company subscription.")
        actions.add_parser("process", help="Process the notifications waiting for a worker, now.")

    def handle(self, *args, action, **options):
        try:
            client = copper_client_from_settings()
            getattr(self, f"_{action}")(client, **options)
        except (SubscriptionError, CopperError) as exc:
            raise CommandError(str(exc)) from exc

    def _list(self, client, **options):
        rows = copper_webhook_subscriptions(client=client)
        for row in rows:
            self.stdout.write(f"{row.get('id')}\t{row.get('type')}\t{row.get('event')}\t{row.get('target')}")
        self.stdout.write(f"{len(rows)} company subscription(s).")

    def _create(self, client, *, target=None, event=None, **options):
        result = copper_webhook_subscribe(client=client, target=target, events=tuple(event or EVENTS))
        for row in result.created:
            self.stdout.write(f"Created {row.get('id')}: company {row.get('event')} -> {row.get('target')}")
        for row in result.existing:
            self.stdout.write(
                f"Already there {row.get('id')}: company {row.get('event')} -> {row.get('target')}"
            )

    def _delete(self, client, *, ids=(), all=False, **options):  # noqa: A002 - the option's name
        if all:
            ids = [int(r["id"]) for r in copper_webhook_subscriptions(client=client)]
        if not ids:
            raise CommandError(
                "Name the subscription ids to delete (see `copper_webhooks list`), or pass --all."
            )
        for subscription_id in ids:
            copper_webhook_unsubscribe(client=client, subscription_id=subscription_id)
            self.stdout.write(f"Deleted {subscription_id}.")

    def _process(self, client, **options):
        self.stdout.write(copper_webhooks_process(client=client).summary())
