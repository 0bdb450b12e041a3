"""A month with a publishing side, computed by the PostgreSQL path, against the pure maths.

The month of `test_sql_path` (splits, unclaimed ISRCs, short plays, listeners who paid and
played nothing, a rejected bot) gains works: a shared work, a medley, a recording linked
for half, recordings with no work, writers who are artists, a publisher. Every stored
result of both sides must equal what `payouts.maths` computes with exact fractions.
"""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from artists.models import Payee, RecordingLink, Work, WorkShare
from payouts.models import Hold, PayeeResult, PublishingLine, RunWorkShare, SuspenseResult, TrackResult
from payouts.run.driver import payout_run_drive
from payouts.run.holds import hold_decide
from payouts.run.selectors import run_outcome
from payouts.run.start import payout_run_start
from payouts.verify import run_verify
from tests.payouts.test_sql_path import month_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

MONTH = datetime(2026, 10, 1, tzinfo=UTC)
RATE = Decimal("0.153")


def works() -> None:
    """Works for most of test_sql_path's tracks (QZKPX2600000..11); 9 to 11 have none."""
    writer = Payee.objects.create(id="wri-1", kind="writer", name="Writer One")
    publisher = Payee.objects.create(id="pub-1", kind="publisher", name="Publisher")

    def work(work_id: str, shares: list[tuple[str, str]], links: list[tuple[int, str]]) -> None:
        row = Work.objects.create(id=work_id, title=f"Work {work_id}")
        for payee, share in shares:
            WorkShare.objects.create(work=row, payee_id=payee, share=Decimal(share))
        for track, share in links:
            RecordingLink.objects.create(track_id=f"QZKPX26{track:05d}", work=row, share=Decimal(share))

    work("wrk-a", [(writer.id, "0.5"), (publisher.id, "0.5")], [(0, "1"), (4, "1")])  # two recordings
    work("wrk-b", [("art-1", "0.333333"), ("art-2", "0.333333"), (publisher.id, "0.333334")], [(1, "1")])
    work("wrk-c", [("art-3", "1")], [(2, "0.6"), (3, "0.5")])  # 2: a medley with wrk-d; 3: half linked
    work("wrk-d", [(writer.id, "0.75"), ("art-0", "0.25")], [(2, "0.4"), (5, "1"), (6, "1"), (7, "1")])
    work("wrk-e", [(publisher.id, "1")], [(8, "0.25")])


@pytest.mark.parametrize(
    ("chunks", "unallocated_policy", "method"),
    [(1, "pro_rata", "user_centric"), (4, "pro_rata", "pro_rata"), (3, "retain", "user_centric"),
     (2, "retain", "pro_rata")],
)  # fmt: skip
def test_both_sides_equal_the_pure_maths(
    settings: Any, chunks: int, unallocated_policy: str, method: str
) -> None:
    settings.FRAUD_MAX_STREAMS_PER_DAY = 20
    settings.PAYOUT_RUN_CHUNKS = chunks
    settings.UNALLOCATED_POLICY = unallocated_policy
    settings.PUBLISHING_RATES = {2025: Decimal("0.1525"), 2026: RATE}
    settings.PUBLISHING_ALLOCATION = method
    month_data(seed=11)
    works()
    run, _ = payout_run_start(month=MONTH.date(), dispatch=False)
    assert run.policy["publishing_rate"] == "0.153" and run.policy["publishing_allocation"] == method
    assert payout_run_drive(run_id=run.pk).status == "review"
    bot = Hold.objects.get(run=run, listener_id="BOT")
    hold_decide(run_id=run.pk, hold_id=bot.pk, decision="reject", decided_by="t", dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == "computed"

    outcome = run_outcome(run)
    recording = outcome.allocation
    assert outcome.publishing is not None and outcome.publishing_other is not None
    publishing, other = outcome.publishing.allocation, outcome.publishing_other.allocation
    assert outcome.publishing.method == method

    rows = {r.payee: r for r in PayeeResult.objects.filter(run=run)}
    assert set(rows) == set(recording.payees) | set(publishing.payees)
    assert {"wri-1", "pub-1"} <= set(publishing.payees) and "wri-1" not in recording.payees
    for payee, row in rows.items():
        assert row.recording_minor == recording.payees.get(payee, 0), payee
        assert row.publishing_minor == publishing.payees.get(payee, 0), payee
        assert row.amount_minor == row.recording_minor + row.publishing_minor
        assert row.publishing_other_minor == other.payees.get(payee, 0), payee
        assert row.publishing_streams == publishing.payee_streams.get(payee, 0), payee
        exact = publishing.payee_exact.get(payee, Fraction(0))
        assert abs(Fraction(row.publishing_exact) - exact) <= Fraction(1, 10**29)
    suspense = SuspenseResult.objects.filter(run=run)
    assert dict(suspense.filter(side="recording").values_list("isrc", "amount_minor")) == recording.suspense
    assert dict(suspense.filter(side="publishing").values_list("isrc", "amount_minor")) == publishing.suspense
    # Unlinked recordings and the half-linked one wait in mechanical suspense.
    assert {"QZKPX2600003", "QZKPX2600008", "QZKPX2600009", "ZZXXX2600001"} <= set(publishing.suspense)

    # Each side conserves on its own, and the v1 totals cover both.
    assert run.publishing_pools_minor == publishing.total_minor
    assert (run.publishing_allocated_minor, run.publishing_suspense_minor, run.publishing_retained_minor) == (
        publishing.allocated, sum(publishing.suspense.values()), publishing.retained,
    )  # fmt: skip
    assert run.pools_minor == recording.total_minor + publishing.total_minor
    assert run.allocated_minor == recording.allocated + publishing.allocated
    assert run.retained_minor == recording.retained + publishing.retained
    assert run.pools_minor == (run.allocated_minor or 0) + (run.suspense_minor or 0) + (
        run.retained_minor or 0
    )
    assert run.comparison["publishing"]["method"] == method
    other_totals = run.comparison["publishing"][outcome.publishing_other.method]
    assert other_totals["allocated_minor"] == other.allocated

    tracks = {t.isrc: t for t in TrackResult.objects.filter(run=run)}
    for isrc, track in tracks.items():
        assert abs(Fraction(track.publishing_exact) - publishing.track_gross.get(isrc, 0)) < Fraction(
            1, 10**29
        )
    assert tracks["QZKPX2600002"].linked_share == 1 and tracks["QZKPX2600003"].linked_share == Decimal("0.5")
    assert tracks["QZKPX2600009"].linked_share == 0

    # Publishing lines explain each payee's publishing amount (a work's line × the payee's
    # share of the work) and the mechanical suspense (lines without a work).
    shares: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for work, payee, share in RunWorkShare.objects.filter(run=run).values_list("work", "payee", "share"):
        shares[work].append((payee, share))
    sums: dict[str, Fraction] = defaultdict(Fraction)
    lines = PublishingLine.objects.filter(run_id=run.pk)
    for work, isrc, amount in lines.values_list("work", "isrc", "amount"):
        if not work:
            sums[f"suspense:{isrc}"] += Fraction(amount)
        for payee, share in shares[work]:
            sums[payee] += Fraction(amount) * Fraction(share)
    for payee, row in rows.items():
        assert abs(sums[payee] - Fraction(row.publishing_exact)) < Fraction(1, 10**25), payee
    for isrc, exact in publishing.suspense_exact.items():
        assert abs(sums[f"suspense:{isrc}"] - exact) < Fraction(1, 10**25), isrc

    for check in ("sql", "python"):
        report = run_verify(run_id=run.pk, method=check)
        assert report.ok, report.problems
