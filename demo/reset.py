"""`load_demo_data --reset`: delete listening, billing and payout data, and the demo catalog."""

from collections.abc import Sequence

from django.apps import apps
from django.db import connection, models
from django.db.models import ProtectedError

from artists.models import (
    ApiClient,
    Artist,
    Distributor,
    Payee,
    PortalAccount,
    RecordingLink,
    Release,
    Split,
    Track,
    Work,
    WorkShare,
)
from demo.base import DemoDataError
from demo.catalog import DISTRIBUTORS
from ledger.models import LedgerTransaction
from payments.models import AuditEntry, PaymentBatch, SanctionsList
from payouts.engine.scratch import scratch_drop
from payouts.models import AllocationLine, PayoutRun
from streams.models import ClosedMonth, IngestBatch, Listener, RevenueRecord, StreamEvent

STREAM_MODELS: tuple[type[models.Model], ...] = (
    StreamEvent, IngestBatch, RevenueRecord, ClosedMonth, Listener,
)  # fmt: skip
CATALOG_MODELS: tuple[type[models.Model], ...] = (
    RecordingLink, WorkShare, Work, Split, Track, Release, Payee, Artist, Distributor,
)  # fmt: skip
KEPT_MODELS: tuple[type[models.Model], ...] = (ApiClient, PortalAccount)
# Payout runs, their allocation lines and the ledger. Runs refer to no stream or catalog
# row (their results keep ids, not foreign keys), and the ledger knows runs only by id, so
# `_dependents` would not find them; postings follow their transactions.
# Payment batches, the payments audit log and sanctions lists refer to nothing either.
RUN_MODELS: tuple[type[models.Model], ...] = (
    PayoutRun, AllocationLine, LedgerTransaction, PaymentBatch, AuditEntry, SanctionsList,
)  # fmt: skip


def _dependents(roots: Sequence[type[models.Model]]) -> list[type[models.Model]]:
    """Models that refer to `roots`, directly or through each other (payout runs, ledgers...)."""
    found = list(roots)
    grew = True
    while grew:
        grew = False
        for model in apps.get_models(include_auto_created=True):
            if model in found or model in KEPT_MODELS:
                continue
            if any(f.is_relation and f.related_model in found for f in model._meta.concrete_fields):
                found.append(model)
                grew = True
    return [model for model in found if model not in roots]


def demo_data_reset() -> str:
    """Delete listening and billing data, everything derived from it, and the demo catalog.

    Clears every stream event, revenue record, listener and closed month, every payout run
    with its holds, results and ledger, and every other row that refers to them or to the
    catalog. Keeps API clients, logins and any catalog that is not the demo's; keeps the
    demo catalog too when API clients or logins refer to it (it is then reused). Caller
    holds a transaction.
    """
    dependents = _dependents([*STREAM_MODELS, *CATALOG_MODELS, *RUN_MODELS])
    derived = [m for m in dependents if m not in CATALOG_MODELS]
    tables = [m._meta.db_table for m in [*derived[::-1], *RUN_MODELS, *STREAM_MODELS]]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Unfinished runs have scratch tables of their own.
            for run_id in PayoutRun.objects.values_list("pk", flat=True):
                scratch_drop(run_id=run_id)
            # Stream events and the ledger refuse DELETE (append-only triggers); TRUNCATE is
            # not a row change.
            quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
            # TRUNCATE refuses tables with pending deferred FK checks (rows inserted earlier in
            # this transaction, e.g. in tests): run those checks now, then defer again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {quoted} CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608

    demo = Distributor.objects.filter(name__in=[name for name, *_ in DISTRIBUTORS])
    in_use = models.Q(distributor__in=demo) | models.Q(artist__distributor__in=demo)
    if ApiClient.objects.filter(in_use).exists() or PortalAccount.objects.filter(in_use).exists():
        return (
            "Reset: streams, revenue, listeners and payout runs deleted; the demo catalog is kept because "
            "API clients or logins refer to it."
        )
    try:
        Split.objects.filter(
            models.Q(track__distributor__in=demo) | models.Q(payee__distributor__in=demo)
        ).delete()
        RecordingLink.objects.filter(
            models.Q(track__distributor__in=demo) | models.Q(work__distributor__in=demo)
        ).delete()
        WorkShare.objects.filter(
            models.Q(work__distributor__in=demo) | models.Q(payee__distributor__in=demo)
        ).delete()
        Work.objects.filter(distributor__in=demo).delete()
        Track.objects.filter(distributor__in=demo).delete()
        Release.objects.filter(distributor__in=demo).delete()
        Payee.objects.filter(distributor__in=demo).delete()
        Artist.objects.filter(distributor__in=demo).delete()
        demo.delete()
    except ProtectedError as exc:
        raise DemoDataError(
            f"Cannot delete the demo catalog: other rows refer to it ({exc.args[0]}). "
            "Remove them, or reset without deleting the catalog by removing the references first."
        ) from exc
    return "Reset: streams, revenue, listeners, payout runs and the demo catalog deleted."
