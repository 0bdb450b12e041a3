"""Artist-centric comparison (docs/rules.md §2 "Comparison models", after Deezer): a weighted pro-rata.

Worked months by hand, an independent stream-by-stream implementation compared on generated
months, and properties: conservation to the cent, pro-rata as its special case, monotonicity.
"""

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payouts.maths import Allocation, TrackPayees
from payouts.maths.artist_centric import (
    RULE,
    AudienceParts,
    allocate_artist_centric,
    artist_centric_from_parts,
    audience_parts,
    professional_artists,
    track_weights,
)
from payouts.maths.pro_rata import allocate_pro_rata, pro_rata_from_parts
from payouts.maths.user_centric import ListenerMonth, UserCentricParts, user_centric_parts

P1, N1, U = "QZKPX2600001", "QZKPX2600002", "ZZXXX2600009"  # U is not in the catalog
CATALOG: TrackPayees = {P1: [("art-pro", Decimal("0.8")), ("lbl-1", Decimal("0.2"))], N1: [("art-small", 1)]}
ARTISTS = {P1: "art-pro", N1: "art-small"}


def test_rule_is_one_line() -> None:
    assert RULE and "\n" not in RULE


def test_a_month_with_the_default_policy() -> None:
    """500 fans make art-pro professional; a heavy listener is halved; the bot counts nowhere.

    - 500 fans, pool 1.00 each, 2 streams of P1 each: 1,000 streams, 500 listeners.
    - heavy, pool 150.00: 500 × P1 and 1,500 × N1, N = 2,000 > 1,000: factor 1/2.
    - solo, pool 50.00: 250 × N1 and 250 × U (unmatched), N = 500: factor 1.
    - idle, pool 50.00, no stream: its pool is in the comparison pool (as pro-rata).
    - bot, pool 10.00, 5,000 × N1, rejected: retained, its streams count nowhere.
    art-pro: 1,500 streams, 501 listeners: professional. art-small: 1,750 streams but 2
    listeners: not. U alone: 250 streams, 1 listener: not.
    Weights: P1 = 1,000 × 1 × 2 + 500 × 1/2 × 2 = 2,500; N1 = 1,500 × 1/2 + 250 = 1,000;
    U = 250; W = 3,750. Pool 500 + 150 + 50 + 50 = 750.00, 0.20 a weight:
    P1 500.00 (art-pro 400.00, lbl-1 100.00), N1 200.00 (art-small), U 50.00 to suspense.
    (Pro-rata, by 3,500 streams: N1 would get 750 × 1,750 / 3,500 = 375.00.)
    """
    listeners = [
        *(ListenerMonth(listener=f"fan{n}", pool=Decimal("1.00"), plays={P1: 2}) for n in range(500)),
        ListenerMonth(listener="heavy", pool=Decimal("150.00"), plays={P1: 500, N1: 1500}),
        ListenerMonth(listener="solo", pool=Decimal("50.00"), plays={N1: 250, U: 250}),
        ListenerMonth(listener="idle", pool=Decimal("50.00"), plays={}),
        ListenerMonth(listener="bot", pool=Decimal("10.00"), plays={N1: 5000}, rejected=True),
    ]
    result = artist_centric_from_parts(
        parts=user_centric_parts(listeners),
        audience=audience_parts(listeners, track_artists=ARTISTS),
        track_payees=CATALOG,
        track_artists=ARTISTS,
        places=2,
    )
    assert result.payees == {"art-pro": 40000, "lbl-1": 10000, "art-small": 20000}
    assert result.suspense == {U: 5000}
    assert (result.retained, result.total_minor) == (1000, 76000)
    assert result.streams == {P1: 1500, N1: 1750, U: 250}  # streams, not weights
    assert result.artist_gross == {"art-pro": 500, "art-small": 200}
    pro_rata = pro_rata_from_parts(parts=user_centric_parts(listeners), track_payees=CATALOG)
    assert pro_rata.track_gross[N1] == 375


def test_two_listeners_one_heavy() -> None:
    """With 2 listeners needed to be professional (policy), art-a is and art-b is not.

    light, pool 10.00: 200 × A (N = 200, factor 1). heavy, pool 10.00: 900 × A, 1,100 × B
    (N = 2,000, factor 1/2). art-a: 1,100 streams, 2 listeners: professional; art-b: 1,100
    streams, 1 listener: not. A = 200 × 2 + 900 × 1/2 × 2 = 1,300; B = 1,100 × 1/2 = 550.
    A gets 20 × 1,300 / 1,850 = 14.054…, B 20 × 550 / 1,850 = 5.945…: floors 1,405 + 594
    cents, the cent left goes to the larger remainder (B's .59): 14.05 and 5.95.
    (Pro-rata: 10.00 each, 1,100 streams each; user-centric: A 14.50, B 5.50.)
    """
    a, b = "QZKPX2600011", "QZKPX2600012"
    result = allocate_artist_centric(
        pool=Decimal("20.00"),
        plays={"light": {a: 200}, "heavy": {a: 900, b: 1100}},
        track_payees={a: [("art-a", 1)], b: [("art-b", 1)]},
        track_artists={a: "art-a", b: "art-b"},
        min_listeners=2,
        places=2,
    )
    assert result.track_gross == {a: Fraction(520, 37), b: Fraction(220, 37)}
    assert result.payees == {"art-a": 1405, "art-b": 595}
    assert (result.suspense, result.retained) == ({}, 0)


def test_professional_at_the_thresholds_and_not_one_below() -> None:
    a, b, c = "QZKPX2600021", "QZKPX2600022", "QZKPX2600023"
    artists = {a: "at-both", b: "one-stream-short", c: "one-listener-short"}
    plays = {"x": {a: 3, b: 2, c: 4}, "y": {a: 1, b: 1}, "z": {c: 0}}
    audience = AudienceParts()
    for counts in plays.values():
        audience.add_plays(counts, track_artists=artists)
    streams = {a: 4, b: 3, c: 4}
    assert professional_artists(
        streams=streams, audience=audience, track_artists=artists, min_streams=4, min_listeners=2
    ) == {a}


def test_a_listener_at_the_cap_counts_in_full_and_one_above_is_scaled() -> None:
    at, above = "QZKPX2600031", "QZKPX2600032"
    audience = audience_parts(
        [
            ListenerMonth(listener="at", pool=1, plays={at: 1000}),
            ListenerMonth(listener="above", pool=1, plays={above: 1001}),
        ],
        track_artists={},
    )
    weights = track_weights(
        streams={at: 1000, above: 1001}, audience=audience, track_artists={}, min_streams=10**9
    )
    assert weights == {at: 1000, above: 1000}
    assert audience.heavy == {above: {1001: 1001}}


def test_no_stream_retains_the_pool_as_pro_rata_does() -> None:
    listeners = [ListenerMonth(listener="idle", pool=Decimal("5"), plays={})]
    result = artist_centric_from_parts(
        parts=user_centric_parts(listeners),
        audience=audience_parts(listeners, track_artists=ARTISTS),
        track_payees=CATALOG,
        track_artists=ARTISTS,
    )
    assert (result.retained, result.payees, result.suspense, result.total_minor) == (500, {}, {}, 500)


def test_inconsistent_inputs_are_refused() -> None:
    audience = audience_parts(
        [ListenerMonth(listener="h", pool=1, plays={P1: 5})], track_artists={}, listener_cap=2
    )
    with pytest.raises(ValueError, match="more streams"):
        track_weights(streams={P1: 4}, audience=audience, track_artists={})
    with pytest.raises(ValueError, match="do not"):
        track_weights(streams={}, audience=audience, track_artists={})
    with pytest.raises(ValueError, match="different listener caps"):
        audience + AudienceParts()
    with pytest.raises(ValueError, match="listener_cap"):
        AudienceParts(listener_cap=0)
    with pytest.raises(ValueError, match="min_listeners"):
        professional_artists(streams={}, audience=audience, track_artists={}, min_listeners=-1)


# --- an independent implementation, and properties -------------------------------------

ISRCS = [f"QZKPX26{n:05d}" for n in range(4)] + ["ZZXXX2600001", "ZZXXX2600002"]  # last two unmatched
PAYEES = ["p0", "p1", "p2", "p3"]


@dataclass
class Month:
    listeners: list[ListenerMonth]
    catalog: dict[str, list[tuple[str, Fraction]]]
    artists: dict[str, str]
    min_streams: int
    min_listeners: int
    cap: int


@st.composite
def months(draw: st.DrawFn) -> Month:
    """Small months with small policy values, so that professionals and heavy listeners occur."""
    catalog: dict[str, list[tuple[str, Fraction]]] = {}
    artists: dict[str, str] = {}
    for isrc in ISRCS[:4]:
        payees = draw(st.lists(st.sampled_from(PAYEES), min_size=1, max_size=3, unique=True))
        weights = draw(st.lists(st.integers(1, 9), min_size=len(payees), max_size=len(payees)))
        catalog[isrc] = [(p, Fraction(w, sum(weights))) for p, w in zip(payees, weights, strict=True)]
        artists[isrc] = draw(st.sampled_from(["a0", "a1", "a2"]))
    listeners = [
        ListenerMonth(
            listener=f"L{n}",
            pool=draw(st.integers(0, 5_000_000).map(lambda v: Decimal(v).scaleb(-4))),
            plays=draw(st.dictionaries(st.sampled_from(ISRCS), st.integers(0, 60), max_size=4)),
            rejected=draw(st.sampled_from([False, False, False, True])),
        )
        for n in range(draw(st.integers(0, 10)))
    ]
    return Month(
        listeners=listeners,
        catalog=catalog,
        artists=artists,
        min_streams=draw(st.integers(0, 100)),
        min_listeners=draw(st.integers(0, 3)),
        cap=draw(st.integers(1, 120)),
    )


def by_hand(month: Month) -> tuple[dict[str, Fraction], dict[str, Fraction], Fraction]:
    """Payees, suspense and retained, exact: the rules' words, one stream at a time."""
    counted = [item for item in month.listeners if not item.rejected]
    pool = sum((Fraction(item.pool) for item in counted), Fraction(0))
    retained = sum((Fraction(item.pool) for item in month.listeners if item.rejected), Fraction(0))

    def owner(isrc: str) -> str:
        return "artist " + month.artists[isrc] if isrc in month.artists else "track " + isrc

    owner_streams: dict[str, int] = defaultdict(int)
    owner_fans: dict[str, set[str]] = defaultdict(set)
    for item in counted:
        for isrc, count in item.plays.items():
            owner_streams[owner(isrc)] += count
            if count:
                owner_fans[owner(isrc)].add(item.listener)
    weight: dict[str, Fraction] = defaultdict(Fraction)
    for item in counted:
        n = sum(item.plays.values())
        for isrc, count in item.plays.items():
            professional = (
                owner_streams[owner(isrc)] >= month.min_streams
                and len(owner_fans[owner(isrc)]) >= month.min_listeners
            )
            for _ in range(count):
                stream = min(Fraction(1), Fraction(month.cap, n))
                weight[isrc] += 2 * stream if professional else stream
    total = sum(weight.values(), Fraction(0))
    if not total:
        return {}, {}, retained + pool
    payees: dict[str, Fraction] = defaultdict(Fraction)
    suspense: dict[str, Fraction] = {}
    for isrc, w in weight.items():
        amount = pool * w / total
        if isrc not in month.catalog:
            suspense[isrc] = amount
            continue
        for payee, share in month.catalog[isrc]:
            payees[payee] += amount * share
    return dict(payees), suspense, retained


def check_settled(result: Allocation, listeners: Sequence[ListenerMonth]) -> None:
    """Conserved to the cent, nobody negative, each line within a cent of its exact amount."""
    exact_total = sum((Fraction(item.pool) for item in listeners), Fraction(0))
    lines = [*result.payees.values(), *result.suspense.values(), result.retained]
    assert sum(lines) == result.total_minor == round(exact_total * 100)
    assert all(line >= 0 for line in lines)
    for payee, amount in result.payees.items():
        assert abs(amount - result.payee_exact[payee] * 100) < 1
    for isrc, amount in result.suspense.items():
        assert abs(amount - result.suspense_exact[isrc] * 100) < 1
    assert abs(result.retained - result.retained_exact * 100) < 1


def from_parts(month: Month, **policy: int) -> Allocation:
    values = {"min_streams": month.min_streams, "min_listeners": month.min_listeners, **policy}
    cap = values.pop("cap", month.cap)
    return artist_centric_from_parts(
        parts=user_centric_parts(month.listeners),
        audience=audience_parts(month.listeners, track_artists=month.artists, listener_cap=cap),
        track_payees=month.catalog,
        track_artists=month.artists,
        places=2,
        **values,
    )


@settings(max_examples=150, deadline=None)
@given(month=months())
def test_matches_the_stream_by_stream_reckoning(month: Month) -> None:
    result = from_parts(month)
    payees, suspense, retained = by_hand(month)
    assert (result.payee_exact, result.suspense_exact, result.retained_exact) == (payees, suspense, retained)
    check_settled(result, month.listeners)
    one_call = allocate_artist_centric(
        pool=sum((Fraction(item.pool) for item in month.listeners if not item.rejected), Fraction(0)),
        plays={item.listener: item.plays for item in month.listeners if not item.rejected},
        track_payees=month.catalog,
        track_artists=month.artists,
        min_streams=month.min_streams,
        min_listeners=month.min_listeners,
        listener_cap=month.cap,
        places=2,
    )
    # The same exact money; its rounding may differ by a cent, with no rejected pool beside it.
    assert (one_call.track_gross, one_call.payee_exact) == (result.track_gross, result.payee_exact)


@settings(max_examples=100, deadline=None)
@given(month=months())
def test_is_pro_rata_when_nobody_is_professional_and_nobody_capped(month: Month) -> None:
    biggest = max((sum(item.plays.values()) for item in month.listeners), default=1)
    pro_rata = pro_rata_from_parts(
        parts=user_centric_parts(month.listeners),
        track_payees=month.catalog,
        track_artists=month.artists,
        places=2,
    )
    assert from_parts(month, min_streams=10**9, cap=max(biggest, 1)) == pro_rata
    # Everybody professional doubles every weight, which changes no share either.
    assert from_parts(month, min_streams=0, min_listeners=0, cap=max(biggest, 1)) == pro_rata


@settings(max_examples=100, deadline=None)
@given(month=months())
def test_counting_double_never_lowers_a_professional_nor_raises_anyone_else(month: Month) -> None:
    """Against the same month with nobody professional (the caps alone)."""
    result, plain = from_parts(month), from_parts(month, min_streams=10**9)
    audience = audience_parts(month.listeners, track_artists=month.artists, listener_cap=month.cap)
    professional = professional_artists(
        streams=user_centric_parts(month.listeners).streams,
        audience=audience,
        track_artists=month.artists,
        min_streams=month.min_streams,
        min_listeners=month.min_listeners,
    )
    for isrc, gross in result.track_gross.items():
        if isrc in professional:
            assert gross >= plain.track_gross[isrc]
        else:
            assert gross <= plain.track_gross[isrc]


@settings(max_examples=100, deadline=None)
@given(month=months(), fewer=st.integers(0, 150))
def test_a_lower_bar_keeps_every_professional(month: Month, fewer: int) -> None:
    streams = user_centric_parts(month.listeners).streams
    audience = audience_parts(month.listeners, track_artists=month.artists)

    def pros(min_streams: int) -> set[str]:
        return professional_artists(
            streams=streams,
            audience=audience,
            track_artists=month.artists,
            min_streams=min_streams,
            min_listeners=month.min_listeners,
        )

    assert pros(month.min_streams) <= pros(min(fewer, month.min_streams))


@settings(max_examples=100, deadline=None)
@given(
    plays=st.dictionaries(st.sampled_from(ISRCS), st.integers(0, 400), max_size=5), cap=st.integers(1, 500)
)
def test_a_listener_weighs_as_its_streams_up_to_the_cap(plays: dict[str, int], cap: int) -> None:
    audience = audience_parts(
        [ListenerMonth(listener="x", pool=0, plays=plays)], track_artists={}, listener_cap=cap
    )
    weights = track_weights(streams=plays, audience=audience, track_artists={}, min_streams=10**9)
    assert sum(weights.values()) == min(sum(plays.values()), cap)


@settings(max_examples=100, deadline=None)
@given(month=months(), data=st.data())
def test_audience_parts_add_up_over_chunks_and_survive_storage(month: Month, data: st.DataObject) -> None:
    whole = audience_parts(month.listeners, track_artists=month.artists, listener_cap=month.cap)
    cut = data.draw(st.integers(0, len(month.listeners)))
    chunks = [month.listeners[:cut], month.listeners[cut:]]
    added = sum(
        (audience_parts(chunk, track_artists=month.artists, listener_cap=month.cap) for chunk in chunks),
        AudienceParts(listener_cap=month.cap),
    )
    assert added == whole
    assert AudienceParts.from_data(json.loads(json.dumps(whole.to_data()))) == whole
    parts = sum((user_centric_parts(chunk) for chunk in chunks), UserCentricParts())
    chunked = artist_centric_from_parts(
        parts=parts,
        audience=added,
        track_payees=month.catalog,
        track_artists=month.artists,
        min_streams=month.min_streams,
        min_listeners=month.min_listeners,
        places=2,
    )
    assert chunked == from_parts(month)


def test_one_call_form_is_pro_rata_for_a_small_month() -> None:
    """Nobody capped, nobody professional (defaults): the plain pro-rata numbers."""
    plays = {"a": {P1: 4, U: 2}, "b": {N1: 1}}
    result = allocate_artist_centric(
        pool=Decimal("21.00"), plays=plays, track_payees=CATALOG, track_artists=ARTISTS, places=2
    )
    expected = allocate_pro_rata(
        pool=Decimal("21.00"),
        streams={P1: 4, U: 2, N1: 1},
        track_payees=CATALOG,
        track_artists=ARTISTS,
        places=2,
    )
    assert result == expected
