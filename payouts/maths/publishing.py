"""The publishing side (docs/rules.md §2 "Publishing"): what the musical works earn.

A listener's rights pool P = net × rights share has two parts: the publishing pool,
net × the publishing rate of the month's year, and the recording pool, the rest. The
recording pool is allocated by the models beside this one, unchanged. The publishing pool
is allocated either user-centrically (each listener's publishing pool to the ISRCs it
streamed, c / T each) or pro-rata (the statutory way: the month's publishing pool by each
ISRC's share of all qualifying streams); both are always computed, one pays and the other
is the comparison.

An ISRC's publishing amount goes to the works linked to it, by link share (a recording's
links add up to at most 1), and each work's part to its writers and publishers by their
shares (exactly 1 per work). What is not linked (no work, links short of 1, or an ISRC
not in the catalog) waits in mechanical suspense for that ISRC. The side is rounded on its
own, once per payee, by the largest-remainder method, so that
`payees + mechanical suspense + retained == the publishing pools rounded` to the cent.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from payouts.maths import Allocation, Exact, places_or_default, rounded_allocation, to_fraction
from payouts.maths.user_centric import (
    UnallocatedPolicy,
    UserCentricParts,
    unallocated_spread,
    user_centric_amounts,
)

PublishingMethod = Literal["user_centric", "pro_rata"]
PUBLISHING_METHODS: tuple[PublishingMethod, ...] = ("user_centric", "pro_rata")

# ISRC -> [(work id, link share)]: the works a recording embodies (several for a medley).
RecordingLinks = Mapping[str, Sequence[tuple[str, Exact]]]
# Work id -> [(payee id, share)]: its writers and publishers; shares add up to exactly 1.
WorkPayees = Mapping[str, Sequence[tuple[str, Exact]]]


def publishing_rate_year(year: int, rates: Mapping[int, Exact]) -> int | None:
    """The year of the table whose rate applies to `year`: its own, the table's last for a
    later year, its first for an earlier one (a gap: the latest year before it); None for
    an empty table (no publishing side)."""
    if not rates:
        return None
    known = sorted(rates)
    chosen = min(max(year, known[0]), known[-1])
    while chosen not in rates:
        chosen -= 1
    return chosen


def publishing_rate(year: int, rates: Mapping[int, Exact]) -> Fraction:
    """The publishing rate of a year (see `publishing_rate_year`); 0 for an empty table."""
    chosen = publishing_rate_year(year, rates)
    if chosen is None:
        return Fraction(0)
    return to_fraction(rates[chosen], name=f"publishing rate of {chosen}")


def split_pool(*, net: Exact, rights_share: Exact, rate: Exact) -> tuple[Fraction, Fraction]:
    """A listener's (recording pool, publishing pool): net × (share − rate) and net × rate."""
    exact_net = to_fraction(net, name="net revenue")
    share = to_fraction(rights_share, name="rights share")
    exact_rate = to_fraction(rate, name="publishing rate")
    if not 0 <= exact_rate <= share:
        raise ValueError("The publishing rate must be between 0 and the rights share.")
    publishing = exact_net * exact_rate
    return exact_net * share - publishing, publishing


def _positive_shares(
    pairs: Sequence[tuple[str, Exact]], describe: Callable[[str], str]
) -> dict[str, Fraction]:
    """Shares per key (a key named twice adds up), each exact and positive; `describe(key)`
    names one in an error ("share of wri-1 in wrk-1")."""
    shares: dict[str, Fraction] = {}
    for key, share in pairs:
        value = to_fraction(share, name=describe(key))
        if value <= 0:
            raise ValueError(f"The {describe(key)} must be positive.")
        shares[key] = shares.get(key, Fraction(0)) + value
    return shares


def work_shares(work: str, payees: Sequence[tuple[str, Exact]]) -> dict[str, Fraction]:
    """A work's shares per payee, checked: positive and adding up to exactly 1."""
    shares = _positive_shares(payees, lambda payee: f"share of {payee} in {work}")
    if sum(shares.values(), Fraction(0)) != 1:
        raise ValueError(f"The shares of {work} do not add up to 1.")
    return shares


def recording_links(isrc: str, links: Sequence[tuple[str, Exact]]) -> dict[str, Fraction]:
    """A recording's link shares per work, checked: positive and adding up to at most 1."""
    shares = _positive_shares(links, lambda work: f"link of {isrc} to {work}")
    if sum(shares.values(), Fraction(0)) > 1:
        raise ValueError(f"The links of {isrc} add up to more than 1.")
    return shares


@dataclass(frozen=True)
class PublishingAllocation:
    """A month's publishing side, settled. `allocation.suspense` is the mechanical suspense
    per ISRC; `payee_works` traces each payee's exact amount to (work, ISRC)."""

    method: PublishingMethod
    allocation: Allocation
    payee_works: dict[tuple[str, str, str], Fraction]  # (payee, work, ISRC) -> exact amount
    work_amounts: dict[str, Fraction]  # work -> exact amount, before its writers' shares


def settle_publishing(
    *,
    method: PublishingMethod,
    track_amounts: Mapping[str, Fraction],
    streams: Mapping[str, int],
    retained_exact: Fraction,
    pools_exact: Fraction,
    unallocated_exact: Fraction,
    rejected_exact: Fraction,
    links: RecordingLinks,
    work_payees: WorkPayees,
    places: int | None = None,
) -> PublishingAllocation:
    """Divide exact per-ISRC publishing amounts over works and their payees, the rest to
    mechanical suspense, and round once. A work without payees is refused (a work's shares
    add up to exactly 1, so it always has some)."""
    if sum(track_amounts.values(), Fraction(0)) + retained_exact != pools_exact:
        raise ValueError("Publishing amounts and retained money do not add up to the pools.")
    checked_works = {work: work_shares(work, payees) for work, payees in work_payees.items()}
    payee_works: dict[tuple[str, str, str], Fraction] = {}
    payee_tracks: dict[tuple[str, str], Fraction] = {}
    payee_exact: dict[str, Fraction] = {}
    payee_streams: dict[str, int] = {}
    suspense_exact: dict[str, Fraction] = {}
    work_amounts: dict[str, Fraction] = {}
    for isrc, amount in track_amounts.items():
        linked = recording_links(isrc, links.get(isrc, ()))
        linked_share = sum(linked.values(), Fraction(0))
        if linked_share < 1:  # an ISRC's suspense line, even when it earned nothing
            suspense_exact[isrc] = amount * (1 - linked_share)
        for work, link in linked.items():
            if work not in checked_works:
                raise ValueError(f"{isrc} is linked to {work}, which has no writers.")
            part = amount * link
            work_amounts[work] = work_amounts.get(work, Fraction(0)) + part
            for payee, share in checked_works[work].items():
                value = part * share
                payee_works[(payee, work, isrc)] = value
                payee_tracks[(payee, isrc)] = payee_tracks.get((payee, isrc), Fraction(0)) + value
                payee_exact[payee] = payee_exact.get(payee, Fraction(0)) + value
        for payee in {payee for work in linked for payee in checked_works[work]}:
            payee_streams[payee] = payee_streams.get(payee, 0) + streams.get(isrc, 0)

    allocation = rounded_allocation(
        payee_exact=payee_exact,
        suspense_exact=suspense_exact,
        retained_exact=retained_exact,
        pools_exact=pools_exact,
        unallocated_exact=unallocated_exact,
        rejected_exact=rejected_exact,
        payee_tracks=payee_tracks,
        track_gross=dict(track_amounts),
        streams=dict(streams),
        payee_streams=payee_streams,
        places=places_or_default(places),
    )
    return PublishingAllocation(
        method=method, allocation=allocation, payee_works=payee_works, work_amounts=work_amounts
    )


def _pro_rata_amounts(
    *, parts: UserCentricParts, unallocated_policy: UnallocatedPolicy
) -> tuple[dict[str, Fraction], Fraction]:
    """The month's pool less what is retained (rejected listeners' pools, and unallocated
    ones when not spread) by each ISRC's share of all streams; everything is retained when
    there is no stream."""
    spread = unallocated_spread(parts=parts, unallocated_policy=unallocated_policy)
    retained = parts.rejected + (0 if spread else parts.unallocated)
    month_streams = sum(parts.streams.values())
    if not month_streams:
        return {}, parts.pools
    pool = parts.pools - retained
    return {isrc: pool * count / month_streams for isrc, count in parts.streams.items() if count}, retained


def allocate_publishing(
    *,
    parts: UserCentricParts,
    method: PublishingMethod,
    links: RecordingLinks,
    work_payees: WorkPayees,
    unallocated_policy: UnallocatedPolicy,
    places: int | None = None,
) -> PublishingAllocation:
    """Settle the month's publishing side from its parts: `parts` built from the
    listeners' publishing pools (and the same qualifying streams as the recording side).

    `user_centric`: each listener's publishing pool goes to the ISRCs it streamed; the
    unallocated pools are spread evenly over the month's streams or retained, by the
    policy. `pro_rata`: the month's publishing pool, less rejected listeners' pools (and
    unallocated ones under `retain`), by each ISRC's share of all qualifying streams.
    Rejected listeners' pools are retained either way, and with no qualifying stream in the
    month everything is.
    """
    if method not in PUBLISHING_METHODS:
        raise ValueError(f"Unknown publishing allocation {method!r}.")
    if method == "user_centric":
        amounts, retained = user_centric_amounts(parts=parts, unallocated_policy=unallocated_policy)
    else:
        amounts, retained = _pro_rata_amounts(parts=parts, unallocated_policy=unallocated_policy)
    return settle_publishing(
        method=method,
        track_amounts=amounts,
        streams=parts.streams,
        retained_exact=retained,
        pools_exact=parts.pools,
        unallocated_exact=parts.unallocated,
        rejected_exact=parts.rejected,
        links=links,
        work_payees=work_payees,
        places=places,
    )
