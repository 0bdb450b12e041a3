"""Demo data: a believable month of catalog, listeners, revenue and plays, loaded quickly.

Everything is drawn from generators seeded by (seed, purpose[, month]), so the same seed
and month give the same rows, event ids included. Listeners keep their plan, country and
devices across months; the month only changes what they play.

Everything is written inside one transaction, not through the ingestion service:
hundreds of thousands of events through the API path would take minutes. Catalog,
listeners and revenue go in with `bulk_create`; events in chunks straight through the
driver (see `_events_insert`). Since no ingestion batch announces them, the live pools in
Redis (when configured) are rebuilt from the stored rows afterwards.

Besides ordinary listening, the month holds what the rest of the system must cope with:
plays shorter than the qualifying length, plays of ISRCs the catalog does not know,
premium listeners whose revenue is not recorded yet, paying listeners who played nothing,
one listener far over the daily stream limit and one device shared by too many listeners.
"""

import dataclasses
import random
import time
import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import ProtectedError
from redis.exceptions import RedisError

from artists.models import ApiClient, Artist, Distributor, Payee, PortalAccount, Release, Split, Track
from kalipxo.money import quantize_money
from kalipxo.months import add_months, month_of, month_start, next_month
from streams.live import dispatch, updates
from streams.models import ClosedMonth, IngestBatch, Listener, RevenueRecord, StreamEvent

DEFAULT_ARTISTS = 300
# About 650 plays per listener a month (a median listener plays about 350, the heaviest some
# 7,000), so a month's pools over its qualifying plays come to about 1.4 cents a stream, a
# real service's rate and the landing page's worked example. Fewer listeners rather than
# more events keep the load (and the current month's slice, up to as much again) short.
DEFAULT_LISTENERS = 640
DEFAULT_STREAMS = 416_000
DEFAULT_SEED = 1
CHUNK = 20_000  # events built and inserted at a time, to keep memory flat

SHORT_PLAY_RATE = 0.05
UNMATCHED_RATE = 0.01
NO_DEVICE_RATE = 0.08  # web players send no device id
MISSING_REVENUE_RATE = 0.10  # premium listeners whose billing has not reported yet
IDLE_RATE = 0.02  # paying listeners who play nothing this month (their pool is unallocated)
FAVORITE_RATE = 0.45  # share of a listener's plays that go to its favourite artists
TRACK_ZIPF = 0.95
# Heavy-tailed listening, capped at 20 times the median listener: about 240 plays a day at
# the default pace. A person who plays more looks like a bot to the fraud rules (more than
# 200 plays of one favourite track in a day), and the demo plants exactly one bot.
ACTIVITY_SIGMA = 1.1
ACTIVITY_CAP = 20.0
UNMATCHED_ISRCS = 40
BOT_EXCESS = 50  # the bot's plays over the daily limit on its one day

# (name, ISRC country + registrant, UPC company prefix, share of the artists)
DISTRIBUTORS: tuple[tuple[str, str, str, float], ...] = (
    ("Northwind Music", "QZNW4", "840317", 0.45),
    ("Bluebird Distribution", "QZBB8", "196852", 0.35),
    ("Harbor Records Group", "QZHR2", "197442", 0.20),
)
UNMATCHED_REGISTRANT = "QMX4P"  # a registrant none of the demo distributors uses
LABELS_PER_DISTRIBUTOR = 3
PRODUCERS = 30

# Listener countries with their weight and the VAT/GST included in the list price.
COUNTRIES: dict[str, tuple[int, Decimal]] = {
    "US": (30, Decimal("0")),
    "GB": (10, Decimal("0.20")),
    "DE": (10, Decimal("0.19")),
    "FR": (8, Decimal("0.20")),
    "BR": (7, Decimal("0")),
    "MX": (6, Decimal("0.16")),
    "CA": (5, Decimal("0.05")),
    "IN": (5, Decimal("0.18")),
    "AU": (4, Decimal("0.10")),
    "JP": (4, Decimal("0.10")),
    "CH": (3, Decimal("0.081")),
    "NZ": (3, Decimal("0.15")),
    "AR": (3, Decimal("0")),
    "KR": (2, Decimal("0.10")),
}
CARD_FEE_RATE = Decimal("0.029")
CARD_FEE_FIXED = Decimal("0.30")

FIRST_NAMES = (
    "Ada", "Bram", "Cleo", "Dario", "Elin", "Farah", "Gus", "Hana", "Ilya", "Juno", "Kasper",
    "Lena", "Milo", "Nadia", "Otis", "Pia", "Quentin", "Rosa", "Soren", "Tova", "Umar", "Vera",
    "Wren", "Ximena", "Yusuf", "Zora", "Anouk", "Bastian", "Celeste", "Dagny", "Emeric", "Fenna",
    "Ines", "Jasper", "Kaia", "Leif", "Marisol", "Noor", "Oskar", "Priya",
)  # fmt: skip
LAST_NAMES = (
    "Abernathy", "Brightwater", "Castellanos", "Dunmore", "Ekdahl", "Fairweather", "Galloway",
    "Holmqvist", "Ibarra", "Jankowski", "Kestrel", "Lindqvist", "Marchetti", "Nakagawa",
    "Okonkwo", "Pellegrini", "Quarry", "Rasmussen", "Salvatierra", "Thornbury", "Underhill",
    "Valdivia", "Whitlock", "Yarrow", "Zeller", "Ashgrove", "Beaumont", "Corrigan", "Delacroix",
    "Everly", "Fontaine", "Greaves", "Halloran", "Ivers", "Kowalczyk", "Lowell", "Moreau",
)  # fmt: skip
ADJECTIVES = (
    "Amber", "Brass", "Cinder", "Copper", "Dusty", "Faded", "Gentle", "Hollow", "Ivory", "Juniper",
    "Lunar", "Marble", "Northern", "Pale", "Quiet", "Rustic", "Salt", "Slow", "Static", "Sunday",
    "Tidal", "Velvet", "Wandering", "Willow", "Winter", "Wooden", "Crooked", "Distant", "Electric",
    "Feral", "Gilded", "Humble", "Indigo", "Lucky", "Misty", "Painted", "Restless", "Scarlet",
)  # fmt: skip
NOUNS = (
    "Lantern", "Harbor", "Orchard", "Comet", "Fern", "Satellite", "Sparrow", "Tide", "Ember",
    "Meadow", "Signal", "River", "Valley", "Circuit", "Echo", "Moth", "Postcard", "Raven",
    "Lighthouse", "Glacier", "Canyon", "Magnet", "Balloon", "Atlas", "Engine", "Garden", "Compass",
    "Ferry", "Horizon", "Island", "Kettle", "Ladder", "Mirror", "Needle", "Parade", "Quarry",
    "Saddle", "Thunder", "Violet", "Window",
)  # fmt: skip
PLURALS = (
    "Lanterns", "Harbors", "Orchards", "Comets", "Ferns", "Satellites", "Sparrows", "Tides",
    "Embers", "Meadows", "Signals", "Valleys", "Circuits", "Moths", "Postcards", "Ravens",
    "Lighthouses", "Glaciers", "Canyons", "Magnets", "Balloons", "Engines", "Compasses",
    "Ferries", "Islands", "Kettles", "Ladders", "Mirrors", "Needles", "Saddles",
)  # fmt: skip
SYLLABLES = ("ka", "lo", "mi", "ra", "vel", "no", "sa", "ti", "ren", "do", "zu", "el", "ma", "ori", "fen")
PLACES = (
    "Lisbon", "the Valley", "Harbor Street", "the North", "Kyoto", "Avenue B", "the Coast",
    "Marigold Lane", "the Old Pier", "Route 9", "Santa Ines", "the Lowlands",
)  # fmt: skip
VERBS = ("Chasing", "Holding", "Drifting", "Counting", "Burning", "Waiting", "Dancing", "Losing", "Calling")
LABEL_SUFFIXES = ("Records", "Recordings", "Sound", "Music", "Audio")


@dataclass(frozen=True)
class TrackRef:
    """What event generation needs of a catalog track."""

    isrc: str
    duration_ms: int
    artist_id: str


@dataclass(frozen=True)
class ListenerProfile:
    """A listener as the generators see it; only id and names are stored on Listener."""

    id: str
    plan: str
    country: str
    devices: tuple[str, ...]
    activity: float
    favorites: tuple[str, ...]  # artist ids
    display_name: str
    show_to_artists: bool
    pays_by_card: bool


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
            f"{self.releases} releases, {self.tracks} tracks, {self.payees} payees, {self.splits} splits",
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


# ---------------------------------------------------------------------------- dates


def demo_month_default(*, now: datetime) -> date:
    """The previous calendar month in UTC, so that the current month stays live."""
    return add_months(month_of(now), -1)


def live_slice(*, streams: int, month: date, now: datetime) -> int:
    """Plays of the current month so far: the month's volume times the share of it elapsed.

    Listening at the same pace as a whole month keeps per-stream estimates believable; a
    thinner slice would give each early play a whole listener's pool.
    """
    start, end = month_start(month), month_start(next_month(month))
    elapsed = max(0, int((min(now, end) - start).total_seconds()))
    return streams * elapsed // int((end - start).total_seconds())


def _month_window(month: date, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the month, cut a few minutes before now so nothing is in the future."""
    end = min(month_start(next_month(month)), now - timedelta(minutes=5))
    return month_start(month), end


def _rng(seed: int, *parts: object) -> random.Random:
    # String seeds are hashed with SHA-512 by `random`, independent of PYTHONHASHSEED.
    return random.Random(":".join(["kalipxo-demo", str(seed), *map(str, parts)]))  # noqa: S311


# ---------------------------------------------------------------------------- catalog


def _upc(company: str, item: int) -> str:
    """A 12-digit UPC-A with its check digit."""
    body = f"{company}{item:05d}"
    odd = sum(int(d) for d in body[0::2])
    even = sum(int(d) for d in body[1::2])
    return body + str((10 - (odd * 3 + even) % 10) % 10)


def _stage_name(rng: random.Random) -> str:
    pattern = rng.random()
    if pattern < 0.35:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    if pattern < 0.55:
        return f"The {rng.choice(ADJECTIVES)} {rng.choice(PLURALS)}"
    if pattern < 0.70:
        return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    if pattern < 0.80:
        return f"{rng.choice(FIRST_NAMES)} & the {rng.choice(PLURALS)}"
    if pattern < 0.90:
        return f"{rng.choice(NOUNS)} {rng.choice(NOUNS)}"
    word = "".join(rng.sample(SYLLABLES, rng.randint(2, 3)))
    return word.capitalize()


def _title(rng: random.Random) -> str:
    pattern = rng.random()
    if pattern < 0.3:
        return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    if pattern < 0.5:
        return f"{rng.choice(VERBS)} {rng.choice(PLURALS)}"
    if pattern < 0.65:
        return f"{rng.choice(NOUNS)} in {rng.choice(PLACES)}"
    if pattern < 0.8:
        return f"{rng.choice(VERBS)} the {rng.choice(NOUNS)}"
    if pattern < 0.9:
        return f"{rng.choice(PLURALS)}"
    return f"{rng.choice(ADJECTIVES)} {rng.choice(PLURALS)}"


class DemoDataError(Exception):
    """The demo data cannot be loaded as asked; the message says why and what to do."""


@dataclass
class CatalogRows:
    """Unsaved catalog rows, in the order they must be inserted."""

    artists: list[Artist] = field(default_factory=list)
    payees: list[Payee] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)


def demo_catalog_build(
    *, seed: int, artists: int, distributors: Sequence[Distributor], year: int
) -> CatalogRows:
    """Artists (each with its artist payee), labels, producers, releases with UPCs, tracks with
    ISRCs, and splits on part of the tracks. `distributors` are saved rows, in DISTRIBUTORS order.
    """
    rng = _rng(seed, "catalog")
    rows = CatalogRows()
    labels: list[list[Payee]] = []
    producers: list[list[Payee]] = []
    for index, distributor in enumerate(distributors):
        labels.append(
            [
                Payee(
                    id=f"lbl-{index + 1}{number:02d}",
                    kind=Payee.Kind.LABEL,
                    name=f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(LABEL_SUFFIXES)}",
                    distributor=distributor,
                )
                for number in range(1, LABELS_PER_DISTRIBUTOR + 1)
            ]
        )
        producers.append(
            [
                Payee(
                    id=f"prd-{index + 1}{number:02d}",
                    kind=Payee.Kind.PRODUCER,
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    distributor=distributor,
                )
                for number in range(1, PRODUCERS // len(distributors) + 1)
            ]
        )
        rows.payees.extend(labels[index] + producers[index])

    cumulative = list(accumulate(share for *_, share in DISTRIBUTORS))
    home: dict[str, int] = {}  # artist id -> index of its distributor
    names: set[str] = set()
    artist_payees: dict[str, Payee] = {}
    for number in range(1, artists + 1):
        name = _stage_name(rng)
        while name in names:
            name = _stage_name(rng)
        names.add(name)
        index = bisect_right(cumulative, rng.random() * cumulative[-1])
        distributor = distributors[index]
        artist = Artist(id=f"art-{number:04d}", name=name, distributor=distributor)
        home[artist.id] = index
        rows.artists.append(artist)
        # The payee of kind "artist" is the artist itself: same id, linked one to one.
        payee = Payee(id=artist.id, kind=Payee.Kind.ARTIST, name=name, distributor=distributor, artist=artist)
        artist_payees[artist.id] = payee
        rows.payees.append(payee)

    upc_items = [0] * len(distributors)
    designations: dict[tuple[str, int], int] = {}
    for artist in rows.artists:
        index = home[artist.id]
        _, registrant, company, _ = DISTRIBUTORS[index]
        signed = rng.random() < 0.35  # signed artists share every track with their label
        label = rng.choice(labels[index])
        remaining = min(20, max(1, round(rng.lognormvariate(1.45, 0.65))))
        year_of = rng.randint(year - 8, year)
        while remaining:
            size = min(remaining, rng.choice((1, 1, 1, 4, 5, 6, 10, 12)))
            remaining -= size
            upc_items[index] += 1
            release = Release(
                upc=_upc(company, upc_items[index]), title=_title(rng), distributor=artist.distributor
            )
            rows.releases.append(release)
            year_of = min(year, year_of + rng.randint(0, 1))
            for _ in range(size):
                key = (registrant, year_of % 100)
                designations[key] = designations.get(key, 0) + 1
                track = Track(
                    isrc=f"{registrant}{year_of % 100:02d}{designations[key]:05d}",
                    title=_title(rng),
                    duration_ms=int(rng.triangular(120, 359, 205)) * 1000 + rng.randrange(1000),
                    artist=artist,
                    release=release,
                    distributor=artist.distributor,
                )
                rows.tracks.append(track)
                parts = _split_parts(
                    rng,
                    artist=artist_payees[artist.id],
                    label=label if signed else None,
                    producers=producers[index],
                    duet=rng.choice(rows.artists),
                    duet_payees=artist_payees,
                )
                rows.splits.extend(Split(track=track, payee=p, share=share) for p, share in parts)
    return rows


def _split_parts(
    rng: random.Random,
    *,
    artist: Payee,
    label: Payee | None,
    producers: list[Payee],
    duet: Artist,
    duet_payees: dict[str, Payee],
) -> list[tuple[Payee, Decimal]]:
    """A track's splits, or none (then its artist gets 100%). Shares sum to exactly 1."""
    producer = rng.choice(producers) if producers and rng.random() < 0.2 else None
    if label is not None and producer is not None:
        parts = [(artist, "0.6"), (label, "0.3"), (producer, "0.1")]
    elif label is not None:
        parts = [(artist, "0.7"), (label, "0.3")]
    elif producer is not None:
        parts = [(artist, "0.9"), (producer, "0.1")]
    elif rng.random() < 0.04 and duet.id != artist.id and duet.distributor_id == artist.distributor_id:
        # A duet with another artist of the same distributor, half each.
        parts = [(artist, "0.5"), (duet_payees[duet.id], "0.5")]
    else:
        return []
    return [(payee, Decimal(share)) for payee, share in parts]


def _catalog_write(rows: CatalogRows) -> None:
    try:
        with transaction.atomic():
            Artist.objects.bulk_create(rows.artists, batch_size=2_000)
            Payee.objects.bulk_create(rows.payees, batch_size=2_000)
            Release.objects.bulk_create(rows.releases, batch_size=2_000)
            Track.objects.bulk_create(rows.tracks, batch_size=2_000)
            Split.objects.bulk_create(rows.splits, batch_size=2_000)
    except IntegrityError as exc:
        raise DemoDataError(
            "The demo catalog's ids (art-0001…, lbl-…, ISRCs, UPCs) collide with existing rows; "
            f"load into an empty database or use --reset ({exc})."
        ) from exc


def _demo_tracks() -> list[TrackRef]:
    """The demo distributors' tracks, in ISRC order (popularity is drawn over this order)."""
    names = [name for name, *_ in DISTRIBUTORS]
    rows = Track.objects.filter(distributor__name__in=names).order_by("isrc")
    return [
        TrackRef(isrc, ms, artist)
        for isrc, ms, artist in rows.values_list("isrc", "duration_ms", "artist_id")
    ]


# ---------------------------------------------------------------------------- audience


@dataclass
class Audience:
    """Listener profiles, the catalog's popularity, and the deliberately suspicious ones."""

    profiles: list[ListenerProfile]
    tracks: list[TrackRef]  # most popular first
    track_weights: list[float]  # cumulative, over `tracks`
    artist_tracks: dict[str, list[TrackRef]]
    unmatched: list[TrackRef]
    unmatched_weights: list[float]  # cumulative
    bot: str | None = None  # plays far more than a person can in one day
    shared_device: str | None = None
    shared_by: tuple[str, ...] = ()


def _zipf(count: int, exponent: float) -> list[float]:
    return list(accumulate(1 / (rank**exponent) for rank in range(1, count + 1)))


def _display_name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)[0]}."
    return f"{rng.choice(ADJECTIVES).lower()}{rng.choice(NOUNS).lower()}{rng.randint(1, 99)}"


def demo_audience_build(*, seed: int, listeners: int, catalog: Sequence[TrackRef]) -> Audience:
    """Listeners with stable plans, countries, devices, activity and favourite artists."""
    if not catalog:
        raise DemoDataError("The demo catalog has no tracks; run with --reset to rebuild it.")
    rng = _rng(seed, "audience")
    tracks = list(catalog)
    rng.shuffle(tracks)
    artist_tracks: dict[str, list[TrackRef]] = {}
    for track in tracks:
        artist_tracks.setdefault(track.artist_id, []).append(track)
    artist_weight: dict[str, float] = {}
    for rank, track in enumerate(tracks, start=1):
        artist_weight[track.artist_id] = artist_weight.get(track.artist_id, 0.0) + 1 / rank**TRACK_ZIPF
    artists = sorted(artist_weight)
    # Favourites are drawn flatter than overall popularity: fans of small artists exist.
    favorite_weights = list(accumulate(artist_weight[a] ** 0.5 for a in artists))

    catalog_isrcs = {t.isrc for t in catalog}
    unmatched = [
        TrackRef(
            f"{UNMATCHED_REGISTRANT}{rng.randint(18, 26):02d}{number:05d}", rng.randint(150, 300) * 1000, ""
        )
        for number in range(1, UNMATCHED_ISRCS + 1)
    ]
    unmatched = [t for t in unmatched if t.isrc not in catalog_isrcs]

    prices = settings.PLAN_PRICES
    paid = sorted(plan for plan, price in prices.items() if price > 0)
    free = sorted(plan for plan, price in prices.items() if price == 0)
    countries = list(COUNTRIES)
    country_weights = list(accumulate(weight for weight, _ in COUNTRIES.values()))
    width = max(5, len(str(listeners)))
    profiles: list[ListenerProfile] = []
    for number in range(1, listeners + 1):
        plan = rng.choice(paid) if paid and (not free or rng.random() < 0.85) else rng.choice(free)
        named = rng.random()
        name = _display_name(rng) if named < 0.3 else ""
        favorites = tuple(
            artists[bisect_right(favorite_weights, rng.random() * favorite_weights[-1])]
            for _ in range(rng.randint(1, 3))
        )
        profiles.append(
            ListenerProfile(
                id=f"L{number:0{width}d}",
                plan=plan,
                country=countries[bisect_right(country_weights, rng.random() * country_weights[-1])],
                devices=tuple(f"d-{rng.getrandbits(40):010x}" for _ in range(rng.randint(1, 2))),
                # Heavy-tailed: most listeners play a little, a few play a lot.
                activity=min(rng.lognormvariate(0, ACTIVITY_SIGMA), ACTIVITY_CAP)
                * (1.0 if prices[plan] > 0 else 0.6),
                favorites=favorites,
                display_name=name,
                show_to_artists=named < 0.2,
                pays_by_card=rng.random() < 0.8,
            )
        )

    audience = Audience(
        profiles=profiles,
        tracks=tracks,
        track_weights=_zipf(len(tracks), TRACK_ZIPF),
        artist_tracks=artist_tracks,
        unmatched=unmatched,
        unmatched_weights=_zipf(len(unmatched), 1.0),
    )
    sharers = settings.FRAUD_MAX_LISTENERS_PER_DEVICE + 2
    if listeners >= 2 * (sharers + 1):
        chosen = rng.sample(range(listeners), sharers + 1)
        # The bot pays, so that screening has a pool to hold back.
        bot = next((i for i in chosen if prices[profiles[i].plan] > 0), chosen[0])
        chosen.remove(bot)
        audience.bot = profiles[bot].id
        audience.shared_device = f"d-{rng.getrandbits(40):010x}"
        audience.shared_by = tuple(profiles[i].id for i in chosen)
        for i in chosen:
            profiles[i] = dataclasses.replace(profiles[i], devices=(audience.shared_device,))
    return audience


def _listeners_write(audience: Audience, *, seed: int, first_month: date) -> int:
    rng = _rng(seed, "signup")
    before = Listener.objects.count()
    Listener.objects.bulk_create(
        [
            Listener(
                id=p.id,
                display_name=p.display_name,
                show_to_artists=p.show_to_artists,
                created_at=month_start(first_month) - timedelta(days=rng.randint(1, 900)),
            )
            for p in audience.profiles
        ],
        batch_size=5_000,
        ignore_conflicts=True,  # listeners are shared by every demo month
    )
    return Listener.objects.count() - before


# ---------------------------------------------------------------------------- one month


@dataclass
class MonthCounts:
    streams: int = 0
    short_plays: int = 0
    unmatched_plays: int = 0
    revenue_records: int = 0
    without_revenue: int = 0
    idle: int = 0


def _idle(audience: Audience, *, seed: int, month: date) -> set[str]:
    """Paying listeners who play nothing this month; their pool has nowhere to go."""
    rng = _rng(seed, "idle", month)
    special = {audience.bot, *audience.shared_by}
    return {
        p.id
        for p in audience.profiles
        if settings.PLAN_PRICES[p.plan] > 0 and p.id not in special and rng.random() < IDLE_RATE
    }


def _revenue_write(
    audience: Audience, *, seed: int, month: date, idle: set[str], now: datetime, counts: MonthCounts
) -> None:
    """One subscription record per paying listener, except those billing has not reported."""
    rng = _rng(seed, "revenue", month)
    start = month_start(month)
    records: list[RevenueRecord] = []
    for p in audience.profiles:
        gross = settings.PLAN_PRICES[p.plan]
        if gross <= 0:
            continue
        if p.id not in idle and rng.random() < MISSING_REVENUE_RATE:
            counts.without_revenue += 1
            continue
        rate = COUNTRIES[p.country][1]
        tax = quantize_money(gross * rate / (1 + rate))
        fees = quantize_money(gross * CARD_FEE_RATE + CARD_FEE_FIXED) if p.pays_by_card else Decimal(0)
        records.append(
            RevenueRecord(
                id=f"inv-{month:%Y-%m}-{p.id}",
                listener_id=p.id,
                month=month,
                source=RevenueRecord.Source.SUBSCRIPTION,
                plan=p.plan,
                country=p.country,
                gross=gross,
                tax=tax,
                fees=min(fees, gross - tax),
                created_at=min(start + timedelta(minutes=rng.randrange(72 * 60)), now),
            )
        )
    RevenueRecord.objects.bulk_create(records, batch_size=5_000, ignore_conflicts=True)
    counts.revenue_records += len(records)


# No batch_id: demo events come from no ingestion batch; the live pools are rebuilt instead.
EVENT_COLUMNS = (
    "event_id", "listener_id", "isrc", "started_at", "duration_ms",
    "country", "tier", "device", "received_at",
)  # fmt: skip
EVENT_PG_TYPES = (
    "varchar", "varchar", "varchar", "timestamptz", "int4", "varchar", "varchar", "varchar", "timestamptz",
)  # fmt: skip
EventRow = tuple[str, str, str, datetime, int, str, str, str | None, datetime]
MakeEvent = Callable[[ListenerProfile, TrackRef, datetime, int, str | None], EventRow]


def demo_events_generate(
    audience: Audience,
    *,
    seed: int,
    month: date,
    count: int,
    now: datetime,
    idle: set[str],
    suspicious: bool,
    counts: MonthCounts,
) -> Iterator[list[EventRow]]:
    """`count` stream events (rows in EVENT_COLUMNS order) inside the month and before `now`,
    in chunks of at most CHUNK."""
    rng = _rng(seed, "events", month)
    start, end = _month_window(month, now)
    span = int((end - start).total_seconds())
    min_ms = settings.MIN_PLAY_MS
    random = rng.random  # the hot loop below runs once per event

    def event(p: ListenerProfile, track: TrackRef, at: datetime, ms: int, device: str | None) -> EventRow:
        counts.streams += 1
        counts.short_plays += ms < min_ms
        counts.unmatched_plays += not track.artist_id
        event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        received = min(at + timedelta(milliseconds=ms + 1_000 + int(random() * 59_000)), now)
        return (event_id, p.id, track.isrc, at, ms, p.country, p.plan, device, received)

    chunk: list[EventRow] = []
    if suspicious:
        chunk.extend(_suspicious_plays(audience, rng=rng, start=start, end=end, count=count, make=event))

    active = [p for p in audience.profiles if p.id not in idle] or audience.profiles
    listener_weights = list(accumulate(p.activity for p in active))
    unmatched_top = audience.unmatched_weights[-1] if audience.unmatched else 0.0
    remaining = count - len(chunk)
    while remaining > 0:
        size = min(CHUNK - len(chunk), remaining)
        remaining -= size
        who = rng.choices(active, cum_weights=listener_weights, k=size)
        popular = rng.choices(audience.tracks, cum_weights=audience.track_weights, k=size)
        for p, track in zip(who, popular, strict=True):
            roll = random()
            if roll < UNMATCHED_RATE and audience.unmatched:
                at_rank = bisect_right(audience.unmatched_weights, random() * unmatched_top)
                track = audience.unmatched[at_rank]
            elif roll < UNMATCHED_RATE + FAVORITE_RATE:
                track = rng.choice(audience.artist_tracks[rng.choice(p.favorites)])
            roll = random()
            if roll < SHORT_PLAY_RATE:
                ms = 1_000 + int(roll / SHORT_PLAY_RATE * (min_ms - 1_000))
            elif roll < 0.7:
                ms = track.duration_ms
            else:
                ms = min_ms + int(random() * max(track.duration_ms - min_ms, 1))
            device = None if random() < NO_DEVICE_RATE else rng.choice(p.devices)
            chunk.append(event(p, track, start + timedelta(seconds=int(random() * span)), ms, device))
        yield chunk
        chunk = []
    if chunk:
        yield chunk


def _suspicious_plays(
    audience: Audience, *, rng: random.Random, start: datetime, end: datetime, count: int, make: MakeEvent
) -> list[EventRow]:
    """Something for fraud screening to find: the shared device's plays and the bot's burst,
    as far as `count` leaves room for them (see `_planted`)."""
    plays: list[EventRow] = []
    span = int((end - start).total_seconds())
    by_id = {p.id: p for p in audience.profiles}
    shared, burst = _planted(audience, count)
    for listener in audience.shared_by[: shared // 2]:
        for track in rng.sample(audience.tracks[:50], min(2, len(audience.tracks))):
            at = start + timedelta(seconds=rng.randrange(span))
            plays.append(make(by_id[listener], track, at, track.duration_ms, audience.shared_device))
    if not burst or audience.bot is None:
        return plays
    # Just over the daily limit in one UTC day, spread over a few obscure tracks so that
    # only the streams-per-day rule fires, each play barely long enough to qualify.
    middle = start + (end - start) / 2
    day = datetime(middle.year, middle.month, middle.day, tzinfo=UTC)
    first, last = max(day, start), min(day + timedelta(days=1), end)
    seconds = max(1, int((last - first).total_seconds()))
    per_track = max(1, settings.FRAUD_MAX_TRACK_PLAYS_PER_DAY * 2 // 3)
    targets = audience.tracks[-(-burst // per_track) :]
    bot = by_id[audience.bot]
    for i in range(burst):
        at = first + timedelta(seconds=rng.randrange(seconds))
        ms = settings.MIN_PLAY_MS + rng.randrange(1_000, 10_000)
        plays.append(make(bot, targets[i % len(targets)], at, ms, bot.devices[0]))
    return plays


def _planted(audience: Audience, count: int) -> tuple[int, int]:
    """How many of `count` plays go to the shared device and to the bot's burst: none when
    the month is too small to carry them without crowding out ordinary listening."""
    shared = 2 * len(audience.shared_by) if count >= 100 else 0
    burst = settings.FRAUD_MAX_STREAMS_PER_DAY + BOT_EXCESS
    return shared, burst if audience.bot and count >= 2 * burst else 0


def _events_insert(rows: list[EventRow]) -> None:
    """Insert one chunk of events straight through the driver.

    `bulk_create` spends most of its time preparing every value through the model fields
    (about 20 s for 300,000 events on SQLite); the demo's first minute matters, and these
    rows are already in the database's types. COPY on PostgreSQL, executemany on SQLite.
    """
    table = connection.ops.quote_name(StreamEvent._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in EVENT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(EVENT_PG_TYPES)
                for row in rows:
                    copy.write_row(row)
        elif connection.vendor == "sqlite":
            when = _sqlite_datetime
            values = ", ".join(["%s"] * len(EVENT_COLUMNS))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({values})",  # noqa: S608 - our own names
                [(*row[:3], when(row[3]), *row[4:8], when(row[8])) for row in rows],
            )
        else:
            StreamEvent.objects.bulk_create(
                [StreamEvent(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in rows],
                batch_size=5_000,
            )


SQLITE_CACHE_KIB = 256 * 1024


def _sqlite_cache_grow() -> None:
    """Give SQLite a page cache the size of the demo's events and their indexes: with its
    default 2 MB it writes and rereads index pages all through the load."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def _sqlite_datetime(value: datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime, its naive UTC text, without
    its per-value conversions, which took a quarter of the demo's load time: in UTC, the
    text is the ISO form less its "+00:00"."""
    return value.astimezone(UTC).isoformat(" ")[:-6]


def _month_load(
    audience: Audience, *, seed: int, month: date, count: int, now: datetime, suspicious: bool
) -> MonthCounts:
    counts = MonthCounts()
    idle = _idle(audience, seed=seed, month=month)
    counts.idle = len(idle)
    _revenue_write(audience, seed=seed, month=month, idle=idle, now=now, counts=counts)
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
        _events_insert(chunk)
    return counts


def _month_has_events(month: date) -> int:
    start = month_start(month)
    return StreamEvent.objects.filter(
        started_at__gte=start, started_at__lt=month_start(next_month(month))
    ).count()


# ---------------------------------------------------------------------------- reset


STREAM_MODELS: tuple[type[models.Model], ...] = (
    StreamEvent, IngestBatch, RevenueRecord, ClosedMonth, Listener,
)  # fmt: skip
CATALOG_MODELS: tuple[type[models.Model], ...] = (Split, Track, Release, Payee, Artist, Distributor)
KEPT_MODELS: tuple[type[models.Model], ...] = (ApiClient, PortalAccount)


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


def _run_models() -> tuple[type[models.Model], ...]:
    """Payout runs and their allocation lines. Runs refer to no stream or catalog row (their
    results keep ids, not foreign keys), so `_dependents` would not find them."""
    return (apps.get_model("payouts", "PayoutRun"), apps.get_model("payouts", "AllocationLine"))


def demo_data_reset() -> str:
    """Delete listening and billing data, everything derived from it, and the demo catalog.

    Clears every stream event, revenue record, listener and closed month, every payout run
    with its holds, results and ledger, and every other row that refers to them or to the
    catalog. Keeps API clients, logins and any catalog that is not the demo's; keeps the
    demo catalog too when API clients or logins refer to it (it is then reused). Caller
    holds a transaction.
    """
    runs = _run_models()
    dependents = _dependents([*STREAM_MODELS, *CATALOG_MODELS, *runs])
    derived = [m for m in dependents if m not in CATALOG_MODELS]
    tables = [m._meta.db_table for m in [*derived[::-1], *runs, *STREAM_MODELS]]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from payouts.engine.scratch import scratch_drop

            # Unfinished runs have scratch tables of their own.
            for run_id in runs[0]._default_manager.values_list("pk", flat=True):
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


# ---------------------------------------------------------------------------- entry point


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
    current = now.date().replace(day=1)
    month = month or demo_month_default(now=now)
    if month > current:
        raise DemoDataError(f"{month:%Y-%m} has not started yet; pick this month or an earlier one.")
    start, end = _month_window(month, now)
    if end <= start:
        raise DemoDataError(f"{month:%Y-%m} has only just begun; try again in a few minutes.")
    summary = DemoSummary(month=month)
    _sqlite_cache_grow()
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

        catalog = _demo_tracks()
        summary.catalog_reused = bool(catalog)
        if not catalog:
            distributors = [Distributor.objects.get_or_create(name=name)[0] for name, *_ in DISTRIBUTORS]
            rows = demo_catalog_build(seed=seed, artists=artists, distributors=distributors, year=month.year)
            _catalog_write(rows)
            catalog = _demo_tracks()
        names = [name for name, *_ in DISTRIBUTORS]
        summary.distributors = Distributor.objects.filter(name__in=names).count()
        summary.artists = Artist.objects.filter(distributor__name__in=names).count()
        summary.releases = Release.objects.filter(distributor__name__in=names).count()
        summary.tracks = len(catalog)
        summary.payees = Payee.objects.filter(distributor__name__in=names).count()
        summary.splits = Split.objects.filter(track__distributor__name__in=names).count()

        audience = demo_audience_build(seed=seed, listeners=listeners, catalog=catalog)
        summary.listeners = _listeners_write(audience, seed=seed, first_month=month)
        counts = _month_load(audience, seed=seed, month=month, count=streams, now=now, suspicious=True)
        summary.streams = counts.streams
        summary.short_plays = counts.short_plays
        summary.unmatched_plays = counts.unmatched_plays
        summary.revenue_records = counts.revenue_records
        summary.premium_without_revenue = counts.without_revenue
        summary.idle_listeners = counts.idle

        live_start, live_end = _month_window(current, now)
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
        shared, burst = _planted(audience, streams)
        if burst:
            summary.notes.append(f"suspicious: listener {audience.bot} plays {burst} times on one day")
        if shared:
            sharing = len(audience.shared_by)
            summary.notes.append(
                f"suspicious: device {audience.shared_device} is shared by {sharing} listeners"
            )
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
