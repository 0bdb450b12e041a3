"""A small month pushed through the public API, and docs/rules.md §2 computed by hand for it.

`expected_payouts` is deliberately independent of the code under test: plain Fractions,
written from the words of docs/rules.md §2, with its own largest-remainder rounding.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from rest_framework.test import APIClient

MONTH = "2026-10"
SHARE = Fraction(85, 100)
MIN_PLAY_MS = 30_000

# ISRC -> (artist, {payee: share}); ISRCs absent here are not in the catalog.
CATALOG: dict[str, tuple[str, dict[str, Fraction]]] = {
    "QZKPX2600001": ("art-1", {"art-1": Fraction(8, 10), "lbl-1": Fraction(2, 10)}),
    "QZKPX2600002": ("art-2", {"art-2": Fraction(1)}),
    "QZKPX2600003": ("art-3", {"art-3": Fraction(1, 2), "art-1": Fraction(1, 2)}),
}
UNMATCHED = "ZZXXX2600009"


def catalog_body() -> list[dict[str, Any]]:
    names = {"art-1": "Artist One", "art-2": "Artist Two", "art-3": '=HYPERLINK("x")'}
    body = []
    for isrc, (artist, splits) in CATALOG.items():
        item: dict[str, Any] = {
            "isrc": isrc, "title": f"Song {isrc[-1]}", "duration_ms": 200_000,
            "artist": {"id": artist, "name": names[artist]},
        }  # fmt: skip
        if splits != {artist: 1}:
            item["splits"] = [
                {
                    "payee": {
                        "id": payee,
                        "kind": "label" if payee.startswith("lbl") else "artist",
                        "name": names.get(payee, "Label One"),
                    },
                    "share": str(Decimal(share.numerator) / Decimal(share.denominator)),
                }
                for payee, share in splits.items()
            ]
        body.append(item)
    return body


@dataclass
class Month:
    """Plays as (listener, isrc, count[, day, duration, device]) and what listeners paid."""

    plays: list[tuple[Any, ...]]
    paid: dict[str, str]  # listener -> net paid ("14.99")
    events: list[dict[str, Any]] = field(default_factory=list)

    def build_events(self, *, prefix: str = "ev") -> list[dict[str, Any]]:
        events, n = [], 0
        for play in self.plays:
            listener, isrc, count = play[:3]
            day = play[3] if len(play) > 3 else None  # None: spread over the month
            duration = play[4] if len(play) > 4 else 180_000
            device = play[5] if len(play) > 5 else f"d-{listener}"
            for i in range(count):
                events.append(
                    {"event_id": f"{prefix}-{n}", "listener": listener, "isrc": isrc,
                     "started_at": f"{MONTH}-{day or 1 + i % 28:02d}T{(i // 60) % 24:02d}:{i % 60:02d}:00Z",
                     "duration_ms": duration, "country": "US", "tier": "premium", "device": device}
                )  # fmt: skip
                n += 1
        self.events = events
        return events


def push(month: Month, *, admin: APIClient, ingest: APIClient, billing: APIClient) -> None:
    """Catalog, revenue and events through the public API."""
    assert admin.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    revenue = [
        {"id": f"inv-{MONTH}-{listener}", "listener": listener, "month": MONTH, "source": "subscription",
         "plan": "premium", "country": "US", "gross": paid, "tax": "0.00", "fees": "0.00"}
        for listener, paid in month.paid.items()
    ]  # fmt: skip
    if revenue:
        assert billing.post("/api/v1/revenue", revenue, format="json").status_code == 201
    events = month.build_events()
    for first in range(0, len(events), 1000):
        answer = ingest.post("/api/v1/streams", events[first : first + 1000], format="json")
        assert answer.status_code == 202, answer.content
        assert not answer.json()["rejected"]


def _largest_remainder(exact: Mapping[tuple[str, str], Fraction], total: int) -> dict[tuple[str, str], int]:
    floors = {key: int(value * 100 // 1) for key, value in exact.items()}
    left = total - sum(floors.values())
    order = sorted(exact, key=lambda key: (-(exact[key] * 100 - floors[key]), key))
    for key in order[:left]:
        floors[key] += 1
    return floors


@dataclass
class Expected:
    payees: dict[str, int]
    suspense: dict[str, int]
    retained: int
    total: int
    gross: dict[str, Fraction]
    payee_streams: dict[str, int]
    payee_exact: dict[str, Fraction] = field(default_factory=dict)  # before the rounding


def expected_payouts(
    plays: Iterable[tuple[Any, ...]],
    paid: Mapping[str, str],
    *,
    rejected: Iterable[str] = (),
    unallocated_policy: str = "pro_rata",
) -> Expected:
    """docs/rules.md §2 by hand: pools, P × c / T, spread, splits, suspense, one rounding per payee."""
    rejected = set(rejected)
    pools = {listener: Fraction(Decimal(value)) * SHARE for listener, value in paid.items()}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for play in plays:
        listener, isrc, count = play[:3]
        duration = play[4] if len(play) > 4 else 180_000
        if duration >= MIN_PLAY_MS and listener not in rejected:
            counts[listener][isrc] += count
    track: dict[str, Fraction] = defaultdict(Fraction)
    streams: dict[str, int] = defaultdict(int)
    for listener, tracks in counts.items():
        total = sum(tracks.values())
        for isrc, count in tracks.items():
            track[isrc] += pools.get(listener, Fraction(0)) * count / total
            streams[isrc] += count
    retained = sum((pools[p] for p in rejected if p in pools), Fraction(0))
    unallocated = sum(
        (pool for p, pool in pools.items() if p not in counts and p not in rejected), Fraction(0)
    )
    month_streams = sum(streams.values())
    if unallocated_policy == "pro_rata" and month_streams:
        for isrc, count in streams.items():
            track[isrc] += unallocated * count / month_streams
    else:
        retained += unallocated
    exact: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    gross: dict[str, Fraction] = defaultdict(Fraction)
    payee_streams: dict[str, int] = defaultdict(int)
    for isrc, money in track.items():
        if isrc not in CATALOG:
            exact[("suspense", isrc)] += money
            continue
        artist, splits = CATALOG[isrc]
        gross[artist] += money
        for payee, share in splits.items():
            exact[("payee", payee)] += money * share
            payee_streams[payee] += streams[isrc]
    exact[("retained", "")] += retained
    total = round(sum(pools.values(), Fraction(0)) * 100)
    rounded = _largest_remainder(exact, total)
    return Expected(
        payees={key: v for (kind, key), v in rounded.items() if kind == "payee"},
        suspense={key: v for (kind, key), v in rounded.items() if kind == "suspense"},
        retained=rounded[("retained", "")],
        total=total,
        gross=dict(gross),
        payee_streams=dict(payee_streams),
        payee_exact={key: v for (kind, key), v in exact.items() if kind == "payee"},
    )


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def store(month: Month) -> None:
    """Revenue and events through the ingestion services (no HTTP), in API-sized batches."""
    from streams.ingest import stream_events_ingest
    from streams.revenue import revenue_records_ingest

    revenue = [
        {"id": f"inv-{MONTH}-{listener}", "listener": listener, "month": MONTH, "source": "subscription",
         "plan": "premium", "country": "US", "gross": paid, "tax": "0.00", "fees": "0.00"}
        for listener, paid in month.paid.items()
    ]  # fmt: skip
    if revenue:
        revenue_records_ingest(items=revenue)
    events = month.build_events()
    for first in range(0, len(events), 1000):
        assert not stream_events_ingest(items=events[first : first + 1000]).rejected
