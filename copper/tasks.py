"""django-q2 tasks of the Copper wing (thin: one service call each, no model objects as arguments)."""

from copper.services.schedule import copper_full_pull_start_if_due


def copper_full_pull_scheduled() -> int | None:
    """The hourly schedule (migration 0003): queue the full reconciliation pull when it is due; its run id."""
    run = copper_full_pull_start_if_due()
    return run.pk if run is not None else None
