"""The Celery application. Without REDIS_URL, settings make every task run in-process."""

import os
from typing import Any

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalipxo.settings")

app = Celery("kalipxo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # each installed app's `tasks` module
app.autodiscover_tasks(["payouts.run"])  # the payout run's, inside its package


@signals.task_prerun.connect
def _database_connection_checked(task: Any = None, **_: Any) -> None:
    """Before each task, what Django does before each request: drop a connection that broke
    or outlived CONN_MAX_AGE (and check the next one's health first). Workers keep their
    connection between tasks (CELERY_DB_REUSE_MAX), so a database restart must not fail
    every task that follows. A task run in-process uses its caller's connection, which may
    be inside the caller's transaction: that one is the caller's to manage."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
