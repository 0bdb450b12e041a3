"""Connects the payout run's and the payments' signals to the mail tasks, by the tasks' names.

Mail is never worth failing what it reports: with the broker away, the mail is not sent and
the failure is logged (the statement and the payment status are on the dashboard anyway)."""

import logging
from typing import Any

from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from kalipxo.enqueue import task_send
from payments.signals import batch_sent, payments_returned
from payouts.signals import run_finalized

logger = logging.getLogger(__name__)


def _send(name: str, argument: Any) -> None:
    try:
        task_send(name, argument)
    except (KombuError, RedisError, OSError):
        logger.warning("could not enqueue %s for %s: the broker is away; no mail sent", name, argument)
    except Exception:  # an in-process task's own error: it must not reach what committed
        logger.exception("%s for %s failed; no mail sent", name, argument)


def _on_run_finalized(sender: Any, run_id: int, **_: Any) -> None:
    _send("accounts.statements_mail", run_id)


def _on_batch_sent(sender: Any, batch_id: int, **_: Any) -> None:
    _send("accounts.batch_sent_mail", batch_id)


def _on_payments_returned(sender: Any, payment_ids: list[int], **_: Any) -> None:
    _send("accounts.payments_returned_mail", payment_ids)


def connect() -> None:
    run_finalized.connect(_on_run_finalized, dispatch_uid="accounts.statements_mail")
    batch_sent.connect(_on_batch_sent, dispatch_uid="accounts.batch_sent_mail")
    payments_returned.connect(_on_payments_returned, dispatch_uid="accounts.payments_returned_mail")
