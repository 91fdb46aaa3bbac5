from django.apps import AppConfig

from syncs.registry import RunKind, StartButton, run_kind_register


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self) -> None:
        from customers import run_steps  # why: apps not ready at import
        from customers.services.import_run import fishbowl_import_run  # why: apps not ready at import
        from customers.services.sync import customer_sync_run  # why: apps not ready at import
        from syncs.models import SyncRun  # why: apps not ready at import

        run_kind_register(
            RunKind(
                kind=SyncRun.Kind.CUSTOMER_SYNC,
                runner=customer_sync_run,
                permission="syncs.start_syncrun",
                # No button applies blind: the dry run's preview offers "Confirm and apply" (customers/admin.py).
                buttons=(
                    StartButton("customer_sync_dry_run", "Customer sync (preview, then apply)", {"apply": False}),
                ),
                next_steps=run_steps.customer_sync_next_steps,
                options_text=run_steps.customer_sync_options_text,
                count_labels=run_steps.SYNC_COUNT_LABELS,
            )
        )
        run_kind_register(
            RunKind(
                kind=SyncRun.Kind.FISHBOWL_IMPORT,
                runner=fishbowl_import_run,
                # It writes customers and their orders: the permission to change customers.
                permission="customers.change_fishbowlcustomer",
                started_elsewhere="Started from Fishbowl customers → Import from Fishbowl (or fishbowl_import).",
                next_steps=run_steps.fishbowl_import_next_steps,
                options_text=run_steps.fishbowl_import_options_text,
                count_labels=run_steps.IMPORT_COUNT_LABELS,
            )
        )
