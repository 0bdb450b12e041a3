"""The publishing side of the in-memory computation (`payouts.engine.reference`): both
methods with the pure maths, and the publishing lines by the run's method."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from kalipxo.money import exact_decimal
from payouts.engine.sql import SUM_PLACES
from payouts.maths.publishing import PublishingAllocation, allocate_publishing
from payouts.maths.user_centric import UserCentricParts, unallocated_spread
from payouts.policy import RunPolicy

LineKey = tuple[str, str, str]  # (ISRC, territory, tier)


@dataclass
class PublishingLineRow:
    """A publishing line (see `PublishingLine`); work "" is mechanical suspense."""

    isrc: str
    work: str
    country: str
    tier: str
    streams: int
    share: Fraction
    amount: Decimal


@dataclass(frozen=True)
class PublishingSide:
    paid: PublishingAllocation  # by the run's method
    other: PublishingAllocation  # by the other one: the comparison
    pools: Fraction
    lines: list[PublishingLineRow]


def publishing_side(
    *,
    policy: RunPolicy,
    parts: UserCentricParts,
    links: Mapping[str, Sequence[tuple[str, Decimal]]],
    work_payees: Mapping[str, Sequence[tuple[str, Decimal]]],
    own: Mapping[LineKey, Fraction],
    streams: Mapping[LineKey, int],
) -> PublishingSide:
    """The publishing side by both methods, and its lines by the run's method. `parts` are
    built from the listeners' publishing pools; `own` is each line's amount from them."""
    by_method = {
        method: allocate_publishing(
            parts=parts, method=method, links=links, work_payees=work_payees,
            unallocated_policy=policy.unallocated_policy,  # type: ignore[arg-type]
            places=policy.minor_exponent,
        )
        for method in ("user_centric", "pro_rata")
    }  # fmt: skip
    paid = by_method[policy.publishing_allocation]  # type: ignore[index]
    month_streams = sum(streams.values())
    retained = paid.allocation.retained_exact
    # A line's publishing amount: by the user-centric method the listeners' own pools and
    # the spread; by the statutory one the month's pool (less what is kept) per stream.
    spreads = unallocated_spread(parts=parts, unallocated_policy=policy.unallocated_policy)  # type: ignore[arg-type]
    spread = parts.unallocated if spreads else Fraction(0)
    rows: list[PublishingLineRow] = []
    for key in sorted(streams):
        isrc, country, tier = key
        if policy.publishing_allocation == "user_centric":
            amount = own.get(key, Fraction(0)) + (spread * streams[key] / month_streams if spread else 0)
        else:
            amount = (parts.pools - retained) * streams[key] / month_streams
        linked = Fraction(0)
        for work, link in links.get(isrc, ()):
            linked += Fraction(link)
            value = exact_decimal(amount * Fraction(link), SUM_PLACES)
            rows.append(PublishingLineRow(isrc, work, country, tier, streams[key], Fraction(link), value))
        if linked < 1:
            rest = exact_decimal(amount * (1 - linked), SUM_PLACES)
            rows.append(PublishingLineRow(isrc, "", country, tier, streams[key], 1 - linked, rest))
    return PublishingSide(
        paid=paid,
        other=by_method[policy.publishing_other],
        pools=parts.pools,
        lines=rows,  # type: ignore[index]
    )
