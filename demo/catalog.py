"""The demo catalog: distributors, artists with their payees, labels, producers, releases
with UPCs, tracks with ISRCs and splits, built from the seed and written in one go."""

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.db import IntegrityError, transaction

from artists.models import Artist, Distributor, Payee, Release, Split, Track
from demo.base import DemoDataError, demo_rng
from demo.words import (
    ADJECTIVES,
    FIRST_NAMES,
    LABEL_SUFFIXES,
    LAST_NAMES,
    NOUNS,
    PLACES,
    PLURALS,
    SYLLABLES,
    VERBS,
)

# (name, ISRC country + registrant, UPC company prefix, share of the artists)
DISTRIBUTORS: tuple[tuple[str, str, str, float], ...] = (
    ("Northwind Music", "QZNW4", "840317", 0.45),
    ("Bluebird Distribution", "QZBB8", "196852", 0.35),
    ("Harbor Records Group", "QZHR2", "197442", 0.20),
)
UNMATCHED_REGISTRANT = "QMX4P"  # a registrant none of the demo distributors uses
LABELS_PER_DISTRIBUTOR = 3
PRODUCERS = 30


@dataclass(frozen=True)
class TrackRef:
    """What event generation needs of a catalog track."""

    isrc: str
    duration_ms: int
    artist_id: str


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
    rng = demo_rng(seed, "catalog")
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


def catalog_write(rows: CatalogRows) -> None:
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


def demo_tracks() -> list[TrackRef]:
    """The demo distributors' tracks, in ISRC order (popularity is drawn over this order)."""
    names = [name for name, *_ in DISTRIBUTORS]
    rows = Track.objects.filter(distributor__name__in=names).order_by("isrc")
    return [
        TrackRef(isrc, ms, artist)
        for isrc, ms, artist in rows.values_list("isrc", "duration_ms", "artist_id")
    ]
