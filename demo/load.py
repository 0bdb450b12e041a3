"""Demo data: a believable month of catalog, listeners, revenue and plays, loaded quickly.

Everything is drawn from generators seeded by (seed, purpose[, month]), so the same seed
and month give the same rows, event ids included. Listeners keep their plan, country and
devices across months; the month only changes what they play.

Everything is written inside one transaction, not through the ingestion service:
hundreds of thousands of events through the API path would take minutes. Catalog,
listeners and revenue go in with `bulk_create`; events in chunks straight through the
driver (demo/insert.py). Since no ingestion batch announces them, the live pools in
Redis (when configured) are rebuilt from the stored rows afterwards.

Besides ordinary listening, the month holds what the rest of the system must cope with:
plays shorter than the qualifying length, plays of ISRCs the catalog does not know,
premium listeners whose revenue is not recorded yet, paying listeners who played nothing,
one listener far over the daily stream limit and one device shared by too many listeners.

This module is the entry point (`demo_data_load`, used by `manage.py load_demo_data`); the
parts are built by job: demo/catalog.py, demo/works.py, demo/audience.py, demo/revenue.py
and demo/events.py, written by demo/insert.py, and removed again by demo/reset.py.
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db import transaction
from redis.exceptions import RedisError

from artists.models import Artist, Distributor, Payee, RecordingLink, Release, Split, Track, Work
from deductions.models import FeeAgreement
from demo.audience import Audience, demo_audience_build, listeners_write
from demo.base import DemoDataError
from demo.catalog import DISTRIBUTORS, catalog_write, demo_catalog_build, demo_tracks
from demo.claims import demo_claim_write
from demo.events import MonthCounts, demo_events_generate, month_window, planted
from demo.insert import events_insert, sqlite_cache_grow
from demo.management.commands.create_demo_logins import DEMO_PASSWORD
from demo.messages import demo_messages_write
from demo.payments import demo_payments_write
from demo.reset import demo_data_reset
from demo.revenue import idle_listeners, revenue_write
from demo.works import demo_works_build, works_write
from kalipxo.months import add_months, month_end, month_of, month_start
from streams.live import dispatch, updates
from streams.models import ClosedMonth, StreamEvent

DEFAULT_ARTISTS = 300
# About 650 plays per listener a month (a median listener plays about 350, the heaviest some
# 7,000), so a month's pools over its qualifying plays come to about 1.4 cents a stream, a
# real service's rate and the landing page's worked example. Fewer listeners rather than
# more events keep the load (and the current month's slice, up to as much again) short.
DEFAULT_LISTENERS = 640
DEFAULT_STREAMS = 416_000
DEFAULT_SEED = 1


@dataclass
class DemoSummary:
    """What a load wrote, for the command's report."""

    month: date
    live_month: date | None = None
    skipped: str | None = None
    reset_note: str | None = None
    catalog_reused: bool = False
    distributors: int = 0
    artists: int = 0
    releases: int = 0
    tracks: int = 0
    payees: int = 0
    splits: int = 0
    works: int = 0
    unlinked_tracks: int = 0
    listeners: int = 0
    revenue_records: int = 0
    premium_without_revenue: int = 0
    idle_listeners: int = 0
    streams: int = 0
    live_streams: int = 0
    short_plays: int = 0
    unmatched_plays: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        if self.skipped:
            return [self.skipped]
        catalog = "reused" if self.catalog_reused else "created"
        out = [
            f"Demo data for {self.month:%Y-%m} loaded in {self.seconds:.1f} s.",
            f"  catalog ({catalog}): {self.distributors} distributors, {self.artists} artists, "
            f"{self.releases} releases, {self.tracks} tracks, {self.payees} payees, {self.splits} splits, "
            f"{self.works} works ({self.unlinked_tracks} tracks linked to none)",
            f"  listeners: {self.listeners} new; revenue records: {self.revenue_records} "
            f"({self.premium_without_revenue} premium listeners not billed yet, "
            f"{self.idle_listeners} paying listeners with no plays)",
            f"  stream events: {self.streams} in {self.month:%Y-%m}"
            + (f", {self.live_streams} in {self.live_month:%Y-%m} so far" if self.live_month else "")
            + f"; {self.short_plays} short plays, {self.unmatched_plays} of unknown ISRCs",
        ]
        if self.reset_note:
            out.insert(0, self.reset_note)
        out.extend(f"  {note}" for note in self.notes)
        return out


def demo_month_default(*, now: datetime) -> date:
    """The previous calendar month in UTC, so that the current month stays live."""
    return add_months(month_of(now), -1)


def live_slice(*, streams: int, month: date, now: datetime) -> int:
    """Plays of the current month so far: the month's volume times the share of it elapsed.

    Listening at the same pace as a whole month keeps per-stream estimates believable; a
    thinner slice would give each early play a whole listener's pool.
    """
    start, end = month_start(month), month_end(month)
    elapsed = max(0, int((min(now, end) - start).total_seconds()))
    return streams * elapsed // int((end - start).total_seconds())


def _month_load(
    audience: Audience, *, seed: int, month: date, count: int, now: datetime, suspicious: bool
) -> MonthCounts:
    counts = MonthCounts()
    idle = idle_listeners(audience, seed=seed, month=month)
    counts.idle = len(idle)
    revenue_write(audience, seed=seed, month=month, idle=idle, now=now, counts=counts)
    for chunk in demo_events_generate(
        audience,
        seed=seed,
        month=month,
        count=count,
        now=now,
        idle=idle,
        suspicious=suspicious,
        counts=counts,
    ):
        events_insert(chunk)
    return counts


def _month_has_events(month: date) -> int:
    start = month_start(month)
    return StreamEvent.objects.filter(started_at__gte=start, started_at__lt=month_end(month)).count()


def demo_data_load(
    *,
    month: date | None = None,
    listeners: int = DEFAULT_LISTENERS,
    streams: int = DEFAULT_STREAMS,
    seed: int = DEFAULT_SEED,
    artists: int = DEFAULT_ARTISTS,
    reset: bool = False,
    now: datetime | None = None,
) -> DemoSummary:
    """Fill `month` (default: the previous UTC month) and the current month so far.

    Does nothing when the month already has stream events (unless `reset`). The catalog
    is created on first use and reused afterwards, as are listeners.
    """
    if listeners < 1 or streams < 0 or artists < 1:
        raise DemoDataError("--listeners and --artists must be at least 1, --streams at least 0.")
    started = time.monotonic()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    current = month_of(now)
    month = month or demo_month_default(now=now)
    if month > current:
        raise DemoDataError(f"{month:%Y-%m} has not started yet; pick this month or an earlier one.")
    start, end = month_window(month, now)
    if end <= start:
        raise DemoDataError(f"{month:%Y-%m} has only just begun; try again in a few minutes.")
    summary = DemoSummary(month=month)
    sqlite_cache_grow()
    with transaction.atomic():
        if reset:
            summary.reset_note = demo_data_reset()
        if existing := _month_has_events(month):
            summary.skipped = (
                f"{month:%Y-%m} already has {existing} stream events; nothing loaded "
                "(use --reset to start over, or --month for another month)."
            )
            return summary
        if ClosedMonth.objects.filter(month=month).exists():
            raise DemoDataError(f"{month:%Y-%m} is finalized; use --reset or another --month.")

        catalog = demo_tracks()
        summary.catalog_reused = bool(catalog)
        if not catalog:
            distributors = [Distributor.objects.get_or_create(name=name)[0] for name, *_ in DISTRIBUTORS]
            rows = demo_catalog_build(seed=seed, artists=artists, distributors=distributors, year=month.year)
            catalog_write(rows)
            works_write(demo_works_build(seed=seed, catalog=rows))
            catalog = demo_tracks()
        if not FeeAgreement.objects.exists():  # new, or a reset kept the catalog but not these
            paid = demo_payments_write(seed=seed, month=month)
            summary.notes.append(
                f"{paid.agreements} fee agreements, {paid.tax_profiles} tax forms, {paid.verified} payees "
                f"verified and {paid.pending} waiting for review"
            )
        names = [name for name, *_ in DISTRIBUTORS]
        summary.distributors = Distributor.objects.filter(name__in=names).count()
        summary.artists = Artist.objects.filter(distributor__name__in=names).count()
        summary.releases = Release.objects.filter(distributor__name__in=names).count()
        summary.tracks = len(catalog)
        summary.payees = Payee.objects.filter(distributor__name__in=names).count()
        summary.splits = Split.objects.filter(track__distributor__name__in=names).count()
        summary.works = Work.objects.filter(distributor__name__in=names).count()
        summary.unlinked_tracks = (
            Track.objects.filter(distributor__name__in=names)
            .exclude(pk__in=RecordingLink.objects.values("track_id"))
            .count()
        )

        audience = demo_audience_build(seed=seed, listeners=listeners, catalog=catalog)
        summary.listeners = listeners_write(audience, seed=seed, first_month=month)
        counts = _month_load(audience, seed=seed, month=month, count=streams, now=now, suspicious=True)
        summary.streams = counts.streams
        summary.short_plays = counts.short_plays
        summary.unmatched_plays = counts.unmatched_plays
        summary.revenue_records = counts.revenue_records
        summary.premium_without_revenue = counts.without_revenue
        summary.idle_listeners = counts.idle

        live_start, live_end = month_window(current, now)
        live = live_slice(streams=streams, month=current, now=now)
        if month < current and live and live_end > live_start:
            if _month_has_events(current):
                summary.notes.append(f"{current:%Y-%m} already has stream events; no live slice added.")
            else:
                summary.live_month = current
                counts = _month_load(
                    audience, seed=seed, month=current, count=live, now=now, suspicious=False
                )
                summary.live_streams = counts.streams
                summary.short_plays += counts.short_plays
                summary.unmatched_plays += counts.unmatched_plays
                summary.revenue_records += counts.revenue_records
        shared, burst = planted(audience, streams)
        if burst:
            summary.notes.append(f"suspicious: listener {audience.bot} plays {burst} times on one day")
        if shared:
            sharing = len(audience.shared_by)
            summary.notes.append(
                f"suspicious: device {audience.shared_device} is shared by {sharing} listeners"
            )
        summary.notes.append(demo_messages_write(seed=seed))
        summary.notes.append(demo_claim_write(password=DEMO_PASSWORD))
    if dispatch.live_enabled():
        summary.notes.append(_live_pools_rebuild([m for m in (month, summary.live_month) if m]))
    summary.seconds = time.monotonic() - started
    return summary


def _live_pools_rebuild(months: list[date]) -> str:
    """The events bypassed ingestion, so bring the months' live pools in Redis up to date."""
    labels = ", ".join(f"{m:%Y-%m}" for m in months)
    try:
        for month in months:
            updates.rebuild_month(month)
    except (RedisError, OSError) as exc:
        return f"live pools NOT rebuilt ({exc}); run `manage.py rebuild_live_pools YYYY-MM` for {labels}"
    return f"live pools rebuilt for {labels}"
