"""Registering a task under its name and the names it had before.

A task is named after the function it runs. Messages already queued by an earlier
deployment carry the name they were sent with, so a renamed task stays registered under its
former names too, for the same function, until no queue can hold them.
"""

from collections.abc import Callable, Sequence
from typing import Any

from celery import shared_task


def task_named(function: Callable[..., Any], *, name: str, former: Sequence[str] = (), **options: Any) -> Any:
    for old in former:
        shared_task(name=old, **options)(function)
    return shared_task(name=name, **options)(function)
