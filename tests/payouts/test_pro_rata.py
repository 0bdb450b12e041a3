"""Pro-rata comparison (seed 002): the same pool divided by share of all qualifying streams."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from payouts.maths import TrackPayees
from payouts.maths.pro_rata import allocate_pro_rata, pro_rata_from_parts, pro_rata_payout
from payouts.maths.user_centric import ListenerMonth, allocate_user_centric, user_centric_parts

A, B, U = "USAAA2600001", "USBBB2600002", "USUUU2600003"  # U is not in the catalog
CATALOG: TrackPayees = {
    A: [("art-1", Decimal("0.8")), ("lbl-1", Decimal("0.2"))],
    B: [("art-2", 1)],
}


def test_calculator_form_is_plays_times_rate() -> None:
    """Seed 000: 1 million streams at $0.004 is $4,000."""
    assert pro_rata_payout(plays=1_000_000, rate=Decimal("0.004")) == 4000


def test_hand_example_shares_the_whole_pool_by_streams() -> None:
    """21.00 over 7 streams is 3.00 a stream: A 4 streams, B 1, unmatched U 2."""
    result = allocate_pro_rata(
        pool=Decimal("21.00"), streams={A: 4, B: 1, U: 2}, track_payees=CATALOG, places=2
    )
    assert result.payees == {"art-1": 960, "lbl-1": 240, "art-2": 300}
    assert result.suspense == {U: 600}
    assert result.retained == 0


def test_pro_rata_and_user_centric_differ_on_the_same_data() -> None:
    """A heavy listener's streams dilute everyone under pro-rata; not under user-centric."""
    listeners = [
        ListenerMonth(listener="fan", pool=Decimal("10"), plays={A: 1}),
        ListenerMonth(listener="heavy", pool=Decimal("10"), plays={B: 99}),
    ]
    user_centric = allocate_user_centric(
        listeners=listeners, track_payees=CATALOG, unallocated_policy="retain"
    )
    pro_rata = pro_rata_from_parts(parts=user_centric_parts(listeners), track_payees=CATALOG)
    assert user_centric.track_gross[A] == 10
    assert pro_rata.track_gross[A] == Fraction("0.2")
    assert pro_rata.total_minor == user_centric.total_minor == 2000


def test_rejected_pools_are_retained_in_the_comparison_too() -> None:
    listeners = [
        ListenerMonth(listener="fan", pool=Decimal("10"), plays={A: 1}),
        ListenerMonth(listener="bot", pool=Decimal("4"), plays={B: 900}, rejected=True),
        ListenerMonth(listener="idle", pool=Decimal("6"), plays={}),
    ]
    result = pro_rata_from_parts(parts=user_centric_parts(listeners), track_payees=CATALOG)
    assert result.retained == 400
    assert result.track_gross == {A: 16}  # fan's and idle's pools, all on A's one stream
    assert result.total_minor == 2000


def test_no_streams_means_the_pool_is_retained() -> None:
    result = allocate_pro_rata(pool=Decimal("5"), streams={}, track_payees=CATALOG)
    assert (result.retained, result.payees, result.suspense) == (500, {}, {})


ISRCS = [A, B, U, "USCCC2600004"]


@settings(max_examples=200, deadline=None)
@given(
    pool=st.integers(0, 10**9).map(lambda n: Decimal(n).scaleb(-4)),
    streams=st.dictionaries(st.sampled_from(ISRCS), st.integers(0, 10**6)),
)
def test_conserved_to_the_cent_and_every_stream_is_worth_the_same(
    pool: Decimal, streams: dict[str, int]
) -> None:
    result = allocate_pro_rata(pool=pool, streams=streams, track_payees=CATALOG, places=2)
    lines = [*result.payees.values(), *result.suspense.values(), result.retained]
    assert sum(lines) == result.total_minor == round(Fraction(pool) * 100)
    rates = {result.track_gross[isrc] / count for isrc, count in result.streams.items()}
    assert len(rates) <= 1
