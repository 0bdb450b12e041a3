"""User-centric allocation (docs/rules.md §2): each listener's pool goes only to what it streamed.

A listener with pool P and T qualifying streams gives each ISRC it streamed c times
P × c / T. A month can be computed in chunks: `user_centric_parts` turns a group of
listeners into exact, additive parts that need no catalog; parts of several groups are
added with `+` (in any order and grouping, with identical results); `allocate_from_parts`
then applies the unallocated policy, the splits and suspense, and rounds once.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from payouts.maths import Allocation, Exact, TrackPayees, settle_tracks, to_fraction

UnallocatedPolicy = Literal["pro_rata", "retain"]
UNALLOCATED_POLICIES: tuple[UnallocatedPolicy, ...] = ("pro_rata", "retain")


@dataclass(frozen=True)
class ListenerMonth:
    """One listener's month: its pool and its qualifying stream count per ISRC.

    `rejected` marks a listener a fraud decision rejected: its streams count nowhere and
    its pool is retained whatever the unallocated policy says.
    """

    listener: str
    pool: Exact
    plays: Mapping[str, int]
    rejected: bool = False

    def __post_init__(self) -> None:
        if to_fraction(self.pool, name=f"pool of {self.listener}") < 0:
            raise ValueError(f"Pool of {self.listener} is negative.")
        for isrc, count in self.plays.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"Play count of {isrc} for {self.listener} must be a non-negative int.")


def listener_contributions(*, pool: Exact, plays: Mapping[str, int]) -> dict[str, Fraction]:
    """What one listener gives each ISRC it streamed: pool × c / T, exact.

    Depends on nothing but this listener, which is the user-centric promise (another
    listener's streams never change it), and what the live estimator adds up per artist.
    A listener without streams contributes nothing here (its pool is "unallocated").
    """
    counts = {isrc: count for isrc, count in plays.items() if count > 0}
    total = sum(counts.values())
    if not total:
        return {}
    exact_pool = to_fraction(pool, name="pool")
    return {isrc: exact_pool * count / total for isrc, count in counts.items()}


def listener_payout(*, pool: Exact, listener_streams: int, artist_streams: int) -> Fraction:
    """What an artist streamed `artist_streams` of `listener_streams` times gets from one pool."""
    if listener_streams <= 0 or not 0 <= artist_streams <= listener_streams:
        raise ValueError("Need 0 <= artist_streams <= listener_streams and listener_streams > 0.")
    return to_fraction(pool, name="pool") * artist_streams / listener_streams


@dataclass
class UserCentricParts:
    """Exact, additive totals of a group of listeners, before any catalog is applied.

    Amounts per ISRC are kept as integer numerators grouped by the denominator of
    P × c / T (T times the pool's own denominator, a power of ten for Decimal pools):
    adding millions of fractions with unrelated denominators is slow, adding integers per
    denominator is fast, and the sum stays exact. `track_amounts` combines them once.
    """

    by_denominator: dict[str, dict[int, int]] = field(default_factory=dict)
    streams: dict[str, int] = field(default_factory=dict)
    pools: Fraction = Fraction(0)
    unallocated: Fraction = Fraction(0)
    rejected: Fraction = Fraction(0)
    listeners: int = 0

    def add_listener(self, listener: ListenerMonth) -> None:
        pool = to_fraction(listener.pool)
        self.pools += pool
        self.listeners += 1
        if listener.rejected:
            self.rejected += pool
            return
        counts = {isrc: count for isrc, count in listener.plays.items() if count > 0}
        total = sum(counts.values())
        if not total:
            self.unallocated += pool
            return
        numerator, denominator = pool.numerator, pool.denominator * total
        for isrc, count in counts.items():
            self.streams[isrc] = self.streams.get(isrc, 0) + count
            group = self.by_denominator.setdefault(isrc, {})
            group[denominator] = group.get(denominator, 0) + numerator * count

    def __add__(self, other: "UserCentricParts") -> "UserCentricParts":
        merged = UserCentricParts(
            by_denominator={isrc: dict(groups) for isrc, groups in self.by_denominator.items()},
            streams=dict(self.streams),
            pools=self.pools + other.pools,
            unallocated=self.unallocated + other.unallocated,
            rejected=self.rejected + other.rejected,
            listeners=self.listeners + other.listeners,
        )
        for isrc, groups in other.by_denominator.items():
            target = merged.by_denominator.setdefault(isrc, {})
            for denominator, numerator in groups.items():
                target[denominator] = target.get(denominator, 0) + numerator
        for isrc, count in other.streams.items():
            merged.streams[isrc] = merged.streams.get(isrc, 0) + count
        return merged

    def to_data(self) -> dict[str, Any]:
        """JSON-safe form (numbers as strings), so a chunk's parts can be stored between tasks."""
        return {
            "by_denominator": {
                isrc: {str(denominator): str(numerator) for denominator, numerator in groups.items()}
                for isrc, groups in self.by_denominator.items()
            },
            "streams": dict(self.streams),
            "pools": str(self.pools),
            "unallocated": str(self.unallocated),
            "rejected": str(self.rejected),
            "listeners": self.listeners,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "UserCentricParts":
        return cls(
            by_denominator={
                isrc: {int(denominator): int(numerator) for denominator, numerator in groups.items()}
                for isrc, groups in data["by_denominator"].items()
            },
            streams={isrc: int(count) for isrc, count in data["streams"].items()},
            pools=Fraction(data["pools"]),
            unallocated=Fraction(data["unallocated"]),
            rejected=Fraction(data["rejected"]),
            listeners=int(data["listeners"]),
        )

    def track_amounts(self) -> dict[str, Fraction]:
        """Exact amount per ISRC from the listeners that streamed it (before any spread)."""
        amounts: dict[str, Fraction] = {}
        for isrc, groups in self.by_denominator.items():
            common = math.lcm(*groups)
            numerator = sum(value * (common // denominator) for denominator, value in groups.items())
            amounts[isrc] = Fraction(numerator, common)
        return amounts


def user_centric_parts(listeners: Iterable[ListenerMonth]) -> UserCentricParts:
    parts = UserCentricParts()
    for listener in listeners:
        parts.add_listener(listener)
    return parts


def user_centric_amounts(
    *, parts: UserCentricParts, unallocated_policy: UnallocatedPolicy
) -> tuple[dict[str, Fraction], Fraction]:
    """The exact amount per ISRC from the listeners that streamed it, the unallocated pool
    spread over the month's streams by the policy (see `allocate_from_parts`); and what is
    retained: the rejected listeners' pools, and the unallocated ones when not spread."""
    amounts = parts.track_amounts()
    if not unallocated_spread(parts=parts, unallocated_policy=unallocated_policy):
        return amounts, parts.rejected + parts.unallocated
    month_streams = sum(parts.streams.values())
    for isrc, count in parts.streams.items():
        amounts[isrc] = amounts.get(isrc, Fraction(0)) + parts.unallocated * count / month_streams
    return amounts, parts.rejected


def unallocated_spread(*, parts: UserCentricParts, unallocated_policy: UnallocatedPolicy) -> bool:
    """Whether the month's unallocated pool is spread over its streams (policy `pro_rata`,
    and there are streams to spread it over); otherwise it is retained."""
    if unallocated_policy not in UNALLOCATED_POLICIES:
        raise ValueError(f"Unknown unallocated policy {unallocated_policy!r}.")
    return bool(parts.unallocated) and unallocated_policy == "pro_rata" and any(parts.streams.values())


def allocate_from_parts(
    *,
    parts: UserCentricParts,
    track_payees: TrackPayees,
    unallocated_policy: UnallocatedPolicy,
    track_artists: Mapping[str, str] | None = None,
    places: int | None = None,
) -> Allocation:
    """Settle a month from its (merged) parts.

    Policy `pro_rata` spreads the unallocated pool evenly over every qualifying stream of
    the month (so ISRC x with c of the month's S streams gets U × c / S, then splits and
    suspense as usual); `retain` keeps it. With no qualifying stream at all in the month
    there is nothing to spread it over, so it is retained under either policy.
    """
    amounts, retained = user_centric_amounts(parts=parts, unallocated_policy=unallocated_policy)
    return settle_tracks(
        track_amounts=amounts,
        streams=parts.streams,
        retained_exact=retained,
        pools_exact=parts.pools,
        unallocated_exact=parts.unallocated,
        rejected_exact=parts.rejected,
        track_payees=track_payees,
        track_artists=track_artists,
        places=places,
    )


def allocate_user_centric(
    *,
    listeners: Iterable[ListenerMonth],
    track_payees: TrackPayees,
    unallocated_policy: UnallocatedPolicy,
    track_artists: Mapping[str, str] | None = None,
    places: int | None = None,
) -> Allocation:
    """A month's user-centric payout in one call (see `allocate_from_parts`)."""
    return allocate_from_parts(
        parts=user_centric_parts(listeners),
        track_payees=track_payees,
        unallocated_policy=unallocated_policy,
        track_artists=track_artists,
        places=places,
    )


def per_stream_rate(*, pool: Exact, listener_streams: int) -> Fraction:
    """A listener's per-stream rate: its pool over its streams (seed 000: 14.99 × 0.85 / 1000)."""
    if listener_streams <= 0:
        raise ValueError("listener_streams must be positive.")
    return to_fraction(pool, name="pool") / listener_streams
