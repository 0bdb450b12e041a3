"""Threshold comparison (docs/rules.md §2 "Comparison models", after Spotify): pro-rata among the
tracks with at least 1,000 streams over the trailing 12 months.

Worked months by hand, an independent implementation compared on generated months, and
properties: conservation to the cent, pro-rata as its special case, monotonicity.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payouts.maths import Allocation, TrackPayees
from payouts.maths.pro_rata import allocate_pro_rata, pro_rata_from_parts
from payouts.maths.threshold import RULE, allocate_threshold, passing_tracks, threshold_from_parts
from payouts.maths.user_centric import ListenerMonth, user_centric_parts

A, B, C, U = "QZKPX2600001", "QZKPX2600002", "QZKPX2600003", "ZZXXX2600009"  # U is not in the catalog
CATALOG: TrackPayees = {
    A: [("art-1", Decimal("0.8")), ("lbl-1", Decimal("0.2"))],
    B: [("art-2", 1)],
    C: [("art-3", 1)],
}
ARTISTS = {A: "art-1", B: "art-2", C: "art-3"}


def test_rule_is_one_line() -> None:
    assert RULE and "\n" not in RULE


def test_a_track_under_the_bar_leaves_both_sides_of_the_division() -> None:
    """Pool 100.00. A: 3,000 streams this month, 12,000 over 12 months: passes. B: 500 this
    month, 999 over 12 months: earns nothing. U (unmatched): 1,000 and exactly 1,000: passes,
    its share to suspense. C: 5,000 over 12 months but none this month: nothing.
    Counted streams 3,000 + 1,000 = 4,000: A 75.00 (art-1 60.00, lbl-1 15.00), U 25.00.
    (Pro-rata by all 4,500 streams: A 66.67, B 11.11, U 22.22.)
    """
    result = allocate_threshold(
        pool=Decimal("100.00"),
        streams={A: 3000, B: 500, U: 1000},
        trailing_streams={A: 12_000, B: 999, U: 1000, C: 5000},
        track_payees=CATALOG,
        track_artists=ARTISTS,
        places=2,
    )
    assert result.payees == {"art-1": 6000, "lbl-1": 1500}
    assert result.suspense == {U: 2500}
    assert (result.retained, result.total_minor) == (0, 10000)
    assert result.streams == {A: 3000, U: 1000}  # the streams that counted
    assert result.artist_gross == {"art-1": 75}


def test_the_same_month_from_a_runs_parts() -> None:
    """L1 (12.00): 3 × A; L2 (6.00): 5 × B, 1 × U; idle (2.00): no stream; bot (7.00,
    rejected): 50 × B. Trailing: A 1,000, B 999, U 1,200. The comparison pool is
    12 + 6 + 2 = 20.00 (the idle pool too, as pro-rata); A and U pass with 3 + 1 streams:
    A 15.00 (art-1 12.00, lbl-1 3.00), U 5.00; the bot's 7.00 is retained: 27.00 in all.
    """
    listeners = [
        ListenerMonth(listener="L1", pool=Decimal("12.00"), plays={A: 3}),
        ListenerMonth(listener="L2", pool=Decimal("6.00"), plays={B: 5, U: 1}),
        ListenerMonth(listener="idle", pool=Decimal("2.00"), plays={}),
        ListenerMonth(listener="bot", pool=Decimal("7.00"), plays={B: 50}, rejected=True),
    ]
    result = threshold_from_parts(
        parts=user_centric_parts(listeners),
        trailing_streams={A: 1000, B: 999, U: 1200},
        track_payees=CATALOG,
        places=2,
    )
    assert result.payees == {"art-1": 1200, "lbl-1": 300}
    assert result.suspense == {U: 500}
    assert (result.retained, result.total_minor) == (700, 2700)


def test_when_no_track_passes_nothing_is_paid_and_the_pool_is_retained() -> None:
    """Same month, every track under the bar: no payee, no suspense, all 27.00 retained;
    20.00 of it because nothing passed (retained − rejected)."""
    listeners = [
        ListenerMonth(listener="L1", pool=Decimal("12.00"), plays={A: 3}),
        ListenerMonth(listener="L2", pool=Decimal("6.00"), plays={B: 5, U: 1}),
        ListenerMonth(listener="idle", pool=Decimal("2.00"), plays={}),
        ListenerMonth(listener="bot", pool=Decimal("7.00"), plays={B: 50}, rejected=True),
    ]
    result = threshold_from_parts(
        parts=user_centric_parts(listeners), trailing_streams={A: 999}, track_payees=CATALOG, places=2
    )
    assert (result.payees, result.suspense, result.track_gross, result.streams) == ({}, {}, {}, {})
    assert (result.retained, result.total_minor) == (2700, 2700)
    assert result.retained_exact == result.pools_exact
    assert result.retained_exact - result.rejected_exact == 20


def test_trailing_counts_must_include_the_month() -> None:
    with pytest.raises(ValueError, match="12 months"):
        passing_tracks(streams={A: 10}, trailing_streams={A: 9})
    with pytest.raises(ValueError, match="non-negative"):
        passing_tracks(streams={A: 10}, trailing_streams={A: -1})
    # An ISRC missing from the trailing counts has only this month's streams.
    assert passing_tracks(streams={A: 1000, B: 999}, trailing_streams={}) == {A}


# --- an independent implementation, and properties -------------------------------------

ISRCS = [A, B, C, "QZKPX2600004", U, "ZZXXX2600008"]
PAYEES = ["p0", "p1", "p2", "p3"]


@dataclass
class Month:
    listeners: list[ListenerMonth]
    catalog: dict[str, list[tuple[str, Fraction]]]
    earlier: dict[str, int]  # streams of the 11 months before, per ISRC
    min_streams: int

    @property
    def streams(self) -> dict[str, int]:
        return dict(user_centric_parts(self.listeners).streams)

    @property
    def trailing(self) -> dict[str, int]:
        month = self.streams
        return {isrc: month.get(isrc, 0) + self.earlier.get(isrc, 0) for isrc in {*month, *self.earlier}}


@st.composite
def months(draw: st.DrawFn) -> Month:
    catalog: dict[str, list[tuple[str, Fraction]]] = {}
    for isrc in ISRCS[:4]:
        payees = draw(st.lists(st.sampled_from(PAYEES), min_size=1, max_size=3, unique=True))
        weights = draw(st.lists(st.integers(1, 9), min_size=len(payees), max_size=len(payees)))
        catalog[isrc] = [(p, Fraction(w, sum(weights))) for p, w in zip(payees, weights, strict=True)]
    listeners = [
        ListenerMonth(
            listener=f"L{n}",
            pool=draw(st.integers(0, 5_000_000).map(lambda v: Decimal(v).scaleb(-4))),
            plays=draw(st.dictionaries(st.sampled_from(ISRCS), st.integers(0, 60), max_size=4)),
            rejected=draw(st.sampled_from([False, False, False, True])),
        )
        for n in range(draw(st.integers(0, 10)))
    ]
    earlier = draw(st.dictionaries(st.sampled_from(ISRCS), st.integers(0, 300)))
    return Month(listeners=listeners, catalog=catalog, earlier=earlier, min_streams=draw(st.integers(0, 400)))


def by_hand(month: Month) -> tuple[dict[str, Fraction], dict[str, Fraction], Fraction]:
    """Payees, suspense and retained, exact, listener by listener from the rules' words."""
    pool, retained = Fraction(0), Fraction(0)
    streams: dict[str, int] = defaultdict(int)
    for item in month.listeners:
        if item.rejected:
            retained += Fraction(item.pool)
            continue
        pool += Fraction(item.pool)
        for isrc, count in item.plays.items():
            streams[isrc] += count
    passing = {
        isrc: count
        for isrc, count in streams.items()
        if count and count + month.earlier.get(isrc, 0) >= month.min_streams
    }
    counted = sum(passing.values())
    if not counted:
        return {}, {}, retained + pool
    payees: dict[str, Fraction] = defaultdict(Fraction)
    suspense: dict[str, Fraction] = {}
    for isrc, count in passing.items():
        if isrc in month.catalog:
            for payee, share in month.catalog[isrc]:
                payees[payee] += pool * count * share / counted
        else:
            suspense[isrc] = pool * count / counted
    return dict(payees), suspense, retained


def from_parts(month: Month, *, min_streams: int | None = None) -> Allocation:
    return threshold_from_parts(
        parts=user_centric_parts(month.listeners),
        trailing_streams=month.trailing,
        track_payees=month.catalog,
        min_streams=month.min_streams if min_streams is None else min_streams,
        places=2,
    )


@settings(max_examples=150, deadline=None)
@given(month=months())
def test_matches_the_listener_by_listener_reckoning_and_is_conserved(month: Month) -> None:
    result = from_parts(month)
    assert (result.payee_exact, result.suspense_exact, result.retained_exact) == by_hand(month)
    exact_total = sum((Fraction(item.pool) for item in month.listeners), Fraction(0))
    lines = [*result.payees.values(), *result.suspense.values(), result.retained]
    assert sum(lines) == result.total_minor == round(exact_total * 100)
    assert all(line >= 0 for line in lines)
    for payee, amount in result.payees.items():
        assert abs(amount - result.payee_exact[payee] * 100) < 1
    for isrc, amount in result.suspense.items():
        assert abs(amount - result.suspense_exact[isrc] * 100) < 1


@settings(max_examples=100, deadline=None)
@given(month=months())
def test_is_pro_rata_when_every_track_passes(month: Month) -> None:
    pro_rata = pro_rata_from_parts(
        parts=user_centric_parts(month.listeners), track_payees=month.catalog, places=2
    )
    assert from_parts(month, min_streams=0) == pro_rata
    # min_streams at the lowest trailing count of a streamed track: everything still passes.
    lowest = min((month.trailing[isrc] for isrc, count in month.streams.items() if count), default=0)
    assert from_parts(month, min_streams=lowest) == pro_rata


@settings(max_examples=100, deadline=None)
@given(
    pool=st.integers(0, 10**9).map(lambda n: Decimal(n).scaleb(-4)),
    streams=st.dictionaries(st.sampled_from(ISRCS), st.integers(0, 10**6)),
)
def test_one_call_form_is_pro_rata_when_every_track_passes(pool: Decimal, streams: dict[str, int]) -> None:
    result = allocate_threshold(
        pool=pool, streams=streams, trailing_streams={}, track_payees=CATALOG, min_streams=0, places=2
    )
    assert result == allocate_pro_rata(pool=pool, streams=streams, track_payees=CATALOG, places=2)


@settings(max_examples=100, deadline=None)
@given(month=months(), higher=st.integers(0, 400))
def test_a_higher_bar_pays_fewer_tracks_and_the_survivors_more(month: Month, higher: int) -> None:
    low, high = sorted((month.min_streams, higher))
    at_low, at_high = from_parts(month, min_streams=low), from_parts(month, min_streams=high)
    assert set(at_high.track_gross) <= set(at_low.track_gross)
    for isrc, gross in at_high.track_gross.items():
        assert gross >= at_low.track_gross[isrc]
    assert at_high.total_minor == at_low.total_minor


@settings(max_examples=100, deadline=None)
@given(month=months())
def test_a_passing_track_earns_at_least_pro_rata_and_a_failing_one_nothing(month: Month) -> None:
    result = from_parts(month)
    pro_rata = pro_rata_from_parts(parts=user_centric_parts(month.listeners), track_payees=month.catalog)
    passing = passing_tracks(
        streams=month.streams, trailing_streams=month.trailing, min_streams=month.min_streams
    )
    assert set(result.track_gross) == passing
    for isrc in passing:
        assert result.track_gross[isrc] >= pro_rata.track_gross[isrc]
    assert set(result.suspense) <= passing - set(month.catalog)
