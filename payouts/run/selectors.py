"""Reads of a run that its steps and its checker share."""

from datetime import date
from decimal import Decimal

from payouts.engine import reference
from payouts.models import Hold, PayoutRun, RunSplit, RunTrack, RunWorkLink, RunWorkShare
from payouts.policy import RunPolicy
from payouts.run.errors import RunProblem
from payouts.run.state import Status


def run_catalog(run_id: int) -> reference.Catalog:
    """The run's catalog snapshot: ISRC -> artist, ISRC -> [(payee, share)] (the artist's
    100% for a track without splits), and the publishing side's links and works."""
    artists = dict(RunTrack.objects.filter(run_id=run_id).values_list("isrc", "artist"))
    payees: dict[str, list[tuple[str, Decimal]]] = {}
    splits = RunSplit.objects.filter(run_id=run_id).order_by("isrc", "payee")
    for isrc, payee, share in splits.values_list("isrc", "payee", "share"):
        payees.setdefault(isrc, []).append((payee, share))
    for isrc, artist in artists.items():
        payees.setdefault(isrc, [(artist, Decimal(1))])
    work_payees: dict[str, list[tuple[str, Decimal]]] = {}
    shares = RunWorkShare.objects.filter(run_id=run_id).order_by("work", "payee")
    for work, payee, share in shares.values_list("work", "payee", "share"):
        work_payees.setdefault(work, []).append((payee, share))
    links: dict[str, list[tuple[str, Decimal]]] = {}
    # The snapshot holds only links to works with writers (payouts.engine.catalog).
    linked = RunWorkLink.objects.filter(run_id=run_id).order_by("isrc", "work")
    for isrc, work, share in linked.values_list("isrc", "work", "share"):
        links.setdefault(isrc, []).append((work, share))
    return reference.Catalog(artists=artists, payees=payees, links=links, work_payees=work_payees)


def rejected_listeners(run_id: int) -> set[str]:
    return set(
        Hold.objects.filter(run_id=run_id, decision=Hold.Decision.REJECT).values_list(
            "listener_id", flat=True
        )
    )


def run_outcome(run: PayoutRun) -> reference.Outcome:
    """The run recomputed in memory with the pure maths, from raw tables and its snapshot."""
    if run.cutoff_event_id is None or run.cutoff_revenue_at is None:
        raise RunProblem(f"Run {run.pk} has not been screened yet: it has no data cut.")
    return reference.compute(
        month=run.month,
        policy=RunPolicy.from_data(run.policy),
        event_cut=run.cutoff_event_id,
        revenue_cut=run.cutoff_revenue_at,
        rejected=rejected_listeners(run.pk),
        catalog=run_catalog(run.pk),
    )


def last_failed_run(month: date) -> PayoutRun | None:
    return PayoutRun.objects.filter(month=month, status=Status.FAILED).order_by("-id").first()
