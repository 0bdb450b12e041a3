"""The Celery application. Without REDIS_URL, settings make every task run in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalipxo.settings")

app = Celery("kalipxo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # each installed app's `tasks` module
app.autodiscover_tasks(["payouts.run"])  # the payout run's, inside its package
