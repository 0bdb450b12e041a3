"""`manage.py load_demo_data`: a believable, deterministic month, loaded quickly."""

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from rest_framework.test import APIClient

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
from artists.tokens import api_client_create
from demo.load import live_slice
from demo.management.commands.load_demo_data import Command as LoadDemoData
from kalipxo.validation import normalize_iswc
from payouts.models import PayoutRun
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.holds import hold_decide
from payouts.run.start import payout_run_start
from streams.models import Listener, RevenueRecord, StreamEvent

MONTH = "2025-06"
SIZES = {"listeners": 200, "streams": 5_000, "seed": 7}
ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
MONTH_START = datetime(2025, 6, 1, tzinfo=UTC)
MONTH_END = datetime(2025, 7, 1, tzinfo=UTC)


def load(**options: object) -> str:
    out = StringIO()
    call_command("load_demo_data", month=MONTH, stdout=out, **{**SIZES, **options})
    return out.getvalue()


def month_events():  # type: ignore[no-untyped-def]
    return StreamEvent.objects.filter(started_at__gte=MONTH_START, started_at__lt=MONTH_END)


@pytest.fixture
def demo(db: None) -> str:
    """The demo month loaded once at test size; the command's output."""
    return load()


def test_fills_the_month_and_a_slice_of_the_current_one(demo: str) -> None:
    assert "Demo data for 2025-06 loaded" in demo
    assert Distributor.objects.count() == 3
    assert Artist.objects.count() == 300
    assert 1_000 <= Track.objects.count() <= 2_000
    assert Listener.objects.count() == 200
    assert month_events().count() == 5_000
    now = datetime.now(UTC)
    current = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    live = StreamEvent.objects.filter(started_at__gte=current).count()
    # The current month so far listens at the month's pace: its elapsed share of 5,000.
    assert abs(live - live_slice(streams=5_000, month=current.date(), now=now)) <= 5
    assert StreamEvent.objects.count() == 5_000 + live


def test_catalog_ids_are_valid_and_splits_sum_to_exactly_one(demo: str) -> None:
    for isrc, duration_ms in Track.objects.values_list("isrc", "duration_ms"):
        assert ISRC.fullmatch(isrc), isrc
        assert 120_000 <= duration_ms <= 360_000
    assert all(re.fullmatch(r"\d{12,13}", upc) for upc in Release.objects.values_list("upc", flat=True))
    shares: dict[str, Decimal] = defaultdict(Decimal)
    for track, share in Split.objects.values_list("track_id", "share"):
        shares[track] += share
    assert shares and set(shares.values()) == {Decimal(1)}
    # Splits on part of the tracks only; the rest pay their artist 100%.
    assert 0 < len(shares) < Track.objects.count()
    assert Split.objects.filter(payee__kind=Payee.Kind.LABEL).exists()
    assert Split.objects.filter(payee__kind=Payee.Kind.PRODUCER).exists()


def test_most_tracks_record_a_work_whose_writers_and_publishers_share_exactly_one(demo: str) -> None:
    works = Work.objects.count()
    assert works and f"{works} works (" in demo
    for work_iswc in Work.objects.exclude(iswc=None).values_list("iswc", flat=True):
        assert normalize_iswc(work_iswc) == work_iswc  # a valid check digit, in the stored form
    assert Work.objects.filter(iswc=None).exists()  # some not registered yet
    shares: dict[str, Decimal] = defaultdict(Decimal)
    for work, share in WorkShare.objects.values_list("work_id", "share"):
        shares[work] += share
    assert len(shares) == works and set(shares.values()) == {Decimal(1)}
    kinds = set(WorkShare.objects.values_list("payee__kind", flat=True))
    assert kinds == {Payee.Kind.ARTIST, Payee.Kind.WRITER, Payee.Kind.PUBLISHER}  # artists who write too
    # Every work belongs to its tracks' distributor.
    assert not RecordingLink.objects.exclude(work__distributor=models.F("track__distributor")).exists()
    linked: dict[str, Decimal] = defaultdict(Decimal)
    per_track: Counter[str] = Counter()
    for track, share in RecordingLink.objects.values_list("track_id", "share"):
        linked[track] += share
        per_track[track] += 1
    assert max(linked.values()) == 1 and min(linked.values()) < 1  # some partly unclaimed
    assert max(per_track.values()) == 2  # a medley
    unlinked = Track.objects.count() - len(linked)
    assert 0 < unlinked < Track.objects.count() / 3  # mechanical suspense for a few
    assert f"({unlinked} tracks linked to none)" in demo


def test_every_artist_is_its_own_payee(demo: str) -> None:
    payees = dict(Payee.objects.filter(kind=Payee.Kind.ARTIST).values_list("id", "artist_id"))
    assert all(payees.get(artist) == artist for artist in Artist.objects.values_list("id", flat=True))
    assert Track.objects.filter(artist__payee__isnull=True).count() == 0


def test_listeners_some_public_revenue_from_the_plan_price_some_not_billed_yet(demo: str) -> None:
    public = Listener.objects.filter(show_to_artists=True).exclude(display_name="").count()
    assert 20 <= public <= 60  # about 20% of 200
    records = RevenueRecord.objects.filter(month=date(2025, 6, 1))
    for record in records:
        assert record.id == f"inv-2025-06-{record.listener_id}"
        assert record.source == RevenueRecord.Source.SUBSCRIPTION
        assert record.gross == settings.PLAN_PRICES[record.plan] > 0
        assert Decimal(0) <= record.tax <= record.gross * Decimal("0.2")
        assert record.net > 0
    billed = set(records.values_list("listener_id", flat=True))
    premium = set(month_events().filter(tier="premium").values_list("listener_id", flat=True))
    free = set(month_events().filter(tier="free").values_list("listener_id", flat=True))
    assert premium - billed, "some premium listeners have no revenue recorded yet"
    assert len(premium - billed) < len(premium) / 4
    assert not free & billed
    assert billed - premium, "some paying listeners played nothing this month"


def test_plays_include_short_unmatched_and_none_in_the_future(demo: str) -> None:
    events = list(
        month_events().values("event_id", "listener_id", "isrc", "duration_ms", "country", "device")
    )
    assert len({e["event_id"] for e in events}) == len(events)
    short = sum(e["duration_ms"] < settings.MIN_PLAY_MS for e in events)
    assert 0.02 * len(events) < short < 0.10 * len(events)
    catalog = set(Track.objects.values_list("isrc", flat=True))
    unmatched = [e for e in events if e["isrc"] not in catalog]
    assert 0 < len(unmatched) < 0.03 * len(events)
    assert all(ISRC.fullmatch(e["isrc"]) for e in unmatched)
    assert sum(e["device"] is None for e in events) < 0.2 * len(events)
    countries: dict[str, set[str]] = defaultdict(set)
    for e in events:
        countries[e["listener_id"]].add(e["country"])
    assert all(len(c) == 1 for c in countries.values()), "a listener plays from its own country"
    now = datetime.now(UTC)
    assert not StreamEvent.objects.filter(started_at__gt=now).exists()
    assert not StreamEvent.objects.filter(received_at__gt=now).exists()


def test_popularity_is_heavy_tailed(demo: str) -> None:
    plays = Counter(month_events().values_list("isrc", flat=True))
    top_tenth = sum(count for _, count in plays.most_common(len(plays) // 10))
    assert top_tenth > 0.3 * sum(plays.values())


def test_something_for_fraud_screening_to_flag(demo: str) -> None:
    qualifying = month_events().filter(duration_ms__gte=settings.MIN_PLAY_MS)
    per_day = Counter((e.listener_id, e.started_at.date()) for e in qualifying.only("listener", "started_at"))
    assert max(per_day.values()) > settings.FRAUD_MAX_STREAMS_PER_DAY
    sharing: dict[str, set[str]] = defaultdict(set)
    for device, listener in month_events().exclude(device=None).values_list("device", "listener_id"):
        sharing[device].add(listener)
    assert max(len(listeners) for listeners in sharing.values()) > settings.FRAUD_MAX_LISTENERS_PER_DEVICE


def test_same_seed_same_events_and_a_second_run_does_nothing(demo: str) -> None:
    first = set(month_events().values_list("event_id", flat=True))
    stored = StreamEvent.objects.count()

    again = load()
    assert "already has 5000 stream events; nothing loaded" in again
    assert StreamEvent.objects.count() == stored

    load(reset=True)
    assert set(month_events().values_list("event_id", flat=True)) == first

    load(reset=True, seed=8)
    assert not set(month_events().values_list("event_id", flat=True)) & first


def test_reset_keeps_api_clients_and_the_catalog_they_use(demo: str) -> None:
    admin, _ = api_client_create(name="ops", role=ApiClient.Role.ADMIN)
    artist_client, _ = api_client_create(name="fan-page", role=ApiClient.Role.ARTIST, artist_id="art-0001")

    out = load(reset=True)

    assert "demo catalog is kept" in out
    assert set(ApiClient.objects.values_list("pk", flat=True)) == {admin.pk, artist_client.pk}
    assert "catalog (reused)" in out
    assert month_events().count() == 5_000


def test_refuses_a_month_that_has_not_started(db: None) -> None:
    with pytest.raises(CommandError, match="has not started"):
        call_command("load_demo_data", month="2999-01", stdout=StringIO())


def test_the_live_slice_follows_the_elapsed_share_of_the_month() -> None:
    month = date(2026, 11, 1)
    assert live_slice(streams=3_000, month=month, now=datetime(2026, 11, 1, tzinfo=UTC)) == 0
    assert live_slice(streams=3_000, month=month, now=datetime(2026, 11, 16, tzinfo=UTC)) == 1_500
    assert live_slice(streams=3_000, month=month, now=datetime(2026, 12, 5, tzinfo=UTC)) == 3_000


# ---------------------------------------------------------------------------- the defaults


def default_options() -> dict[str, int]:
    """What `load_demo_data` loads when given no options, as its own parser reads them."""
    parser = LoadDemoData().create_parser("manage.py", "load_demo_data")
    options = vars(parser.parse_args([]))
    return {name: options[name] for name in ("listeners", "streams", "artists", "seed")}


@pytest.mark.django_db(transaction=True)
def test_a_final_demo_month_pays_a_real_services_rate_per_stream(admin_api: APIClient) -> None:
    """A listener of the default demo plays about 650 times a month, so a finalized month pays
    between 1 and 1.6 cents a stream, like the landing page's worked example (1.27 cents).
    Loaded at a quarter of the default listeners and the same plays per listener."""
    defaults = default_options()
    listeners = defaults["listeners"] // 4
    streams = defaults["streams"] * listeners // defaults["listeners"]
    call_command("load_demo_data", month=MONTH, listeners=listeners, streams=streams, stdout=StringIO())
    month = date(2025, 6, 1)
    run, _ = payout_run_start(month=month, requested_by="test", dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == PayoutRun.Status.REVIEW  # the planted bot and shared device
    for hold in run.holds.all():
        hold_decide(run_id=run.pk, hold_id=hold.pk, decision="reject", decided_by="test", dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == PayoutRun.Status.COMPUTED, run.failure_reason
    payout_run_finalize(run_id=run.pk, finalized_by="test")

    totals = admin_api.get(f"/api/v1/payout-runs/{run.pk}").json()["totals"]
    qualifying = month_events().filter(duration_ms__gte=settings.MIN_PLAY_MS).count()
    assert Decimal("0.010") < Decimal(totals["pools"]) / qualifying < Decimal("0.016")
    # The artist the demo's "artist" login sees; other artists' rates differ, as user-centric
    # rates do (an artist of heavy listeners earns less a stream).
    call_command("create_demo_logins", stdout=StringIO())
    artist = PortalAccount.objects.get(user__username="artist").artist_id
    earnings = admin_api.get(f"/api/v1/artists/{artist}/earnings?month=2025-06").json()
    assert earnings["status"] == "final"
    assert Decimal("0.010") < Decimal(earnings["per_stream"]) < Decimal("0.016"), earnings


def test_the_readme_states_what_the_loader_loads(db: None) -> None:
    """The README's demo paragraph against the command's defaults and the catalog they build."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    stated = re.search(
        r"\(([\d,]+) distributors, ([\d,]+) artists, ([\d,]+) tracks with splits, ([\d,]+) listeners "
        r"playing ([\d,]+) streams in the month",
        " ".join(readme.split()),
    )
    assert stated, "the README's demo paragraph no longer lists the figures"
    distributors, artists, tracks, listeners, streams = (int(g.replace(",", "")) for g in stated.groups())
    defaults = default_options()
    assert (listeners, streams, artists) == (defaults["listeners"], defaults["streams"], defaults["artists"])
    # The default seed builds the same catalog whatever the listening, so load none.
    out = StringIO()
    call_command("load_demo_data", month=MONTH, listeners=1, streams=0, stdout=out)
    assert f"{distributors} distributors, {artists} artists, " in out.getvalue()
    assert f" releases, {tracks} tracks," in out.getvalue()
