"""django-q2 tasks: thin wrappers that take primary keys and call one service.

``enqueue`` is the one place that hands work to the broker, always after the surrounding transaction commits
(so the worker sees the rows the caller just wrote).
"""

from django.db import transaction
from django_q.tasks import async_task


def enqueue(func: str, *args, on_queued=None, **kwargs) -> None:
    """Queue ``func(*args, **kwargs)`` once the current transaction commits.

    ``on_queued(task_id)`` is called with django-q2's task id (used to record it on the run).
    """

    def send() -> None:
        task_id = async_task(func, *args, **kwargs)
        if on_queued is not None:
            on_queued(task_id)

    transaction.on_commit(send)


def sync_run_execute_task(run_id: int) -> None:
    from syncs.services.runs import sync_run_execute

    sync_run_execute(run_id=run_id)
