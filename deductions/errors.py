"""How the deductions' inputs refuse what they cannot record, and read the rates they take."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kalipxo.money import parse_decimal
from kalipxo.validation import Errors

RATE_PLACES = 6  # the rate columns' places: a rate is never rounded on the way in


@dataclass
class Rejected(Exception):
    """Why nothing was recorded: an HTTP status and the body that says what to fix."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


def rate_parse(value: Any, *, field_name: str, errors: Errors) -> Decimal | None:
    """A rate from 0 to 1 sent as a decimal string, or None with the problem in `errors`."""
    try:
        rate = parse_decimal(value, places=RATE_PLACES)
    except ValueError as exc:
        errors[field_name] = [str(exc)]
        return None
    if not Decimal(0) <= rate <= Decimal(1):
        errors[field_name] = ['A fraction from "0" to "1", e.g. "0.15" for 15%.']
        return None
    return rate
