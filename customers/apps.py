from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self) -> None:
        from syncs.services.runs import run_finished

        run_finished.connect(_sync_after_pull, dispatch_uid="customers.customer_sync_after_pull")


def _sync_after_pull(sender, run, **kwargs) -> None:
    from customers.services.sync import customer_sync_after_pull

    customer_sync_after_pull(run=run)
