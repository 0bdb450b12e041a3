"""Sending a Celery task by its stable name, so no module but a `tasks.py` imports tasks.

With a broker, the message is published by name and routed by `CELERY_TASK_ROUTES`. With
in-process tasks (`CELERY_TASK_ALWAYS_EAGER`, the embedded demo) there is no broker to
publish to: the task is looked up in the app's registry by the same name and run at once,
as `apply_async` would. Raises what the broker raises; callers decide what an outage means.
"""

from typing import Any

from kalipxo.celery import app


def task_send(name: str, *args: Any) -> None:
    if app.conf.task_always_eager:
        if name not in app.tasks:
            # Registers every installed app's tasks module (autodiscovery is lazy).
            app.loader.import_default_modules()
        app.tasks[name].apply_async(args=args)
        return
    # `send_task` does not know the task's options: told nothing, it would subscribe to the
    # result backend for every message (and fail with it while Redis is away). Results are
    # never read here (CELERY_TASK_IGNORE_RESULT).
    app.send_task(name, args=args, retry=False, ignore_result=True)
