"""The one place that hands work to the broker (django-q2: the ORM broker, or Redis when ``REDIS_URL`` is set)."""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django_q.tasks import async_task


def enqueue(func: Callable[..., Any], *args: Any, on_queued: Callable[[str], None] | None = None, **kwargs: Any):
    """Queue ``func(*args, **kwargs)`` once the current transaction commits (at once outside one).

    After commit, so the worker sees the rows the caller just wrote. ``func`` is a function reference (the
    broker stores its dotted path). ``on_queued(task_id)`` receives django-q2's task id. Keyword arguments that
    django-q2 reserves (``task_name``, ``group``, ``timeout``…) configure the task, the rest reach ``func``.
    """

    def send() -> None:
        task_id = async_task(func, *args, **kwargs)
        if on_queued is not None:
            on_queued(task_id)

    transaction.on_commit(send)
