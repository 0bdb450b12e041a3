"""Live pools with a real Celery worker, real Redis and PostgreSQL: estimates follow events.

Expected values are computed here, independently of the code under test, straight from
docs/rules.md §2: pool = net × 0.85 (plan price until revenue is recorded), each listener
gives P × c / T to what it streamed, unallocated pools spread over all qualifying streams.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from frontend import dashboard_selectors as page
from streams import reports
from streams.live import dispatch, pricing, store, updates
from streams.live.estimates import live_artist_estimate, live_track_estimates
from streams.models import IngestBatch, RevenueRecord
from streams.tasks import batch_apply, batches_sweep
from tests.workers import WorkerProcess, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NOW = datetime.now(UTC)
MONTH = NOW.date().replace(day=1)
WHEN = NOW.replace(day=1, hour=0, minute=30).isoformat()
SHARE = Decimal("0.85")
TRACKS = {
    "QZKPX2600001": ("art-1", {"art-1": Fraction(8, 10), "lbl-1": Fraction(2, 10)}),
    "QZKPX2600002": ("art-2", {"art-2": Fraction(1)}),
}


def catalog(admin_api: APIClient) -> None:
    body = [
        {"isrc": "QZKPX2600001", "title": "One", "duration_ms": 200000,
         "artist": {"id": "art-1", "name": "Artist One"},
         "splits": [{"payee": {"id": "art-1", "kind": "artist", "name": "Artist One"}, "share": "0.8"},
                    {"payee": {"id": "lbl-1", "kind": "label", "name": "Label"}, "share": "0.2"}]},
        {"isrc": "QZKPX2600002", "title": "Two", "duration_ms": 200000,
         "artist": {"id": "art-2", "name": "Artist Two"}},
    ]  # fmt: skip
    assert admin_api.post("/api/v1/catalog/tracks", body, format="json").status_code == 200


def events(
    plays: list[tuple[str, str, int]], *, start: int = 0, duration: int = 180_000
) -> list[dict[str, Any]]:
    out = []
    n = start
    for listener, isrc, count in plays:
        for _ in range(count):
            out.append({"event_id": f"ev-{n}", "listener": listener, "isrc": isrc, "started_at": WHEN,
                        "duration_ms": duration, "country": "US", "tier": "premium"})  # fmt: skip
            n += 1
    return out


def expected(plays: list[tuple[str, str, int]], pools: dict[str, Decimal]) -> dict[str, dict[str, Fraction]]:
    """docs/rules.md §2 by hand: per artist gross and per payee amount, exact."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for listener, isrc, count in plays:
        counts[listener][isrc] += count
    track_money: dict[str, Fraction] = defaultdict(Fraction)
    month_streams: dict[str, int] = defaultdict(int)
    unallocated = sum((Fraction(p) for listener, p in pools.items() if listener not in counts), Fraction(0))
    for listener, tracks in counts.items():
        total = sum(tracks.values())
        for isrc, count in tracks.items():
            track_money[isrc] += Fraction(pools[listener]) * count / total
            month_streams[isrc] += count
    all_streams = sum(month_streams.values())
    for isrc, count in month_streams.items():
        track_money[isrc] += unallocated * count / all_streams
    gross: dict[str, Fraction] = defaultdict(Fraction)
    amount: dict[str, Fraction] = defaultdict(Fraction)
    for isrc, money in track_money.items():
        if isrc in TRACKS:
            artist, splits = TRACKS[isrc]
            gross[artist] += money
            for payee, share in splits.items():
                amount[payee] += money * share
    return {"gross": gross, "amount": amount, "tracks": dict(track_money)}


def all_applied() -> bool:
    return not IngestBatch.objects.filter(applied_at__isnull=True).exists()


def assert_live_matches(plays: list[tuple[str, str, int]], pools: dict[str, Decimal]) -> None:
    want = expected(plays, pools)
    tolerance = Fraction(1, 10_000)
    for artist in ("art-1", "art-2"):
        live = live_artist_estimate(artist_id=artist, month=MONTH)
        # Lazily priced: at or above the exact figure, by at most the stated bound.
        assert -tolerance < live.gross - want["gross"][artist] < live.bound + tolerance, artist
        assert -tolerance < live.amount - want["amount"][artist] < live.bound + tolerance, artist
    tracks = live_track_estimates(month=MONTH, isrcs=list(TRACKS))
    for isrc in TRACKS:
        gap = tracks[isrc].gross - want["tracks"].get(isrc, Fraction(0))
        assert -tolerance < gap < tracks[isrc].bound + tolerance, isrc
        assert tracks[isrc].streams == sum(count for _, i, count in plays if i == isrc), isrc
        assert tracks[isrc].listeners == len({listener for listener, i, _ in plays if i == isrc}), isrc


PLAYS = [
    ("L1", "QZKPX2600001", 50), ("L1", "QZKPX2600002", 450), ("L1", "ZZXXX2600009", 480),
    ("L2", "QZKPX2600001", 3), ("L2", "QZKPX2600002", 1),
    ("L4", "QZKPX2600002", 7),
]  # fmt: skip


def pools_for(listeners: dict[str, str]) -> dict[str, Decimal]:
    return {listener: Decimal(paid) * SHARE for listener, paid in listeners.items()}


def test_estimates_follow_events_and_revenue_through_a_real_worker(
    celery_worker_process: WorkerProcess, admin_api: APIClient, ingest_api: APIClient, billing_api: APIClient
) -> None:
    catalog(admin_api)
    revenue = [
        {"id": "r1", "listener": "L1", "month": f"{MONTH:%Y-%m}", "source": "subscription", "plan": "premium",
         "country": "US", "gross": "14.99", "tax": "0.00", "fees": "0.00"},
        {"id": "r3", "listener": "L3", "month": f"{MONTH:%Y-%m}", "source": "subscription", "plan": "premium",
         "country": "US", "gross": "9.99", "tax": "1.00", "fees": "0.50"},
    ]  # fmt: skip
    assert billing_api.post("/api/v1/revenue", revenue, format="json").status_code == 201
    body = events(PLAYS)
    for first in range(0, len(body), 400):
        response = ingest_api.post("/api/v1/streams", body[first : first + 400], format="json")
        assert response.status_code == 202
    short = events([("L2", "QZKPX2600002", 5)], start=10_000, duration=29_999)
    assert ingest_api.post("/api/v1/streams", short, format="json").json()["accepted"] == 5

    wait_until(all_applied)
    # L2 has no revenue yet: the premium list price stands in. L3 paid but streamed nothing.
    pools = pools_for({"L1": "14.99", "L2": "14.99", "L3": "8.49", "L4": "14.99"})
    wait_until(
        lambda: (
            pricing.read_artist(month=MONTH, artist_id="art-1").month_pools
            == store.to_units(sum(pools.values(), Decimal(0)))
        )
    )
    assert_live_matches(PLAYS, pools)

    answer = admin_api.get("/api/v1/artists/art-1/earnings", {"month": f"{MONTH:%Y-%m}"}).json()
    want = expected(PLAYS, pools)
    assert answer["status"] == "estimate"
    assert answer["gross"] == str(
        round(Decimal(want["gross"]["art-1"].numerator) / want["gross"]["art-1"].denominator, 2)
    )
    assert answer["streams"] == 53 and answer["listeners"] == 2
    # Priced lazily: the estimate states how far above the exact figure it may be, rounded up.
    exact_gross = want["gross"]["art-1"]
    assert (
        Decimal(answer["bound"])
        >= Decimal(answer["gross"]) - Decimal(exact_gross.numerator) / exact_gross.denominator
    )
    assert Decimal(answer["bound"]) <= Decimal(answer["gross"]) * Decimal("0.05")  # step 0.05: at most 4.8%

    # Revenue recorded mid-month replaces L2's estimated pool.
    late = {**revenue[0], "id": "r2", "listener": "L2", "gross": "4.99"}
    assert billing_api.post("/api/v1/revenue", late, format="json").status_code == 201
    pools["L2"] = Decimal("4.99") * SHARE
    wait_until(
        lambda: (
            pricing.read_artist(month=MONTH, artist_id="art-1").month_pools
            == store.to_units(sum(pools.values(), Decimal(0)))
        )
    )
    assert_live_matches(PLAYS, pools)


@pytest.mark.fault
def test_a_redelivered_batch_changes_nothing(
    celery_worker_process: WorkerProcess, admin_api: APIClient, ingest_api: APIClient
) -> None:
    catalog(admin_api)
    ingest_api.post("/api/v1/streams", events(PLAYS), format="json")
    wait_until(all_applied)
    before = pricing.read_artist(month=MONTH, artist_id="art-2")

    batch = IngestBatch.objects.get()
    IngestBatch.objects.update(applied_at=None)  # as if the worker died before recording it
    batch_apply.apply(args=(str(batch.batch_id),))

    assert pricing.read_artist(month=MONTH, artist_id="art-2") == before
    assert all_applied()


@pytest.mark.fault
def test_flushed_pools_are_rebuilt_from_postgresql(
    celery_worker_process: WorkerProcess, admin_api: APIClient, ingest_api: APIClient
) -> None:
    catalog(admin_api)
    ingest_api.post("/api/v1/streams", events(PLAYS), format="json")
    wait_until(all_applied)
    before = {a: pricing.read_artist(month=MONTH, artist_id=a) for a in ("art-1", "art-2")}

    store.clear_month(MONTH)
    assert pricing.read_artist(month=MONTH, artist_id="art-1").gross == 0
    call_command("rebuild_live_pools", f"{MONTH:%Y-%m}")

    after = {a: pricing.read_artist(month=MONTH, artist_id=a) for a in ("art-1", "art-2")}
    assert {a: (v.gross, v.amount, v.streams, v.listeners) for a, v in after.items()} == {
        a: (v.gross, v.amount, v.streams, v.listeners) for a, v in before.items()
    }
    # Batches included by the rebuild are not applied a second time.
    IngestBatch.objects.update(applied_at=None)
    for batch in IngestBatch.objects.all():
        batch_apply.apply(args=(str(batch.batch_id),))
    assert pricing.read_artist(month=MONTH, artist_id="art-1").gross == after["art-1"].gross


@pytest.mark.fault
def test_a_worker_killed_mid_stream_loses_and_doubles_nothing(
    celery_worker_process: WorkerProcess,
    start_worker: Any,
    admin_api: APIClient,
    ingest_api: APIClient,
) -> None:
    catalog(admin_api)
    plays = [(f"L{n}", "QZKPX2600001" if n % 3 else "QZKPX2600002", 1 + n % 5) for n in range(600)]
    body = events(plays)
    for first in range(0, len(body), 100):
        ingest_api.post("/api/v1/streams", body[first : first + 100], format="json")
        if first == 300:
            celery_worker_process.kill()
    replacement = start_worker()
    # Messages the killed worker held are redelivered only after the broker's visibility
    # timeout; the periodic sweep re-enqueues their batches long before that.
    batches_sweep.apply(kwargs={"older_than_seconds": 0})
    wait_until(all_applied, timeout=90)
    assert replacement.process is not None

    pools = {f"L{n}": Decimal("14.99") * SHARE for n in range(600)}
    assert_live_matches(plays, pools)


@pytest.mark.fault
def test_reconciliation_finds_drift_and_repairs_it(
    live_store: str, celery_worker_process: WorkerProcess, admin_api: APIClient, ingest_api: APIClient
) -> None:
    from streams.live.reconcile import reconcile_month

    catalog(admin_api)
    ingest_api.post("/api/v1/streams", events(PLAYS), format="json")
    wait_until(all_applied)
    assert not reconcile_month(MONTH).drifts  # consistent: nothing to repair

    # art-2's listeners lose track of one of L2's plays of Two (as a key restored from an
    # old snapshot would): its money, computed from them, moves; its stream count does not.
    store.client().hincrby(f"{store.shard_prefix(MONTH, store.shard_of('L2'))}:m:art-2", "L2", -1)
    report = reconcile_month(MONTH)

    assert [(d.artist, d.field) for d in report.drifts] == [("art-2", "gross")]
    assert report.rebuilt
    pools = pools_for({"L1": "14.99", "L2": "14.99", "L4": "14.99"})
    assert_live_matches(PLAYS, pools)


@pytest.mark.fault
def test_pools_lost_with_a_redis_restart_are_rebuilt_by_the_next_batch(
    live_store: str, celery_worker_process: WorkerProcess, admin_api: APIClient, ingest_api: APIClient
) -> None:
    catalog(admin_api)
    ingest_api.post("/api/v1/streams", events(PLAYS[:3]), format="json")
    wait_until(all_applied)
    store.clear_month(MONTH)  # what a Redis restarted without persistence looks like

    ingest_api.post("/api/v1/streams", events(PLAYS[3:], start=5_000), format="json")
    wait_until(all_applied)

    pools = pools_for({"L1": "14.99", "L2": "14.99", "L4": "14.99"})
    assert_live_matches(PLAYS, pools)


@pytest.mark.fault
def test_revenue_whose_update_never_reached_the_broker_is_applied_by_the_sweep(
    celery_worker_process: WorkerProcess, admin_api: APIClient, ingest_api: APIClient
) -> None:
    catalog(admin_api)
    assert ingest_api.post("/api/v1/streams", events(PLAYS), format="json").status_code == 202
    wait_until(all_applied)
    start = datetime.now(UTC)
    assert updates.revenue_sweep(start) == 0  # the first sweep only sets where the next one starts

    # Stored without its on-commit update, as when the broker was away at that moment.
    RevenueRecord.objects.create(
        id="r-lost", listener_id="L2", month=MONTH, source="subscription", plan="premium",
        country="US", gross=Decimal("4.99"), tax=Decimal(0), fees=Decimal(0),
    )  # fmt: skip
    assert updates.revenue_sweep(start) == 0  # still inside the lag: its transaction may be open
    later = datetime.now(UTC) + updates.REVENUE_SWEEP_LAG + timedelta(seconds=1)
    assert updates.revenue_sweep(later) == 1
    assert updates.revenue_sweep(later) == 0  # each window is swept once

    pools = pools_for({"L1": "14.99", "L2": "4.99", "L4": "14.99"})
    want = store.to_units(sum(pools.values(), Decimal(0)))
    wait_until(lambda: pricing.read_artist(month=MONTH, artist_id="art-1").month_pools == want)
    assert_live_matches(PLAYS, pools)


def test_the_dashboard_reads_live_pools_and_shows_what_the_database_estimate_shows(
    celery_worker_process: WorkerProcess,
    admin_api: APIClient,
    ingest_api: APIClient,
    billing_api: APIClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Per-track figures and the progressive comparison, read from Redis, equal the exact
    estimate the page computes from PostgreSQL without Redis."""
    catalog(admin_api)
    paid = {"id": "r1", "listener": "L1", "month": f"{MONTH:%Y-%m}", "source": "subscription",
            "plan": "premium", "country": "US", "gross": "14.99", "tax": "0.00", "fees": "0.00"}  # fmt: skip
    assert billing_api.post("/api/v1/revenue", paid, format="json").status_code == 201
    assert ingest_api.post("/api/v1/streams", events(PLAYS), format="json").status_code == 202
    wait_until(all_applied)
    assert reports.live_month(MONTH)
    live = {
        artist: (
            page.open_month_tracks(artist_id=artist, month=MONTH),
            page.open_month_progressive(artist_id=artist, month=MONTH),
            reports.progressive_inputs(artist_id=artist, month=MONTH),
        )
        for artist in ("art-1", "art-2", "lbl-1")
    }
    monkeypatch.setattr(dispatch, "live_enabled", lambda: False)
    assert not reports.live_month(MONTH)
    for artist, (tracks, progressive, inputs) in live.items():
        assert tracks == page.open_month_tracks(artist_id=artist, month=MONTH), artist
        from_db = page.open_month_progressive(artist_id=artist, month=MONTH)
        assert abs(progressive.amount - from_db.amount) < Fraction(1, 10_000), artist
        assert progressive.artist_plays == from_db.artist_plays and progressive.top_plays == from_db.top_plays
        assert inputs == reports.progressive_inputs(artist_id=artist, month=MONTH), artist
    assert [row["streams"] for row in live["art-1"][0]] == [53]  # One: L1 50 + L2 3


def test_a_listener_with_thousands_of_targets_is_updated_exactly(live_redis: None) -> None:
    """The script writes a listener's changed contributions in slices (Lua's unpack has a
    limit) and sums the totals' changes over the batch: nothing may be lost either way."""
    tracks = 5000  # more changed fields than one unpack takes
    streams = sum(1 + n % 3 for n in range(tracks))
    weights = {f"t:T{n:05d}": 1 + n % 3 for n in range(tracks)} | {"b:art-big": streams}
    assert (
        store.apply_update(month=MONTH, payload={"L1": {"plan": 10**10, "n": streams, "w": weights}}) == "ok"
    )
    assert store.apply_update(month=MONTH, payload={"L1": {"rev": 7 * 10**9}}) == "ok"  # every target moves

    tracks_read, _, _ = pricing.read_tracks(month=MONTH, isrcs=[f"T{n:05d}" for n in range(tracks)])
    want = {f"T{n:05d}": round(Fraction(7 * 10**9 * (1 + n % 3), streams)) for n in range(tracks)}
    assert {isrc: t.gross for isrc, t in tracks_read.items()} == want
    assert pricing.read_artist(month=MONTH, artist_id="art-big").gross == 7 * 10**9


def test_verify_live_pools_reports_the_largest_difference_and_fails_on_drift(
    celery_worker_process: WorkerProcess, admin_api: APIClient, ingest_api: APIClient
) -> None:
    from io import StringIO

    from django.core.management.base import CommandError

    catalog(admin_api)
    ingest_api.post("/api/v1/streams", events(PLAYS), format="json")
    wait_until(all_applied)
    out = StringIO()
    call_command("verify_live_pools", f"{MONTH:%Y-%m}", stdout=out)
    report = out.getvalue()
    assert "0 differ by more than their stated bound" in report
    largest = Decimal(report.split("largest difference ")[1].split(",")[0])
    assert largest < Decimal("0.000001")  # one rounding of 1e-9 per listener at most

    # One of L4's plays of Two vanishes from art-2's listeners: its money drifts.
    store.client().hincrby(f"{store.shard_prefix(MONTH, store.shard_of('L4'))}:m:art-2", "L4", -1)
    out = StringIO()
    with pytest.raises(CommandError, match="1 artists differ"):
        call_command("verify_live_pools", f"{MONTH:%Y-%m}", stdout=out)
    assert "art-2: live gross" in out.getvalue()
