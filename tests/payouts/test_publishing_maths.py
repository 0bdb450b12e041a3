"""The publishing side's pure maths (docs/rules.md §2 "Publishing"): worked examples, and
properties checked against a plain recomputation listener by listener."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalipxo.money import half_even_minor
from payouts.maths.publishing import (
    PUBLISHING_METHODS,
    PublishingMethod,
    RecordingLinks,
    WorkPayees,
    allocate_publishing,
    publishing_rate,
    recording_links,
    split_pool,
    work_shares,
)
from payouts.maths.user_centric import (
    UNALLOCATED_POLICIES,
    ListenerMonth,
    UnallocatedPolicy,
    UserCentricParts,
    user_centric_parts,
)

PHONORECORDS_IV = {
    2023: Decimal("0.151"),
    2024: Decimal("0.152"),
    2025: Decimal("0.1525"),
    2026: Decimal("0.153"),
    2027: Decimal("0.1535"),
}
A, B, M, U = "USAAA2600001", "USBBB2600002", "USMMM2600003", "USUUU2600004"  # U: no work linked
LINKS: RecordingLinks = {
    A: [("wrk-a", Decimal(1))],
    B: [("wrk-b", Decimal("0.5"))],  # half unclaimed: mechanical suspense
    M: [("wrk-a", Decimal("0.25")), ("wrk-b", Decimal("0.75"))],  # a medley
}
WORKS: WorkPayees = {
    "wrk-a": [("wri-1", Decimal("0.5")), ("pub-1", Decimal("0.5"))],
    "wrk-b": [("art-2", Decimal(1))],  # an artist who writes: its own artist payee
}


def test_the_rate_of_each_year_and_around_the_table() -> None:
    assert publishing_rate(2026, PHONORECORDS_IV) == Fraction("0.153")
    assert publishing_rate(2027, PHONORECORDS_IV) == Fraction("0.1535")
    assert publishing_rate(2031, PHONORECORDS_IV) == Fraction("0.1535")  # after: the last
    assert publishing_rate(2019, PHONORECORDS_IV) == Fraction("0.151")  # before: the first
    assert publishing_rate(2026, {}) == 0  # no table: no publishing side
    assert publishing_rate(2025, {2024: Decimal("0.1"), 2027: Decimal("0.2")}) == Fraction("0.1")


def test_a_listener_pool_splits_into_recording_and_publishing() -> None:
    recording, publishing = split_pool(
        net=Decimal("10.00"), rights_share=Decimal("0.85"), rate=Decimal("0.153")
    )
    assert publishing == Fraction("1.53")
    assert recording == Fraction("6.97")
    assert recording + publishing == Fraction("8.5")
    with pytest.raises(ValueError, match="between 0 and the rights share"):
        split_pool(net=Decimal(10), rights_share=Decimal("0.1"), rate=Decimal("0.153"))
    with pytest.raises(TypeError):
        split_pool(net=10.0, rights_share=Decimal("0.85"), rate=Decimal("0.153"))  # type: ignore[arg-type]


def test_shares_and_links_are_checked() -> None:
    with pytest.raises(ValueError, match="do not add up to 1"):
        work_shares("w", [("a", Decimal("0.5")), ("b", Decimal("0.4"))])
    with pytest.raises(ValueError, match="more than 1"):
        recording_links(A, [("w1", Decimal("0.6")), ("w2", Decimal("0.5"))])
    with pytest.raises(ValueError, match="positive"):
        recording_links(A, [("w1", Decimal(0))])
    assert recording_links(A, []) == {}


def hand_parts(with_unallocated: bool = True) -> UserCentricParts:
    listeners = [
        ListenerMonth(listener="L1", pool=Decimal("1.53"), plays={A: 3, B: 1}),  # A 1.1475, B 0.3825
        ListenerMonth(listener="L2", pool=Decimal("0.90"), plays={M: 1, U: 2}),  # M 0.30, U 0.60
    ]
    if with_unallocated:
        listeners.append(ListenerMonth(listener="L3", pool=Decimal("0.30"), plays={}))
    return user_centric_parts(listeners)


def test_hand_example_user_centric_with_links_medley_and_suspense() -> None:
    result = allocate_publishing(
        parts=hand_parts(), method="user_centric", links=LINKS, work_payees=WORKS,
        unallocated_policy="retain", places=2,
    )  # fmt: skip
    money = result.allocation
    # wrk-a: A 1.1475 + M 0.30 × 0.25 = 1.2225, half each; wrk-b: B 0.3825 × 0.5 + M 0.225 = 0.41625
    assert result.work_amounts == {"wrk-a": Fraction("1.2225"), "wrk-b": Fraction("0.41625")}
    assert money.payee_exact == {
        "wri-1": Fraction("0.61125"), "pub-1": Fraction("0.61125"), "art-2": Fraction("0.41625"),
    }  # fmt: skip
    assert money.suspense_exact == {B: Fraction("0.19125"), U: Fraction("0.60")}
    assert money.retained_exact == Fraction("0.30")
    assert money.total_minor == 273
    assert money.payees == {"wri-1": 61, "pub-1": 61, "art-2": 42}
    assert money.suspense == {B: 19, U: 60}
    assert money.retained == 30
    assert result.payee_works[("wri-1", "wrk-a", M)] == Fraction("0.0375")


def test_hand_example_pro_rata_spreads_the_month_by_streams() -> None:
    result = allocate_publishing(
        parts=hand_parts(), method="pro_rata", links=LINKS, work_payees=WORKS,
        unallocated_policy="pro_rata", places=2,
    )  # fmt: skip
    # 2.73 over 7 streams: A 3, B 1, M 1, U 2
    per = Fraction("2.73") / 7
    assert result.allocation.track_gross == {A: 3 * per, B: per, M: per, U: 2 * per}
    assert result.allocation.suspense_exact == {B: per / 2, U: 2 * per}
    assert result.allocation.retained_exact == 0
    assert result.allocation.total_minor == 273


def test_a_month_without_streams_retains_its_publishing_pool() -> None:
    parts = user_centric_parts([ListenerMonth(listener="L", pool=Decimal("1.00"), plays={})])
    for method in PUBLISHING_METHODS:
        result = allocate_publishing(
            parts=parts,
            method=method,
            links=LINKS,
            work_payees=WORKS,
            unallocated_policy="pro_rata",
            places=2,
        )
        assert result.allocation.retained == 100
        assert result.allocation.payees == {}


def test_unknown_methods_and_work_without_writers_are_refused() -> None:
    with pytest.raises(ValueError, match="publishing allocation"):
        allocate_publishing(
            parts=hand_parts(), method="both", links=LINKS, work_payees=WORKS,  # type: ignore[arg-type]
            unallocated_policy="retain",
        )  # fmt: skip
    with pytest.raises(ValueError, match="no writers"):
        allocate_publishing(
            parts=hand_parts(), method="user_centric", links={A: [("ghost", Decimal(1))]}, work_payees=WORKS,
            unallocated_policy="retain",
        )  # fmt: skip


# --- Properties ------------------------------------------------------------------------

ISRCS = [f"USXXX26{n:05d}" for n in range(6)]
PAYEES = ["p1", "p2", "p3", "p4"]
cents = st.integers(min_value=0, max_value=50_000).map(lambda c: Decimal(c).scaleb(-4))  # sub-cent pools


@st.composite
def catalogs(draw: st.DrawFn) -> tuple[RecordingLinks, WorkPayees]:
    works: dict[str, list[tuple[str, Fraction]]] = {}
    for n in range(draw(st.integers(min_value=1, max_value=4))):
        weights = draw(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=len(PAYEES)))
        works[f"w{n}"] = [(PAYEES[i], Fraction(w, sum(weights))) for i, w in enumerate(weights)]
    links: dict[str, list[tuple[str, Fraction]]] = {}
    for isrc in ISRCS[:-1]:  # the last ISRC is never linked
        chosen = draw(st.lists(st.sampled_from(sorted(works)), unique=True, max_size=len(works)))
        if not chosen:
            continue
        weights = draw(
            st.lists(st.integers(min_value=1, max_value=5), min_size=len(chosen), max_size=len(chosen))
        )
        spare = draw(st.integers(min_value=0, max_value=5))  # > 0: part of the recording is unclaimed
        links[isrc] = [
            (work, Fraction(w, sum(weights) + spare)) for work, w in zip(chosen, weights, strict=True)
        ]
    return links, works


listener_months = st.lists(
    st.builds(
        ListenerMonth,
        listener=st.uuids().map(str),
        pool=cents,
        plays=st.dictionaries(st.sampled_from(ISRCS), st.integers(min_value=0, max_value=40), max_size=4),
        rejected=st.sampled_from([False, False, False, True]),  # a fraud decision now and then
    ),
    max_size=12,
)


def expected(
    listeners: list[ListenerMonth], method: PublishingMethod, policy: UnallocatedPolicy,
    links: RecordingLinks, works: WorkPayees,
) -> tuple[dict[str, Fraction], dict[str, Fraction], Fraction]:  # fmt: skip
    """Payees, mechanical suspense and retained, recomputed the plain way from the rules."""
    per_isrc: dict[str, Fraction] = {}
    retained = Fraction(0)
    counted = [x for x in listeners if not x.rejected]
    retained += sum((Fraction(x.pool) for x in listeners if x.rejected), Fraction(0))
    month = {isrc: 0 for isrc in ISRCS}
    for x in counted:
        for isrc, c in x.plays.items():
            month[isrc] += c
    total_streams = sum(month.values())
    unallocated = sum((Fraction(x.pool) for x in counted if not sum(x.plays.values())), Fraction(0))
    spread = policy == "pro_rata" and total_streams > 0
    if not spread:
        retained += unallocated
    if method == "user_centric":
        for x in counted:
            t = sum(x.plays.values())
            for isrc, c in x.plays.items():
                if c:
                    per_isrc[isrc] = per_isrc.get(isrc, Fraction(0)) + Fraction(x.pool) * c / t
        if spread:
            for isrc, c in month.items():
                if c:
                    per_isrc[isrc] = per_isrc.get(isrc, Fraction(0)) + unallocated * c / total_streams
    elif total_streams:
        pool = sum((Fraction(x.pool) for x in counted), Fraction(0)) - (0 if spread else unallocated)
        per_isrc = {isrc: pool * c / total_streams for isrc, c in month.items() if c}
    else:
        retained = sum((Fraction(x.pool) for x in listeners), Fraction(0))
    payees: dict[str, Fraction] = {}
    suspense: dict[str, Fraction] = {}
    for isrc, amount in per_isrc.items():
        linked = Fraction(0)
        for work, link in links.get(isrc, ()):
            linked += Fraction(link)
            for payee, share in works[work]:
                payees[payee] = payees.get(payee, Fraction(0)) + amount * Fraction(link) * Fraction(share)
        if linked < 1:
            suspense[isrc] = amount * (1 - linked)
    return payees, suspense, retained


@settings(max_examples=150, deadline=None)
@given(
    listeners=listener_months,
    catalog=catalogs(),
    method=st.sampled_from(PUBLISHING_METHODS),
    policy=st.sampled_from(UNALLOCATED_POLICIES),
)
def test_publishing_is_exact_conserved_and_rounded_once(
    listeners: list[ListenerMonth], catalog: tuple[RecordingLinks, WorkPayees],
    method: PublishingMethod, policy: UnallocatedPolicy,
) -> None:  # fmt: skip
    links, works = catalog
    result = allocate_publishing(
        parts=user_centric_parts(listeners), method=method, links=links, work_payees=works,
        unallocated_policy=policy, places=2,
    )  # fmt: skip
    money = result.allocation
    payees, suspense, retained = expected(listeners, method, policy, links, works)
    assert money.payee_exact == {p: v for p, v in payees.items()}
    assert money.suspense_exact == suspense  # an unlinked ISRC has its line, even at 0
    assert money.retained_exact == retained
    # Conserved to the cent: every line adds up to the pools rounded once.
    pools = sum((Fraction(x.pool) for x in listeners), Fraction(0))
    assert money.total_minor == half_even_minor(pools, 100)
    assert sum(money.payees.values()) + sum(money.suspense.values()) + money.retained == money.total_minor
    # Rounded once per payee: never a cent or more away from its exact amount.
    for payee, exact in money.payee_exact.items():
        assert abs(money.payees[payee] - exact * 100) < 1
    # Every payee's amount is traced to (work, ISRC) parts that add up to it.
    for payee, exact in money.payee_exact.items():
        assert sum(v for (p, _, _), v in result.payee_works.items() if p == payee) == exact


@settings(max_examples=80, deadline=None)
@given(listeners=listener_months, catalog=catalogs())
def test_both_methods_share_out_the_same_month(
    listeners: list[ListenerMonth], catalog: tuple[RecordingLinks, WorkPayees]
) -> None:
    """The user-centric side and its pro-rata comparison divide the same pools: with the
    unallocated spread, both keep only the rejected listeners' pools back."""
    links, works = catalog
    parts = user_centric_parts(listeners)
    totals = []
    for method in PUBLISHING_METHODS:
        money = allocate_publishing(
            parts=parts,
            method=method,
            links=links,
            work_payees=works,
            unallocated_policy="pro_rata",
            places=2,
        ).allocation
        totals.append((money.total_minor, money.retained_exact))
    assert totals[0] == totals[1]


def test_a_listener_pays_only_the_works_of_what_it_streamed() -> None:
    """User-centric: L2 streamed only M and U, so adding to L2's pool never changes wri-1's
    money from A, and L1's pool never reaches U's suspense."""
    base = allocate_publishing(
        parts=hand_parts(False), method="user_centric", links=LINKS, work_payees=WORKS,
        unallocated_policy="retain", places=2,
    )  # fmt: skip
    richer = allocate_publishing(
        parts=user_centric_parts(
            [
                ListenerMonth(listener="L1", pool=Decimal("1.53"), plays={A: 3, B: 1}),
                ListenerMonth(listener="L2", pool=Decimal("9.00"), plays={M: 1, U: 2}),
            ]
        ),
        method="user_centric", links=LINKS, work_payees=WORKS, unallocated_policy="retain", places=2,
    )  # fmt: skip
    assert base.payee_works[("wri-1", "wrk-a", A)] == richer.payee_works[("wri-1", "wrk-a", A)]
    assert richer.allocation.suspense_exact[U] == Fraction("6.00")
