"""The month's allocation with the pure maths (`payouts.maths`), from aggregated queries.

The database groups stream events per (listener, ISRC, territory, tier); everything after
that is exact `Fraction` arithmetic in `payouts.maths`. This is how runs compute on SQLite
(the embedded demo), how `verify_run` recomputes a run independently of the SQL path, and
what the tests compare the PostgreSQL path with. It holds one entry per listener and
track in memory, so it is meant for demo-sized months; PostgreSQL runs use
the SQL path of `payouts.engine`.
"""

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, localcontext
from fractions import Fraction

from django.db.models import Count, DecimalField, F, Sum

from artists.models import Artist, Payee, Track
from kalipxo.money import WIDE_DIGITS, decimal_context, exact_decimal
from payouts.engine.reference_publishing import PublishingLineRow, publishing_side
from payouts.maths import Allocation
from payouts.maths.pro_rata import pro_rata_from_parts
from payouts.maths.progressive import allocate_progressive
from payouts.maths.publishing import PublishingAllocation
from payouts.maths.user_centric import (
    ListenerMonth,
    UserCentricParts,
    allocate_from_parts,
)
from payouts.models import (
    AllocationLine,
    ArtistResult,
    PayeeResult,
    PublishingLine,
    SuspenseResult,
    TrackResult,
)
from payouts.policy import RunPolicy
from streams.models import RevenueRecord
from streams.selectors import qualifying_streams

SUM_PLACES = 30
_WIDE = decimal_context(WIDE_DIGITS)  # line amounts: far more digits than the 30 places kept


def to_decimal(value: Fraction | Decimal) -> Decimal:
    """An exact amount rounded (half-even) to the places results keep."""
    return exact_decimal(value, SUM_PLACES)


@dataclass(frozen=True)
class Catalog:
    """A run's catalog snapshot: ISRC -> artist, ISRC -> [(payee, share)]; for the
    publishing side ISRC -> [(work, link share)] and work -> [(payee, share)]."""

    artists: Mapping[str, str]
    payees: Mapping[str, list[tuple[str, Decimal]]]
    links: Mapping[str, list[tuple[str, Decimal]]] = field(default_factory=dict)
    work_payees: Mapping[str, list[tuple[str, Decimal]]] = field(default_factory=dict)


@dataclass
class Line:
    """An allocation line (see `AllocationLine`): one payee's part of a track's streams in
    one territory and tier; payee "" is suspense."""

    payee: str
    isrc: str
    artist: str
    country: str
    tier: str
    streams: int
    listeners_amount: Decimal
    unallocated_amount: Decimal
    share: Decimal
    amount: Decimal


@dataclass
class Outcome:
    """Everything a run stores, computed in memory. `publishing` is the publishing side by
    the run's method and `publishing_other` by the other one; both None when the run has no
    publishing side (a rate of 0)."""

    allocation: Allocation
    pro_rata: Allocation
    progressive_minor: dict[str, int]
    progressive_base_value: Decimal | None
    progressive_undistributed: int
    streams: int
    listeners: int
    isrc_listeners: dict[str, int] = field(default_factory=dict)
    artist_listeners: dict[str, int] = field(default_factory=dict)
    track_spread: dict[str, Fraction] = field(default_factory=dict)  # ISRC -> part of its gross
    lines: list[Line] = field(default_factory=list)
    publishing: PublishingAllocation | None = None
    publishing_other: PublishingAllocation | None = None
    publishing_pools: Fraction = Fraction(0)
    publishing_lines: list[PublishingLineRow] = field(default_factory=list)


def _month_rows(
    *, month: date, policy: RunPolicy, event_cut: int, rejected: set[str]
) -> Iterator[tuple[str, str, str, str, int]]:
    rows = (
        qualifying_streams(month, min_play_ms=policy.min_play_ms, up_to_event=event_cut)
        .exclude(listener_id__in=list(rejected))
        .values_list("listener_id", "isrc", "country", "tier")
        .annotate(plays=Count("id"))
        .order_by("listener_id", "isrc", "country", "tier")
    )
    yield from rows.iterator(chunk_size=20_000)


def recorded_pools(*, month: date, revenue_cut: datetime, rights_share: Decimal) -> dict[str, Decimal]:
    """Each listener's pool on a side: its net revenue × the side's share of it."""
    net = Sum(F("gross") - F("tax") - F("fees"), output_field=DecimalField(max_digits=20, decimal_places=4))
    rows = (
        RevenueRecord.objects.filter(month=month, created_at__lte=revenue_cut)
        .values_list("listener_id")
        .annotate(paid=net)
    )
    with localcontext(_WIDE):
        return {listener: Decimal(paid) * rights_share for listener, paid in rows}


def compute(
    *,
    month: date,
    policy: RunPolicy,
    event_cut: int,
    revenue_cut: datetime,
    rejected: set[str],
    catalog: Catalog,
) -> Outcome:
    pools = recorded_pools(month=month, revenue_cut=revenue_cut, rights_share=policy.recording_share)
    publishing_pools = recorded_pools(
        month=month, revenue_cut=revenue_cut, rights_share=policy.publishing_rate
    )
    parts = UserCentricParts()
    publishing_parts = UserCentricParts()
    publishing_line_amounts: dict[tuple[str, str, str], Fraction] = defaultdict(Fraction)
    # (isrc, country, tier) -> exact amount from listeners' own pools, and streams
    line_amounts: dict[tuple[str, str, str], Fraction] = defaultdict(Fraction)
    line_streams: dict[tuple[str, str, str], int] = defaultdict(int)
    isrc_listeners: dict[str, int] = defaultdict(int)
    artist_listeners: dict[str, int] = defaultdict(int)
    seen: set[str] = set()

    def add(listener: str, plays: list[tuple[str, str, str, int]]) -> None:
        seen.add(listener)
        pool = pools.get(listener, Decimal(0))
        per_isrc: dict[str, int] = defaultdict(int)
        for isrc, _, _, count in plays:
            per_isrc[isrc] += count
        parts.add_listener(ListenerMonth(listener=listener, pool=pool, plays=per_isrc))
        publishing_pool = publishing_pools.get(listener, Decimal(0))
        publishing_parts.add_listener(ListenerMonth(listener=listener, pool=publishing_pool, plays=per_isrc))
        total = sum(per_isrc.values())
        for isrc, country, tier, count in plays:
            line_amounts[(isrc, country, tier)] += Fraction(pool) * count / total
            publishing_line_amounts[(isrc, country, tier)] += Fraction(publishing_pool) * count / total
            line_streams[(isrc, country, tier)] += count
        for isrc in per_isrc:
            isrc_listeners[isrc] += 1
        for artist in {catalog.artists[isrc] for isrc in per_isrc if isrc in catalog.artists}:
            artist_listeners[artist] += 1

    current: str | None = None
    plays: list[tuple[str, str, str, int]] = []
    for listener, isrc, country, tier, count in _month_rows(
        month=month, policy=policy, event_cut=event_cut, rejected=rejected
    ):
        if listener != current:
            if current is not None:
                add(current, plays)
            current, plays = listener, []
        plays.append((isrc, country, tier, count))
    if current is not None:
        add(current, plays)
    for listener, pool in pools.items():
        if listener not in seen:
            parts.add_listener(
                ListenerMonth(listener=listener, pool=pool, plays={}, rejected=listener in rejected)
            )
            rejected_listener = listener in rejected
            publishing_parts.add_listener(
                ListenerMonth(
                    listener=listener, pool=publishing_pools[listener], plays={}, rejected=rejected_listener
                )
            )

    track_payees = {isrc: list(payees) for isrc, payees in catalog.payees.items()}
    allocation = allocate_from_parts(
        parts=parts,
        track_payees=track_payees,
        unallocated_policy=policy.unallocated_policy,  # type: ignore[arg-type]
        track_artists=dict(catalog.artists),
        places=policy.minor_exponent,
    )
    pro_rata = pro_rata_from_parts(
        parts=parts,
        track_payees=track_payees,
        track_artists=dict(catalog.artists),
        places=policy.minor_exponent,
    )
    artist_plays: dict[str, int] = defaultdict(int)
    for isrc, count in parts.streams.items():
        if isrc in catalog.artists:
            artist_plays[catalog.artists[isrc]] += count
    progressive = allocate_progressive(
        plays_per_artist=dict(artist_plays), pool=parts.pools - parts.rejected, places=policy.minor_exponent
    )
    month_streams = sum(parts.streams.values())
    spread = (
        parts.unallocated
        if policy.unallocated_policy == "pro_rata" and month_streams and parts.unallocated
        else Fraction(0)
    )
    outcome = Outcome(
        allocation=allocation,
        pro_rata=pro_rata,
        progressive_minor=dict(progressive.amounts),
        progressive_base_value=progressive.base_value,
        progressive_undistributed=progressive.undistributed,
        streams=month_streams,
        listeners=len(seen | set(pools)),
        isrc_listeners=dict(isrc_listeners),
        artist_listeners=dict(artist_listeners),
    )
    if spread:
        outcome.track_spread = {isrc: spread * count / month_streams for isrc, count in parts.streams.items()}
    outcome.lines = _lines(
        line_amounts, line_streams, spread=spread, month_streams=month_streams, catalog=catalog
    )
    if policy.publishing_rate > 0:
        side = publishing_side(
            policy=policy, parts=publishing_parts, links=catalog.links, work_payees=catalog.work_payees,
            own=publishing_line_amounts, streams=line_streams,
        )  # fmt: skip
        outcome.publishing, outcome.publishing_other = side.paid, side.other
        outcome.publishing_pools, outcome.publishing_lines = side.pools, side.lines
    return outcome


def _lines(
    amounts: Mapping[tuple[str, str, str], Fraction],
    streams: Mapping[tuple[str, str, str], int],
    *,
    spread: Fraction,
    month_streams: int,
    catalog: Catalog,
) -> list[Line]:
    """Allocation lines per (ISRC, territory, tier) and payee, with the split applied."""
    lines: list[Line] = []
    for key in sorted(streams):
        isrc, country, tier = key
        own = amounts[key]
        spread_part = spread * streams[key] / month_streams if spread else Fraction(0)
        artist = catalog.artists.get(isrc, "")
        for payee, share in catalog.payees.get(isrc, [("", Decimal(1))]):
            own_and_spread = (to_decimal(own), to_decimal(spread_part))
            amount = to_decimal((own + spread_part) * Fraction(share))
            lines.append(
                Line(payee, isrc, artist, country, tier, streams[key], *own_and_spread, share, amount)
            )
    return lines


def outcome_write(*, run_id: int, outcome: Outcome, catalog: Catalog) -> None:
    """Store an outcome as the run's lines and results. Caller holds the run's lock."""
    allocation, pro_rata = outcome.allocation, outcome.pro_rata
    AllocationLine.objects.bulk_create(
        (
            AllocationLine(
                run_id=run_id, payee=line.payee, isrc=line.isrc, artist=line.artist, country=line.country,
                tier=line.tier, streams=line.streams, listeners_amount=line.listeners_amount,
                unallocated_amount=line.unallocated_amount, share=line.share, amount=line.amount,
            )
            for line in outcome.lines
        ),
        batch_size=2000,
    )  # fmt: skip
    paid = outcome.publishing.allocation if outcome.publishing else None
    other = outcome.publishing_other.allocation if outcome.publishing_other else None
    PublishingLine.objects.bulk_create(
        (
            PublishingLine(
                run_id=run_id, isrc=row.isrc, work=row.work, country=row.country, tier=row.tier,
                streams=row.streams, share=exact_decimal(row.share, 6), amount=row.amount,
            )
            for row in outcome.publishing_lines
        ),
        batch_size=2000,
    )  # fmt: skip
    everyone = set(allocation.payees) | set(paid.payees if paid else ())
    payees = {p.id: p for p in Payee.objects.filter(id__in=list(everyone))}
    artists = {a.id: a for a in Artist.objects.filter(id__in=everyone | set(catalog.artists.values()))}

    def describe(payee: str) -> tuple[str, str, int | None]:
        if payee in payees:
            row = payees[payee]
            return row.kind, row.name, row.distributor_id
        artist = artists.get(payee)
        return "artist", artist.name if artist else payee, artist.distributor_id if artist else None

    def result(payee: str) -> PayeeResult:
        kind, name, distributor = describe(payee)
        recording = allocation.payees.get(payee, 0)
        publishing = paid.payees.get(payee, 0) if paid else 0
        publishing_exact = paid.payee_exact.get(payee, Fraction(0)) if paid else Fraction(0)
        publishing_streams = paid.payee_streams.get(payee, 0) if paid else 0
        return PayeeResult(
            run_id=run_id, payee=payee, kind=kind, name=name, distributor_id=distributor,
            streams=(
                allocation.payee_streams.get(payee, 0) if payee in allocation.payees else publishing_streams
            ),
            amount_exact=to_decimal(allocation.payee_exact.get(payee, Fraction(0)) + publishing_exact),
            amount_minor=recording + publishing, recording_minor=recording,
            publishing_exact=to_decimal(publishing_exact), publishing_minor=publishing,
            publishing_streams=publishing_streams,
            publishing_other_minor=other.payees.get(payee, 0) if other else 0,
        )  # fmt: skip

    PayeeResult.objects.bulk_create([result(payee) for payee in sorted(everyone)], batch_size=2000)
    sides = [(SuspenseResult.Side.RECORDING, allocation)]
    if paid:
        sides.append((SuspenseResult.Side.PUBLISHING, paid))
    SuspenseResult.objects.bulk_create(
        [
            SuspenseResult(
                run_id=run_id, side=side, isrc=isrc, streams=money.streams.get(isrc, 0),
                amount_exact=to_decimal(money.suspense_exact[isrc]), amount_minor=minor,
            )
            for side, money in sides
            for isrc, minor in sorted(money.suspense.items())
        ],
        batch_size=2000,
    )  # fmt: skip
    titles = dict(Track.objects.filter(isrc__in=list(allocation.track_gross)).values_list("isrc", "title"))
    TrackResult.objects.bulk_create(
        [
            TrackResult(
                run_id=run_id, isrc=isrc, artist=catalog.artists.get(isrc, ""), title=titles.get(isrc, ""),
                streams=allocation.streams.get(isrc, 0), listeners=outcome.isrc_listeners.get(isrc, 0),
                gross_exact=to_decimal(gross),
                unallocated_exact=to_decimal(outcome.track_spread.get(isrc, Fraction(0))),
                publishing_exact=to_decimal(paid.track_gross.get(isrc, Fraction(0)) if paid else Fraction(0)),
                publishing_other_exact=to_decimal(
                    other.track_gross.get(isrc, Fraction(0)) if other else Fraction(0)
                ),
                linked_share=sum((share for _, share in catalog.links.get(isrc, ())), Decimal(0)),
            )
            for isrc, gross in sorted(allocation.track_gross.items())
        ],
        batch_size=2000,
    )  # fmt: skip
    artist_streams: dict[str, int] = defaultdict(int)
    for isrc, count in allocation.streams.items():
        if isrc in catalog.artists:
            artist_streams[catalog.artists[isrc]] += count
    ArtistResult.objects.bulk_create(
        [
            ArtistResult(
                run_id=run_id, artist=artist, name=artists[artist].name if artist in artists else artist,
                streams=streams, listeners=outcome.artist_listeners.get(artist, 0),
                gross_exact=to_decimal(allocation.artist_gross.get(artist, Fraction(0))),
                amount_minor=allocation.payees.get(artist, 0),
                pro_rata_gross_exact=to_decimal(pro_rata.artist_gross.get(artist, Fraction(0))),
                pro_rata_amount_exact=to_decimal(pro_rata.payee_exact.get(artist, Fraction(0))),
                pro_rata_minor=pro_rata.payees.get(artist, 0),
                progressive_minor=outcome.progressive_minor.get(artist),
                publishing_minor=paid.payees.get(artist, 0) if paid else 0,
            )
            for artist, streams in sorted(artist_streams.items())
        ],
        batch_size=2000,
    )  # fmt: skip
