"""The PostgreSQL path (chunked, set-based SQL) against the pure maths, on the same month.

A seeded random month with everything at once: splits (three-way, label-only), ISRCs not
in the catalog, short plays, listeners who paid and played nothing, listeners who played
and paid nothing, listeners who changed territory or tier, and a bot an admin rejects.
The run is driven in-process (no broker); every stored result must equal what
`payouts.maths` computes with exact fractions from the raw tables.
"""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from artists.models import Artist, Payee, Split, Track
from payouts import screening
from payouts.models import (
    AllocationLine,
    ArtistResult,
    Hold,
    PayeeResult,
    PayoutRun,
    SuspenseResult,
    TrackResult,
)
from payouts.policy import RunPolicy
from payouts.run.driver import payout_run_drive
from payouts.run.holds import hold_decide
from payouts.run.selectors import run_outcome
from payouts.run.start import payout_run_start
from payouts.verify import run_verify
from streams.ingest import stream_events_ingest
from streams.revenue import revenue_records_ingest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

MONTH = datetime(2026, 10, 1, tzinfo=UTC)


def catalog() -> list[str]:
    """Twelve tracks of four artists, some with splits; returns their ISRCs."""
    artists = [Artist.objects.create(id=f"art-{n}", name=f"Artist {n}") for n in range(4)]
    for artist in artists:
        Payee.objects.create(id=artist.id, kind="artist", name=artist.name, artist=artist)
    label = Payee.objects.create(id="lbl-1", kind="label", name="=cmd|' /C calc'!A0")
    isrcs = []
    for n in range(12):
        track = Track.objects.create(
            isrc=f"QZKPX26{n:05d}", title=f"Song {n}", duration_ms=200_000, artist=artists[n % 4]
        )
        isrcs.append(track.isrc)
        if n % 4 == 1:  # artist and label half each
            Split.objects.create(track=track, payee_id=track.artist_id, share=Decimal("0.5"))
            Split.objects.create(track=track, payee=label, share=Decimal("0.5"))
        elif n % 4 == 2:  # three ways: shares with six decimals add up to exactly 1
            for payee, share in (("art-0", "0.333333"), ("art-3", "0.333333"), ("lbl-1", "0.333334")):
                Split.objects.create(track=track, payee_id=payee, share=Decimal(share))
        elif n == 3:  # all to the label
            Split.objects.create(track=track, payee=label, share=Decimal(1))
    return isrcs


def month_data(seed: int) -> None:
    rng = random.Random(seed)
    isrcs = [*catalog(), "ZZXXX2600001", "ZZXXX2600002"]  # two ISRCs nobody claimed
    revenue, events, n = [], [], 0
    for listener in range(80):
        lid = f"L{listener:03d}"
        if listener % 7:  # one in seven pays nothing
            gross = rng.choice(["14.99", "9.99", "4.99", "0.37"])
            ads = gross == "0.37"
            revenue.append(
                {"id": f"r-{lid}", "listener": lid, "month": "2026-10", "source": "subscription",
                 "plan": "premium", "country": "GB", "gross": gross, "tax": "0.00" if ads else "1.25",
                 "fees": "0.00" if ads else "0.30"}
            )  # fmt: skip
        plays = 0 if listener % 11 == 0 else rng.randint(1, 40)  # some paid and played nothing
        for _ in range(plays):
            country, tier = ("US", "premium") if rng.random() < 0.8 else ("DE", "free")
            events.append(
                {"event_id": f"e{n}", "listener": lid, "isrc": rng.choice(isrcs),
                 "started_at": (MONTH + timedelta(seconds=rng.randint(0, 30 * 86400))).isoformat(),
                 "duration_ms": rng.choice([180_000, 180_000, 180_000, 12_000]), "country": country,
                 "tier": tier, "device": f"d{listener}"}
            )  # fmt: skip
            n += 1
    for i in range(25):  # a bot: one day, one track
        events.append(
            {"event_id": f"bot{i}", "listener": "BOT", "isrc": isrcs[0],
             "started_at": (MONTH + timedelta(days=3, seconds=i)).isoformat(), "duration_ms": 60_000,
             "country": "US", "tier": "premium", "device": "d-bot"}
        )  # fmt: skip
    revenue.append({**revenue[0], "id": "r-bot", "listener": "BOT", "gross": "14.99"})
    assert revenue_records_ingest(items=revenue).created == len(revenue)
    for first in range(0, len(events), 1000):
        assert not stream_events_ingest(items=events[first : first + 1000]).rejected


@pytest.mark.parametrize(("chunks", "unallocated_policy"), [(1, "pro_rata"), (4, "pro_rata"), (3, "retain")])
def test_the_sql_path_equals_the_pure_maths(settings: Any, chunks: int, unallocated_policy: str) -> None:
    settings.FRAUD_MAX_STREAMS_PER_DAY = 20
    settings.PAYOUT_RUN_CHUNKS = chunks
    settings.UNALLOCATED_POLICY = unallocated_policy
    month_data(seed=7)
    run, _ = payout_run_start(month=MONTH.date(), dispatch=False)
    assert payout_run_drive(run_id=run.pk).status == "review"

    # The chunks' screening says what the portable screening queries say.
    run.refresh_from_db()
    policy = RunPolicy.from_data(run.policy)
    scope = screening.Scope(
        month=run.month, min_play_ms=policy.min_play_ms, event_cut=run.cutoff_event_id or 0
    )
    portable = screening.screen(scope=scope, policy=policy)
    holds = {hold.listener_id: hold for hold in Hold.objects.filter(run=run)}
    assert set(holds) == set(portable) == {"BOT"}
    assert holds["BOT"].reason == "; ".join(portable["BOT"].details)
    assert holds["BOT"].evidence["streams"] == 25

    hold_decide(run_id=run.pk, hold_id=holds["BOT"].pk, decision="reject", decided_by="t", dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == "computed"

    outcome = run_outcome(run)
    allocation, pro_rata = outcome.allocation, outcome.pro_rata
    payees = {r.payee: r for r in PayeeResult.objects.filter(run=run)}
    assert {p: r.amount_minor for p, r in payees.items()} == allocation.payees
    assert {p: r.streams for p, r in payees.items()} == allocation.payee_streams
    assert (
        dict(SuspenseResult.objects.filter(run=run).values_list("isrc", "amount_minor"))
        == allocation.suspense
    )
    assert run.retained_minor == allocation.retained and run.pools_minor == allocation.total_minor
    assert run.pools_minor == (run.allocated_minor or 0) + (run.suspense_minor or 0) + (
        run.retained_minor or 0
    )
    for payee, result in payees.items():  # exact to 30 places
        assert abs(Fraction(result.amount_exact) - allocation.payee_exact[payee]) <= Fraction(1, 2 * 10**30)

    artists = {a.artist: a for a in ArtistResult.objects.filter(run=run)}
    assert {a: r.pro_rata_minor for a, r in artists.items()} == {
        a: pro_rata.payees.get(a, 0) for a in artists
    }
    assert {a: r.progressive_minor for a, r in artists.items()} == outcome.progressive_minor
    assert {a: r.listeners for a, r in artists.items()} == outcome.artist_listeners
    assert {a: r.amount_minor for a, r in artists.items()} == {
        a: allocation.payees.get(a, 0) for a in artists
    }
    tracks = {t.isrc: t for t in TrackResult.objects.filter(run=run)}
    assert {i: t.streams for i, t in tracks.items()} == allocation.streams
    assert {i: t.listeners for i, t in tracks.items()} == outcome.isrc_listeners
    assert run.listeners == outcome.listeners and run.streams == outcome.streams

    # Lines explain the amounts: a payee's lines add up to its exact amount.
    line_sums: dict[str, Decimal] = defaultdict(Decimal)
    for payee, amount in AllocationLine.objects.filter(run_id=run.pk).values_list("payee", "amount"):
        line_sums[payee] += amount
    for payee, result in payees.items():
        assert abs(line_sums[payee] - result.amount_exact) < Decimal("1e-25")

    for method in ("sql", "python"):
        report = run_verify(run_id=run.pk, method=method)
        assert report.ok, report.problems


def test_a_month_with_no_qualifying_stream_retains_everything(settings: Any) -> None:
    settings.PAYOUT_RUN_CHUNKS = 2
    revenue_records_ingest(
        items=[{"id": "r1", "listener": "L1", "month": "2026-10", "source": "subscription", "plan": "premium",
                "country": "US", "gross": "14.99", "tax": "0.00", "fees": "0.00"}]
    )  # fmt: skip
    run, _ = payout_run_start(month=MONTH.date(), dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == "computed"
    assert (run.pools_minor, run.allocated_minor, run.suspense_minor, run.retained_minor) == (
        1274,
        0,
        0,
        1274,
    )
    assert PayoutRun.objects.get(pk=run.pk).comparison["progressive"]["base_value"] is None
