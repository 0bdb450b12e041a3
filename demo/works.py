"""The demo's musical works: the songs its tracks record, with their writers, publishers and
links (docs/rules.md §4b Works).

Most tracks record one work of their own. Most works are written by the track's artist
(its own artist payee, as an artist who writes is paid), alone or with a songwriter, and
published by one of its distributor's publishers, half each; the rest are written by
songwriters alone. A few tracks are medleys of their own work and an earlier one, a few
are linked for part of the recording only, and some have no work yet, so their publishing
money waits in mechanical suspense. Each work belongs to its track's distributor.
"""

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction

from artists.models import Distributor, Payee, RecordingLink, Work, WorkShare
from demo.base import DemoDataError, demo_rng
from demo.catalog import CatalogRows
from demo.words import FIRST_NAMES, LAST_NAMES, NOUNS, PLACES
from kalipxo.validation import iswc_check_digit

PUBLISHERS_PER_DISTRIBUTOR = 2
WRITERS_PER_DISTRIBUTOR = 12
NO_WORK = 0.15  # tracks whose work nobody has linked yet
MEDLEY = 0.03  # tracks that also record an earlier work of the same distributor
PARTIAL = 0.05  # tracks linked for three quarters of the recording only
NO_ISWC = 0.1  # works registered without an ISWC yet
ARTIST_WRITES = 0.7
CO_WRITER = 0.4  # of the works an artist writes, those written with a songwriter
HALF, QUARTER = Decimal("0.5"), Decimal("0.25")


@dataclass
class WorkRows:
    """Unsaved rows, in the order they must be inserted."""

    payees: list[Payee] = field(default_factory=list)
    works: list[Work] = field(default_factory=list)
    shares: list[WorkShare] = field(default_factory=list)
    links: list[RecordingLink] = field(default_factory=list)


def iswc(number: int) -> str:
    """The ISWC T-DDD.DDD.DDD-C numbered `number`, with its check digit."""
    digits = f"{number:09d}"
    return f"T-{digits[:3]}.{digits[3:6]}.{digits[6:]}-{iswc_check_digit(digits)}"


def _ipi(rng: random.Random) -> str:
    return f"{rng.randrange(10**10):011d}"


People = dict[int, list[Payee]]  # distributor pk -> payees


def _people(rng: random.Random, distributors: list[Distributor]) -> tuple[People, People]:
    """Each distributor's songwriters and publishers, as payees of that distributor, numbered
    like its labels (by the distributor's place in demo.catalog.DISTRIBUTORS)."""
    writers: People = {}
    publishers: People = {}
    for index, distributor in enumerate(distributors, start=1):
        writers[distributor.pk] = [
            Payee(
                id=f"wri-{index}{n:02d}",
                kind=Payee.Kind.WRITER,
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                distributor=distributor,
            )
            for n in range(1, WRITERS_PER_DISTRIBUTOR + 1)
        ]
        publishers[distributor.pk] = [
            Payee(
                id=f"pub-{index}{n:02d}",
                kind=Payee.Kind.PUBLISHER,
                name=f"{rng.choice(NOUNS)} of {rng.choice(PLACES)} Publishing",
                distributor=distributor,
            )
            for n in range(1, PUBLISHERS_PER_DISTRIBUTOR + 1)
        ]
    return writers, publishers


def demo_works_build(*, seed: int, catalog: CatalogRows) -> WorkRows:
    """Works for the catalog's tracks (not for all of them), their shares and links."""
    rng = demo_rng(seed, "works")
    distributors = sorted({t.distributor for t in catalog.tracks if t.distributor}, key=lambda d: d.pk)
    writers, publishers = _people(rng, distributors)
    rows = WorkRows(payees=[p for d in distributors for p in writers[d.pk] + publishers[d.pk]])
    artist_payees = {p.id: p for p in catalog.payees if p.kind == Payee.Kind.ARTIST}
    earlier: dict[int, list[Work]] = {d.pk: [] for d in distributors}
    for number, track in enumerate(catalog.tracks, start=1):
        if track.distributor is None or rng.random() < NO_WORK:
            continue
        home = track.distributor.pk
        work = Work(
            id=f"wrk-{number:05d}",
            iswc=None if rng.random() < NO_ISWC else iswc(number),
            title=track.title,
            distributor=track.distributor,
        )
        publisher = rng.choice(publishers[home])
        if rng.random() < ARTIST_WRITES:
            artist = artist_payees[track.artist.id]
            if rng.random() < CO_WRITER:
                people = [(artist, QUARTER), (rng.choice(writers[home]), QUARTER)]
            else:
                people = [(artist, HALF)]
        else:
            people = [(rng.choice(writers[home]), HALF)]
        rows.works.append(work)
        for payee, share in [*people, (publisher, HALF)]:
            ipi = None if payee.kind == Payee.Kind.ARTIST else _ipi(rng)
            rows.shares.append(WorkShare(work=work, payee=payee, share=share, ipi=ipi))
        if earlier[home] and rng.random() < MEDLEY:
            other = rng.choice(earlier[home])
            rows.links += [
                RecordingLink(track=track, work=work, share=HALF),
                RecordingLink(track=track, work=other, share=HALF),
            ]
        else:
            share = Decimal("0.75") if rng.random() < PARTIAL else Decimal(1)
            rows.links.append(RecordingLink(track=track, work=work, share=share))
        earlier[home].append(work)
    return rows


def works_write(rows: WorkRows) -> None:
    try:
        with transaction.atomic():
            Payee.objects.bulk_create(rows.payees, batch_size=2_000)
            Work.objects.bulk_create(rows.works, batch_size=2_000)
            WorkShare.objects.bulk_create(rows.shares, batch_size=2_000)
            RecordingLink.objects.bulk_create(rows.links, batch_size=2_000)
    except IntegrityError as exc:
        raise DemoDataError(
            "The demo works' ids (wrk-…, wri-…, pub-…, ISWCs) collide with existing rows; "
            f"load into an empty database or use --reset ({exc})."
        ) from exc
