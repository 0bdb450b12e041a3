"""The public earnings calculator (docs/rules.md §4): query parameters in, display strings out.

The page and `GET /api/v1/calculator` both answer from `calculator_answer`, which uses the
same maths as the runs. Every parameter is bounded so no input can make the Decimal
powers or the formatting blow up: bad input is a `CalculatorInputError` naming each
parameter, which the view turns into a 400.
"""

from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from django.conf import settings

from kalipxo.money import format_half_even, minor_exponent, parse_decimal
from kalipxo.validation import parse_whole_number
from payouts.maths import artist_centric, progressive, threshold
from payouts.maths.pro_rata import pro_rata_payout
from payouts.maths.user_centric import listener_payout, per_stream_rate

T = TypeVar("T")

MODELS = ("user_centric", "pro_rata", "progressive", "artist_centric", "threshold")
MAX_PLAYS = 10**13  # far above any artist's month (the seed's largest is 2.21 billion)
MAX_PRICE = Decimal(1_000_000)
MAX_RATE = Decimal(1_000)
MAX_TEXT = 40  # characters of one parameter; longer is not a number we accept
PER_STREAM_PLACES = 4
CURVE_PLACES = 8
WEIGHT_PLACES = 4  # artist_centric's weighted_streams, as a decimal string
CURVE_POINTS = 50
DEFAULT_RATE = Decimal("0.004")  # the seed's average pro-rata rate, for the crossover
# The seed calculator's "Total plays for the pay period" input.
DEFAULT_PROGRESSIVE_PLAYS = 10_000_000

Errors = dict[str, list[str]]


class CalculatorInputError(ValueError):
    """Bad query parameters, with one list of messages per parameter."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("Invalid calculator parameters.")
        self.errors = errors


class _Params:
    """Reads query parameters, collecting every error instead of stopping at the first."""

    def __init__(self, query: Mapping[str, Any]) -> None:
        self.query = query
        self.errors: Errors = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def _read(self, name: str, default: T | None, example: str, parse: Callable[[str], T]) -> T | None:
        """The parameter parsed, its default, or None with the error recorded; `parse` raises
        ValueError with a message for the client."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            if default is None:
                self.fail(name, f"Required, e.g. {name}={example}.")
            return default
        if len(raw) > MAX_TEXT:
            self.fail(name, f"At most {MAX_TEXT} characters.")
            return None
        try:
            return parse(raw)
        except ValueError as exc:
            self.fail(name, f"{exc} Send e.g. {name}={example}.")
            return None

    def integer(self, name: str, *, minimum: int, maximum: int, default: int | None = None) -> int | None:
        def parse(raw: str) -> int:
            number = parse_whole_number(raw, minimum=minimum, maximum=maximum)
            if isinstance(number, str):
                raise ValueError(number)
            return number

        return self._read(name, default, str(max(minimum, 1000)), parse)

    def decimal(
        self,
        name: str,
        *,
        minimum: Decimal,
        maximum: Decimal,
        default: Decimal | None = None,
        example: str = "0.004",
        above_minimum: bool = False,
    ) -> Decimal | None:
        value = self._read(name, default, example, parse_decimal)
        if value is None:
            return None
        too_low = value <= minimum if above_minimum else value < minimum
        if too_low or value > maximum:
            low = "greater than" if above_minimum else "at least"
            self.fail(name, f"Must be {low} {minimum} and at most {maximum}.")
            return None
        return value

    def flag(self, name: str) -> bool:
        raw = self.query.get(name)
        if raw in (None, "", "0", "false"):
            return False
        if raw in ("1", "true"):
            return True
        self.fail(name, "Use 1 or 0.")
        return False


def calculator_answer(*, query: Mapping[str, Any]) -> dict[str, Any]:
    """Answer one calculator question; raises CalculatorInputError naming bad parameters."""
    params = _Params(query)
    model = query.get("model")
    if model in (None, ""):
        params.fail("model", f"Required: one of {', '.join(MODELS)}.")
    elif model not in MODELS:
        params.fail("model", f'Unknown model "{str(model)[:MAX_TEXT]}"; use one of {", ".join(MODELS)}.')
    if params.errors:
        raise CalculatorInputError(params.errors)
    if model == "user_centric":
        return _user_centric(params)
    if model == "pro_rata":
        return _pro_rata(params)
    if model == "artist_centric":
        return _artist_centric(params)
    if model == "threshold":
        return _threshold(params)
    return _progressive(params)


def _user_centric(params: _Params) -> dict[str, Any]:
    """Seed 000: one listener's pool (price × rights share) over its streams."""
    price = params.decimal("price", minimum=Decimal(0), maximum=MAX_PRICE, example="14.99")
    listener_streams = params.integer("listener_streams", minimum=1, maximum=MAX_PLAYS)
    artist_streams = params.integer("artist_streams", minimum=0, maximum=MAX_PLAYS)
    if listener_streams is not None and artist_streams is not None and artist_streams > listener_streams:
        params.fail("artist_streams", "Must not exceed listener_streams.")
    if params.errors or price is None or listener_streams is None or artist_streams is None:
        raise CalculatorInputError(params.errors)
    pool = Fraction(price) * Fraction(settings.RIGHTS_SHARE)
    amount = listener_payout(pool=pool, listener_streams=listener_streams, artist_streams=artist_streams)
    rate = per_stream_rate(pool=pool, listener_streams=listener_streams)
    return {
        "payout": format_half_even(amount, minor_exponent()),
        "per_stream": format_half_even(rate, PER_STREAM_PLACES),
    }


def _pro_rata(params: _Params) -> dict[str, Any]:
    plays = params.integer("plays", minimum=0, maximum=MAX_PLAYS)
    rate = params.decimal("rate", minimum=Decimal(0), maximum=MAX_RATE)
    if params.errors or plays is None or rate is None:
        raise CalculatorInputError(params.errors)
    return {
        "payout": format_half_even(pro_rata_payout(plays=plays, rate=rate), minor_exponent()),
        "per_stream": format_half_even(rate, PER_STREAM_PLACES),
    }


def _progressive(params: _Params) -> dict[str, Any]:
    """Seed 003's calculator; every parameter defaults to the seed's setting."""
    defaults = progressive.DEFAULT_PARAMS
    plays = params.integer("plays", minimum=0, maximum=MAX_PLAYS, default=DEFAULT_PROGRESSIVE_PLAYS)
    base = params.decimal(
        "base", minimum=Decimal(0), maximum=MAX_RATE, default=defaults.base_value, example="0.0087"
    )
    base_plays = params.integer("base_plays", minimum=0, maximum=MAX_PLAYS - 1, default=defaults.base_plays)
    curve_plays = params.integer("curve_plays", minimum=1, maximum=MAX_PLAYS, default=defaults.curve_plays)
    floor_ratio = params.decimal(
        "floor_ratio", minimum=Decimal(0), maximum=Decimal(1), default=defaults.floor_ratio, example="0.03"
    )
    exponent = params.decimal(
        "exponent",
        minimum=Decimal(0),
        maximum=progressive.MAX_EXPONENT,
        default=defaults.exponent,
        example="1.2",
        above_minimum=True,
    )
    rate = params.decimal("rate", minimum=Decimal(0), maximum=MAX_RATE, default=DEFAULT_RATE)
    with_curve = params.flag("curve")
    if base_plays is not None and curve_plays is not None and curve_plays <= base_plays:
        params.fail("curve_plays", "Must be greater than base_plays.")
    if (
        params.errors
        or plays is None
        or rate is None
        or base is None
        or base_plays is None
        or curve_plays is None
        or floor_ratio is None
        or exponent is None
    ):
        raise CalculatorInputError(params.errors)
    model = progressive.ProgressiveParams(
        base_value=base,
        base_plays=base_plays,
        curve_plays=curve_plays,
        floor_ratio=floor_ratio,
        exponent=exponent,
    )
    amount = progressive.payout(plays=plays, params=model)
    # Average per play; with no plays, its limit: the first play's value.
    average = amount / plays if plays else progressive.value_at(play=1, params=model)
    answer: dict[str, Any] = {
        "payout": format_half_even(amount, minor_exponent()),
        "per_stream": format_half_even(average, PER_STREAM_PLACES),
        "crossover_plays": progressive.crossover_plays(rate=rate, params=model),
    }
    if with_curve:
        up_to = max(plays, model.curve_plays + model.curve_plays // 10)
        answer["curve"] = [
            [play, format_half_even(value, CURVE_PLACES)]
            for play, value in progressive.curve_points(up_to=up_to, params=model, points=CURVE_POINTS)
        ]
    return answer


def _share(params: _Params, name: str, default: int, example: str) -> Decimal | None:
    return params.decimal(
        name, minimum=Decimal(0), maximum=Decimal(1), default=Decimal(default), example=example
    )


def _artist_centric(params: _Params) -> dict[str, Any]:
    """One artist's month under `payouts/maths/artist_centric.py`, at a given value of one
    weighted stream (`rate`: in a real month, the pool over the month's total weight).

    The weight of the artist's plays: × 2 when professional; the share `capped_share` of
    them, from listeners above the listener cap, × `cap_factor` (their average factor)."""
    plays = params.integer("plays", minimum=0, maximum=MAX_PLAYS)
    listeners = params.integer("listeners", minimum=0, maximum=MAX_PLAYS)
    rate = params.decimal("rate", minimum=Decimal(0), maximum=MAX_RATE, default=DEFAULT_RATE)
    min_streams = params.integer(
        "min_streams", minimum=0, maximum=MAX_PLAYS, default=artist_centric.MIN_STREAMS
    )
    min_listeners = params.integer(
        "min_listeners", minimum=0, maximum=MAX_PLAYS, default=artist_centric.MIN_LISTENERS
    )
    capped_share = _share(params, "capped_share", 0, "0.25")
    cap_factor = _share(params, "cap_factor", 1, "0.5")
    if plays is not None and listeners is not None and listeners > plays:
        params.fail("listeners", "Must not exceed plays: every listener streamed at least once.")
    if (
        params.errors
        or plays is None
        or listeners is None
        or rate is None
        or min_streams is None
        or min_listeners is None
        or capped_share is None
        or cap_factor is None
    ):
        raise CalculatorInputError(params.errors)
    professional = plays >= min_streams and listeners >= min_listeners
    multiplier = 2 if professional else 1
    share = Fraction(capped_share)
    weight = multiplier * (1 - share + share * Fraction(cap_factor))  # of one play, on average
    amount = plays * weight * Fraction(rate)
    return {
        "payout": format_half_even(amount, minor_exponent()),
        "per_stream": format_half_even(weight * Fraction(rate), PER_STREAM_PLACES),
        "professional": professional,
        "multiplier": multiplier,
        "weighted_streams": format_half_even(plays * weight, WEIGHT_PLACES),
        "rule": artist_centric.RULE,
    }


def _threshold(params: _Params) -> dict[str, Any]:
    """One track's month under `payouts/maths/threshold.py`, at a given rate (in a real
    month, the pool over the passing tracks' streams)."""
    plays = params.integer("plays", minimum=0, maximum=MAX_PLAYS)
    # Default: this month's plays (0 when those are bad, so only `plays` is named).
    trailing = params.integer("trailing_plays", minimum=0, maximum=MAX_PLAYS, default=plays or 0)
    rate = params.decimal("rate", minimum=Decimal(0), maximum=MAX_RATE, default=DEFAULT_RATE)
    min_streams = params.integer("min_streams", minimum=0, maximum=MAX_PLAYS, default=threshold.MIN_STREAMS)
    if plays is not None and trailing is not None and trailing < plays:
        params.fail("trailing_plays", "Must be at least plays: the 12 months include this one.")
    if params.errors or plays is None or trailing is None or rate is None or min_streams is None:
        raise CalculatorInputError(params.errors)
    short = max(0, min_streams - trailing)
    paid = plays > 0 and not short
    if not plays:
        reason: str | None = "No plays this month, so nothing to pay."
    elif short:
        reason = (
            f"Fewer than {min_streams:,} plays over the last 12 months ({trailing:,}): "
            f"{short:,} more would pass."
        )
    else:
        reason = None
    paid_rate = Fraction(rate) if paid else Fraction(0)
    return {
        "payout": format_half_even(plays * paid_rate, minor_exponent()),
        "per_stream": format_half_even(paid_rate, PER_STREAM_PLACES),
        "paid": paid,
        "reason": reason,
        "streams_short": short,
        "rule": threshold.RULE,
    }
