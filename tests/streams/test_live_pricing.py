"""The live pools' money, computed at read time, against exact user-centric maths, property-based.

Plays reach the apply script (streams/live/apply.lua) in batches of any shape, and each
listener's state lands in one of the shards. Whatever the batches, every money figure must
be within its stated bound (a rounding per listener) of the exact value, the counts must
be exact, and top fans must be the exact top fans. Needs Redis (the scripts run there);
no database.
"""

import itertools
import math
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artists.settlement import TrackSettlement
from streams.live import pricing, store
from streams.live.updates import weights_for
from tests.workers import wait_until

pytestmark = pytest.mark.redis

MONTH = date(2031, 1, 1)  # a month of its own: nothing else writes there
UNITS = store.UNITS
TRACKS: dict[str, TrackSettlement] = {
    "T1": TrackSettlement("art-1", (("art-1", Decimal(1)),)),
    "T2": TrackSettlement("art-1", (("art-1", Decimal("0.7")), ("lbl", Decimal("0.3")))),
    "T3": TrackSettlement("art-2", (("art-2", Decimal(1)),)),
    "T4": TrackSettlement("art-3", (("art-3", Decimal("0.5")), ("art-1", Decimal("0.5")))),
}
POOLS = {f"L{n}": (n + 1) * 1_234_567_891 for n in range(9)}  # units, distinct per listener


def clear() -> None:
    keys = list(store.client().scan_iter(match=store.prefix(MONTH) + ":*", count=1000))
    if keys:
        store.client().unlink(*keys)


@pytest.fixture
def month() -> Iterator[None]:
    clear()
    yield
    clear()


plays = st.tuples(st.sampled_from(sorted(POOLS)), st.sampled_from(sorted(TRACKS)), st.integers(1, 40))
# Revenue recorded mid-month: the listener's pool becomes what it paid (units), for good.
revenue = st.tuples(st.sampled_from(sorted(POOLS)), st.just("rev"), st.integers(0, 30_000_000_000))
events = st.lists(st.one_of(plays, plays, plays, revenue), min_size=1, max_size=40)
Event = tuple[str, str, int]


def apply_batch(batch: list[Event], marker: str) -> None:
    merged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    paid: dict[str, int] = {}
    for listener, isrc, value in batch:
        if isrc == "rev":
            paid[listener] = value
        else:
            merged[listener][isrc] += value
    payload: dict[str, dict[str, Any]] = {}
    for listener in set(merged) | set(paid):
        entry: dict[str, Any] = {"plan": POOLS[listener]}
        if listener in paid:
            entry["rev"] = paid[listener]
        if tracks := merged.get(listener):
            weights: dict[str, int] = defaultdict(int)
            for isrc, count in tracks.items():
                for target, weight in weights_for(isrc, count, TRACKS[isrc]).items():
                    weights[target] += weight
            entry["n"], entry["w"] = sum(tracks.values()), dict(weights)
        payload[listener] = entry
    assert store.apply_update(month=MONTH, payload=payload, marker=marker) == "ok"


def exact(all_events: list[Event]) -> tuple[dict[str, Fraction], dict[str, Fraction], dict]:
    """Artist gross and payee amounts in units, and each artist's fans, from the maths."""
    per_listener: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pools = dict(POOLS)
    for listener, isrc, value in all_events:
        if isrc == "rev":
            pools[listener] = value
        else:
            per_listener[listener][isrc] += value
    gross: dict[str, Fraction] = defaultdict(Fraction)
    amount: dict[str, Fraction] = defaultdict(Fraction)
    fans: dict[str, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for listener, tracks in per_listener.items():
        total = sum(tracks.values())
        for isrc, count in tracks.items():
            money = Fraction(pools[listener] * count, total)
            settlement = TRACKS[isrc]
            gross[settlement.artist_id] += money
            fans[settlement.artist_id][listener] += money
            for payee, share in settlement.payees:
                amount[payee] += money * Fraction(share)
    return gross, amount, fans


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    all_plays=events,
    cuts=st.lists(st.integers(1, 40), max_size=10),
    limit=st.integers(1, 3),
)
def test_live_money_is_exact_within_its_bound_and_fans_are_exact(
    month: None, all_plays: list[Event], cuts: list[int], limit: int
) -> None:
    clear()
    bounds = sorted({0, len(all_plays), *(c for c in cuts if c < len(all_plays))})
    for n, (first, last) in enumerate(itertools.pairwise(bounds)):
        apply_batch(all_plays[first:last], marker=f"b{n}")
    gross, amount, fans = exact(all_plays)
    for artist in ("art-1", "art-2", "art-3"):
        live = pricing.read_artist(month=MONTH, artist_id=artist)
        bound = pricing.rounding_bound(live.contributions)
        assert live.listeners <= len(POOLS) and live.contributions <= 3 * len(POOLS)
        for stored, want in ((live.gross, gross[artist]), (live.amount, amount[artist])):
            assert abs(stored - want) <= bound, (artist, stored, float(want), bound)
            # Half a unit per listener is the real error: the bound is not loose by more.
            assert abs(stored - want) <= Fraction(live.contributions, 2) + Fraction(1, 1000)
        played = {who for who, isrc, _ in all_plays if isrc != "rev" and TRACKS[isrc].artist_id == artist}
        assert live.listeners == len(played)
        assert live.streams == sum(
            value for _, isrc, value in all_plays if isrc != "rev" and TRACKS[isrc].artist_id == artist
        )
        top = pricing.artist_money(month=MONTH, artist_id=artist, fans=limit).fans
        amounts = ((listener, math.floor(money + Fraction(1, 2))) for listener, money in fans[artist].items())
        # A fan whose pool gave nothing (revenue of 0) is not a top fan: the API lists none.
        want_top = sorted(
            ((f, units) for f, units in amounts if units > 0), key=lambda fan: (-fan[1], fan[0])
        )
        want_top = want_top[:limit]
        assert [(listener, units) for listener, units, _ in top] == want_top


def test_the_figures_of_an_artist_with_many_listeners_are_shared_for_a_moment(
    month: None, settings: Any
) -> None:
    """Computing an artist's money costs as many reads as it has listeners: an artist with
    at least LIVE_READ_CACHE_LISTENERS is computed once per LIVE_READ_CACHE_SECONDS (its
    counts are always read fresh); a smaller one on every read."""
    settings.LIVE_READ_CACHE_LISTENERS = 2
    settings.LIVE_READ_CACHE_SECONDS = 2
    apply_batch([("L1", "T1", 1), ("L2", "T1", 1)], marker="c1")
    first = pricing.artist_money(month=MONTH, artist_id="art-1")
    assert first.listeners == 2
    apply_batch([("L3", "T1", 5)], marker="c2")
    assert pricing.artist_money(month=MONTH, artist_id="art-1") == first
    assert pricing.read_artist(month=MONTH, artist_id="art-1").streams == 7
    wait_until(lambda: pricing.artist_money(month=MONTH, artist_id="art-1").listeners == 3, timeout=10)

    settings.LIVE_READ_CACHE_LISTENERS = 10  # now below the threshold: never kept
    pricing.artist_money(month=MONTH, artist_id="art-2")
    apply_batch([("L4", "T3", 1)], marker="c3")
    assert pricing.artist_money(month=MONTH, artist_id="art-2").listeners == 1
