"""User-centric allocation (docs/rules.md §2): worked examples and properties of the pure maths."""

import json
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payouts.maths import Allocation, TrackPayees
from payouts.maths.user_centric import (
    UNALLOCATED_POLICIES,
    ListenerMonth,
    UnallocatedPolicy,
    UserCentricParts,
    allocate_from_parts,
    allocate_user_centric,
    listener_contributions,
    listener_payout,
    per_stream_rate,
    user_centric_parts,
)

A, B, U = "USAAA2600001", "USBBB2600002", "USUUU2600003"  # U is not in the catalog
CATALOG: TrackPayees = {
    A: [("art-1", Decimal("0.8")), ("lbl-1", Decimal("0.2"))],
    B: [("art-2", 1)],
}


def hand_listeners() -> list[ListenerMonth]:
    return [
        ListenerMonth(listener="L1", pool=Decimal("10.00"), plays={A: 3, B: 1}),  # A 7.50, B 2.50
        ListenerMonth(listener="L2", pool=Decimal("6.00"), plays={A: 1, U: 2}),  # A 2.00, U 4.00
        ListenerMonth(listener="L3", pool=Decimal("5.00"), plays={}),  # unallocated
    ]


def test_seed_000_one_listener_pays_an_artist_64_cents() -> None:
    """14.99 paid, 85% to rights holders, 50 of the listener's 1,000 streams: $0.64."""
    pool = Decimal("14.99") * Decimal("0.85")
    amount = listener_payout(pool=pool, listener_streams=1000, artist_streams=50)
    assert amount == Fraction("0.637075")
    assert round(amount * 100) == 64
    assert per_stream_rate(pool=pool, listener_streams=1000) == Fraction("0.0127415")


def test_hand_example_retain_policy() -> None:
    """Splits 0.8/0.2, an unmatched ISRC to suspense, the unallocated pool retained."""
    result = allocate_user_centric(
        listeners=hand_listeners(),
        track_payees=CATALOG,
        unallocated_policy="retain",
        track_artists={A: "art-1", B: "art-2"},
        places=2,
    )
    assert result.total_minor == 2100
    assert result.payees == {"art-1": 760, "lbl-1": 190, "art-2": 250}
    assert result.suspense == {U: 400}
    assert result.retained == 500
    assert result.unallocated_exact == 5
    assert result.track_gross == {A: Fraction("9.5"), B: Fraction("2.5"), U: 4}
    assert result.artist_gross == {"art-1": Fraction("9.5"), "art-2": Fraction("2.5")}
    assert result.payee_tracks == {
        ("art-1", A): Fraction("7.6"),
        ("lbl-1", A): Fraction("1.9"),
        ("art-2", B): Fraction("2.5"),
    }
    assert result.streams == {A: 4, B: 1, U: 2}
    assert result.payee_streams == {"art-1": 4, "lbl-1": 4, "art-2": 1}


def test_hand_example_pro_rata_policy_spreads_unallocated_over_every_stream() -> None:
    """The 5.00 goes 4/7 to A, 1/7 to B and 2/7 to the unmatched ISRC's suspense.

    Exact: art-1 9.885714…, lbl-1 2.471428…, art-2 3.214285…, suspense 5.428571…; the two
    leftover cents go to the largest remainders (suspense .857, art-1 .571).
    """
    result = allocate_user_centric(
        listeners=hand_listeners(), track_payees=CATALOG, unallocated_policy="pro_rata", places=2
    )
    assert result.payee_exact["art-1"] == (Fraction("9.5") + Fraction(20, 7)) * Fraction("0.8")
    assert result.suspense_exact == {U: 4 + Fraction(10, 7)}
    assert result.payees == {"art-1": 989, "lbl-1": 247, "art-2": 321}
    assert result.suspense == {U: 543}
    assert result.retained == 0
    assert result.unallocated_exact == 5  # still reported as its own line


def test_rejected_listener_counts_nowhere_and_its_pool_is_retained() -> None:
    listeners = [
        *hand_listeners()[:2],
        ListenerMonth(listener="bot", pool=Decimal("3.00"), plays={B: 500}, rejected=True),
    ]
    result = allocate_user_centric(listeners=listeners, track_payees=CATALOG, unallocated_policy="pro_rata")
    assert result.streams == {A: 4, B: 1, U: 2}
    assert result.retained == 300
    assert result.rejected_exact == 3
    assert result.payees == {"art-1": 760, "lbl-1": 190, "art-2": 250}


def test_no_streams_in_the_month_retains_everything_even_under_pro_rata() -> None:
    listeners = [ListenerMonth(listener="L", pool=Decimal("1.005"), plays={})]
    result = allocate_user_centric(listeners=listeners, track_payees=CATALOG, unallocated_policy="pro_rata")
    assert (result.total_minor, result.retained, result.payees) == (100, 100, {})  # 1.005 half-even


def test_total_is_the_exact_sum_of_pools_rounded_half_even() -> None:
    """Pools carry sub-cent digits (net × 0.85); their exact sum is rounded once."""
    listeners = [
        ListenerMonth(listener=f"L{index}", pool=Decimal("0.0125"), plays={A: 1}) for index in range(3)
    ]
    result = allocate_user_centric(listeners=listeners, track_payees=CATALOG, unallocated_policy="retain")
    assert result.total_minor == 4  # 0.0375 -> 0.04
    assert result.payees == {"art-1": 3, "lbl-1": 1}  # 3.0 and 0.75 cents


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        ListenerMonth(listener="L", pool=Decimal("-1"), plays={})
    with pytest.raises(ValueError, match="non-negative int"):
        ListenerMonth(listener="L", pool=Decimal(1), plays={A: -1})
    with pytest.raises(TypeError):
        ListenerMonth(listener="L", pool=1.5, plays={})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="add up to 1"):
        allocate_user_centric(
            listeners=[ListenerMonth(listener="L", pool=Decimal(1), plays={A: 1})],
            track_payees={A: [("x", Decimal("0.5"))]},
            unallocated_policy="retain",
        )
    with pytest.raises(ValueError, match="policy"):
        allocate_user_centric(listeners=[], track_payees={}, unallocated_policy="nope")  # type: ignore[arg-type]


# --- properties ---------------------------------------------------------------------

ISRCS = [f"USXXX26{index:05d}" for index in range(6)]
PAYEES = ["p0", "p1", "p2", "p3"]


@st.composite
def catalogs(draw: st.DrawFn) -> dict[str, list[tuple[str, Fraction]]]:
    """Some ISRCs with splits (exact shares summing to 1), the others unmatched."""
    catalog: dict[str, list[tuple[str, Fraction]]] = {}
    for isrc in draw(st.lists(st.sampled_from(ISRCS), unique=True)):
        payees = draw(st.lists(st.sampled_from(PAYEES), min_size=1, max_size=3, unique=True))
        weights = draw(st.lists(st.integers(1, 9), min_size=len(payees), max_size=len(payees)))
        catalog[isrc] = [
            (payee, Fraction(weight, sum(weights))) for payee, weight in zip(payees, weights, strict=True)
        ]
    return catalog


pools = st.integers(0, 5_000_000).map(lambda n: Decimal(n).scaleb(-4))  # up to 500.0000
plays = st.dictionaries(st.sampled_from(ISRCS), st.integers(0, 40), max_size=4)


@st.composite
def listener_months(draw: st.DrawFn) -> list[ListenerMonth]:
    count = draw(st.integers(0, 12))
    return [
        ListenerMonth(
            listener=f"L{index}",
            pool=draw(pools),
            plays=draw(plays),
            rejected=draw(st.booleans()) and draw(st.booleans()),
        )
        for index in range(count)
    ]


policies = st.sampled_from(UNALLOCATED_POLICIES)


def check_conserved(result: Allocation, listeners: Sequence[ListenerMonth]) -> None:
    exact_total = sum((Fraction(listener.pool) for listener in listeners), Fraction(0))
    assert result.total_minor == round(exact_total * 100)
    lines = [*result.payees.values(), *result.suspense.values(), result.retained]
    assert sum(lines) == result.total_minor
    assert all(line >= 0 for line in lines)
    for payee, amount in result.payees.items():
        assert abs(amount - result.payee_exact[payee] * 100) < 1
    for isrc, amount in result.suspense.items():
        assert abs(amount - result.suspense_exact[isrc] * 100) < 1


@settings(max_examples=200, deadline=None)
@given(listeners=listener_months(), catalog=catalogs(), policy=policies)
def test_every_run_is_conserved_to_the_cent(
    listeners: list[ListenerMonth], catalog: TrackPayees, policy: UnallocatedPolicy
) -> None:
    result = allocate_user_centric(
        listeners=listeners,
        track_payees=catalog,
        unallocated_policy=policy,
        places=2,
    )
    check_conserved(result, listeners)
    assert set(result.suspense) <= set(ISRCS) - set(catalog)  # suspense never reaches payees
    assert result.rejected_exact == sum(
        (Fraction(item.pool) for item in listeners if item.rejected), Fraction(0)
    )
    if policy == "retain" or not result.streams:
        assert result.retained_exact == result.rejected_exact + result.unallocated_exact
    else:
        assert result.retained_exact == result.rejected_exact


@settings(max_examples=100, deadline=None)
@given(listeners=listener_months(), catalog=catalogs(), policy=policies, data=st.data())
def test_order_and_chunking_of_listeners_do_not_matter(
    listeners: list[ListenerMonth], catalog: TrackPayees, policy: UnallocatedPolicy, data: st.DataObject
) -> None:
    whole = allocate_user_centric(listeners=listeners, track_payees=catalog, unallocated_policy=policy)
    shuffled = data.draw(st.permutations(listeners))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(listeners)), max_size=4)))
    chunks = [shuffled[start:end] for start, end in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
    parts = sum((user_centric_parts(chunk) for chunk in reversed(chunks)), UserCentricParts())
    chunked = allocate_from_parts(parts=parts, track_payees=catalog, unallocated_policy=policy)
    assert chunked == whole
    stored = UserCentricParts.from_data(json.loads(json.dumps(parts.to_data())))
    assert stored == parts


@settings(max_examples=100, deadline=None)
@given(listeners=listener_months(), extra=plays, data=st.data())
def test_a_listeners_extra_streams_never_change_what_others_give(
    listeners: list[ListenerMonth], extra: dict[str, int], data: st.DataObject
) -> None:
    """The per-track totals change by exactly that listener's own change of contributions."""
    listeners = [item for item in listeners if not item.rejected]
    if not listeners:
        return
    index = data.draw(st.integers(0, len(listeners) - 1))
    before = listeners[index]
    more = {isrc: before.plays.get(isrc, 0) + extra.get(isrc, 0) for isrc in {*before.plays, *extra}}
    after = ListenerMonth(listener=before.listener, pool=before.pool, plays=more)
    changed = [*listeners[:index], after, *listeners[index + 1 :]]

    def gross(items: list[ListenerMonth]) -> dict[str, Fraction]:
        # "retain" keeps the unallocated pool out of the tracks, so only contributions remain.
        return allocate_user_centric(
            listeners=items, track_payees={}, unallocated_policy="retain"
        ).track_gross

    own_before = listener_contributions(pool=before.pool, plays=before.plays)
    own_after = listener_contributions(pool=after.pool, plays=after.plays)
    old, new = gross(listeners), gross(changed)
    for isrc in {*old, *new}:
        others_before = old.get(isrc, Fraction(0)) - own_before.get(isrc, Fraction(0))
        others_after = new.get(isrc, Fraction(0)) - own_after.get(isrc, Fraction(0))
        assert others_before == others_after


@settings(max_examples=200, deadline=None)
@given(pool=pools, counts=plays)
def test_a_listener_gives_exactly_its_pool_when_it_streamed_anything(
    pool: Decimal, counts: dict[str, int]
) -> None:
    shares = listener_contributions(pool=pool, plays=counts)
    if any(counts.values()):
        assert sum(shares.values()) == Fraction(pool)
        total = sum(counts.values())
        assert all(shares[isrc] == Fraction(pool) * counts[isrc] / total for isrc in shares)
    else:
        assert shares == {}
