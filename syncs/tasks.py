"""django-q2 tasks that schedules name (a schedule stores a dotted path): thin, one service call each.

Runs themselves are queued by ``syncs.services.runs`` through ``syncs.queue.enqueue``.
"""

from syncs.services.runs import sync_runs_reap


def sync_runs_reap_task() -> int:
    """Every minute (migration 0005): fail runs whose worker died, so their kind is free within minutes."""
    return sync_runs_reap()
