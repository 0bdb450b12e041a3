"""A month's settlement as the artist page shows it: the chain from gross to payable in
cents (docs/rules.md §2 Rounding), the held streams of the artist's listeners, and what a
review request of them does."""

from datetime import date
from decimal import Decimal
from typing import Any

from frontend.selectors import month_from_key, month_key
from frontend.templatetags.kx import currency_symbol
from kalipxo.money import minor_exponent, quantize_money
from kalipxo.months import month_name
from payouts import artist_selectors

# The chain's stage named as what the page shows: its figure is in cents like every other.
_CHAIN_LABELS = {"Your exact share": "Your share before rounding"}


def _exact_digits(amount: Decimal, places: int) -> str:
    """An exact amount with the trailing zeros past the cents dropped: "15.062000" -> "15.062"."""
    text = format(amount, "f")
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(places, "0")
    return f"{whole}.{fraction}" if fraction else whole


def chain_shown(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The settlement chain as the page shows it: each stage in cents with its exact value
    kept for the hover and the statement CSV; stages of exactly zero left out (the gross
    and the payable always shown). docs/rules.md §2 Rounding: the payable is rounded once."""
    places = minor_exponent()
    shown = []
    for index, step in enumerate(steps):
        exact = Decimal(step["amount"])
        always = index == len(steps) - 1 or step["label"].startswith("Gross")
        if not exact and not always:
            continue
        cents = quantize_money(exact, places)
        shown.append(
            {
                **step,
                "label": _CHAIN_LABELS.get(step["label"], step["label"]),
                "exact": _exact_digits(exact, places),
                "amount": str(cents),
                "under_a_cent": bool(exact) and not cents,
                "rounded": exact != cents,
            }
        )
    return shown


def rounding_note(steps: list[dict[str, Any]]) -> str | None:
    """How far the single rounding (largest remainder) moved the payable away from the
    artist's share rounded alone; None when it did not."""
    shares = [step for step in steps if step["stage"] == "payee"]
    if len(shares) < 2:
        return None
    places = minor_exponent()
    share, payable = quantize_money(Decimal(shares[-2]["amount"]), places), Decimal(shares[-1]["amount"])
    if share == payable:
        return None
    direction = "more" if payable > share else "less"
    return (
        "Rounding every payee once so that the month adds up to the cent gave you "
        f"{currency_symbol()}{abs(payable - share):,} {direction} than rounding your share alone."
    )


def final_month_details(*, artist_id: str, month: date) -> dict[str, Any]:
    """Per-track money and the settlement chain of a finalized month."""
    steps = artist_selectors.artist_settlement_chain(artist_id, month)
    return {
        "tracks": artist_selectors.artist_final_tracks(artist_id, month),
        "chain": chain_shown(steps),
        "chain_note": rounding_note(steps),
    }


def artist_holds(*, artist_id: str, months: list[date]) -> list[dict[str, Any]]:
    """The artist's streams held by fraud review in these months (newest month first)."""
    held: list[dict[str, Any]] = []
    for month in months:
        for row in artist_selectors.artist_holds(artist_id, month):
            held.append({"month": month_key(month), **row})
    return held


def review_outcomes(*, months: list[str], final_months: list[str]) -> dict[str, str]:
    """What happens to a review request, per month of the holds: before the month is paid
    the reviewer's decision still counts; a paid month is never edited, so a review upheld
    then is corrected in a later month (docs/rules.md §2 Deductions: final months)."""
    outcomes = {}
    for key in months:
        name = month_name(month_from_key(key))
        if key in final_months:
            outcomes[key] = (
                f"Sent. {name} is already paid and will not change: an admin will review your request, "
                "and if it is upheld, the correction is made in a later month's payout and shown on that "
                "month's statement; otherwise the request is refused."
            )
        else:
            outcomes[key] = f"Sent. An admin will look at it before {name} is paid."
    return outcomes
