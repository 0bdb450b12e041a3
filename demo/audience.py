"""The demo's listeners: stable plans, countries, devices, activity and favourite artists,
the catalog's popularity, and the deliberately suspicious ones."""

import dataclasses
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from django.conf import settings

from demo.base import DemoDataError, demo_rng
from demo.catalog import UNMATCHED_REGISTRANT, TrackRef
from demo.words import ADJECTIVES, FIRST_NAMES, LAST_NAMES, NOUNS
from kalipxo.months import month_start
from streams.models import Listener

TRACK_ZIPF = 0.95
# Heavy-tailed listening, capped at 20 times the median listener: about 240 plays a day at
# the default pace. A person who plays more looks like a bot to the fraud rules (more than
# 200 plays of one favourite track in a day), and the demo plants exactly one bot.
ACTIVITY_SIGMA = 1.1
ACTIVITY_CAP = 20.0
UNMATCHED_ISRCS = 40

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
    rng = demo_rng(seed, "audience")
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


def listeners_write(audience: Audience, *, seed: int, first_month: date) -> int:
    rng = demo_rng(seed, "signup")
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
