"""Celery tasks that send the payees' e-mail. Thin: ids in, mail out; an SMTP server that is
down is retried with backoff, and a finalized month or a sent batch never waits for mail."""

import smtplib
from typing import Any

from accounts import notify
from kalipxo.task_names import task_named

MAIL_OPTIONS: dict[str, Any] = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 30,
    "max_retries": 5,
}


def statements_mail(run_id: int) -> int:
    return notify.statements_mail(run_id)


def batch_sent_mail(batch_id: int) -> int:
    return notify.batch_sent_mail(batch_id)


def payments_returned_mail(payment_ids: list[int]) -> int:
    return notify.payments_returned_mail(payment_ids)


statements_mail_task = task_named(statements_mail, name="accounts.statements_mail", **MAIL_OPTIONS)
batch_sent_mail_task = task_named(batch_sent_mail, name="accounts.batch_sent_mail", **MAIL_OPTIONS)
payments_returned_mail_task = task_named(
    payments_returned_mail, name="accounts.payments_returned_mail", **MAIL_OPTIONS
)
