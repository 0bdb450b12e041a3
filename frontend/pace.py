"""Comparisons of an open month with the month before, as plain arithmetic on counts and
exact amounts (docs/rules.md §2 Estimates vs finals: the open month is an estimate).

A month under way is compared with the same point of the month before (the same time
elapsed since the 1st: `kalipxo.months.same_point_last_month`), never with a whole month:
on the 1st, a day's plays against a month's would read as a fall. The page script repeats
this arithmetic on the live figures (dashboard.js), so both round the same way:
percentages to a tenth, half away from zero; money to the cent, half even.
"""

from fractions import Fraction


def percent_change(after: int, before: int) -> str | None:
    """ "+12.5%", "−3.0%", "0.0%" from `before` to `after` (counts or whole cents); None
    when `before` is 0. As Kx.percentChange does it on BigInt: twice the tenths, truncated,
    then halved away from zero."""
    if not before:
        return None
    doubled = _truncate(Fraction((after - before) * 2000, before))
    tenths = (doubled + 1) // 2 if doubled >= 0 else -((-doubled + 1) // 2)
    sign = "+" if tenths > 0 else "−" if tenths < 0 else ""
    return f"{sign}{abs(tenths) // 10}.{abs(tenths) % 10}%"


def _truncate(value: Fraction) -> int:
    """Toward zero, as BigInt division does."""
    whole = abs(value.numerator) // value.denominator
    return whole if value >= 0 else -whole


def projected_amount(*, last_amount: Fraction, streams: int, last_streams_by_then: int) -> Fraction | None:
    """Last month's amount scaled by how this month's plays compare with last month's at
    the same point: what the month would pay if it kept pace with last month. None
    without plays to compare with."""
    if not last_streams_by_then:
        return None
    return last_amount * streams / last_streams_by_then
