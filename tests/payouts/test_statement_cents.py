"""A statement's lines in cents (payouts.statement_cents): every row and column adds up."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from payouts.statement_cents import ExactLine, LineCents, lines_in_minor, share_out


def _line(listeners: str, unallocated: str) -> ExactLine:
    return ExactLine(Decimal(listeners), Decimal(unallocated), Decimal(listeners) + Decimal(unallocated))


def test_six_small_lines_share_the_payees_rounded_total() -> None:
    # 0.01275 each rounds to 0.01 alone (0.06 in all); the payee's 0.0765 is paid as 0.08.
    lines = [_line("0.01275", "0")] * 6
    cents = lines_in_minor(lines, 8, scale=100)
    assert sum(c.amount for c in cents) == 8
    assert sorted(c.amount for c in cents) == [1, 1, 1, 1, 2, 2]


def test_a_line_splits_its_cents_between_its_two_stages() -> None:
    # 1.275 + 0.415 = 1.69 cents: 2 cents, the second to the larger remainder (0.415).
    assert lines_in_minor([_line("0.01275", "0.00415")], 2, scale=100) == [LineCents(1, 1, 2)]


def test_no_lines_nothing_to_share() -> None:
    assert lines_in_minor([], 0, scale=100) == []


def test_a_total_out_of_reach_of_rounding_each_line_is_shared_in_proportion() -> None:
    # Stored exact amounts a hair below 51 cents while the run paid 52: still adds up.
    shared = share_out({"a": Fraction(2549, 100), "b": Fraction(2549, 100)}, 52)
    assert shared == {"a": 26, "b": 26}
    assert sum(share_out({"a": Fraction(0), "b": Fraction(0)}, 3).values()) == 3


amounts = st.decimals(min_value=0, max_value=50, places=9, allow_nan=False, allow_infinity=False)


@given(
    st.lists(st.tuples(amounts, amounts), min_size=1, max_size=40), st.sampled_from(["down", "up", "beyond"])
)
def test_every_row_and_column_adds_up(parts: list[tuple[Decimal, Decimal]], rounding: str) -> None:
    lines = [ExactLine(a, b, a + b) for a, b in parts]
    exact = sum((Fraction(line.amount) * 100 for line in lines), Fraction(0))
    down, up = exact.numerator // exact.denominator, -(-exact.numerator // exact.denominator)
    # The run pays the exact total rounded down or up; "beyond" is out of reach of rounding.
    total = {"down": down, "up": up, "beyond": up + 1}[rounding]
    cents = lines_in_minor(lines, total, scale=100)
    assert sum(c.amount for c in cents) == total
    assert all(c.from_listeners + c.from_unallocated == c.amount for c in cents)
    assert all(min(c.from_listeners, c.from_unallocated) >= 0 for c in cents)
    if rounding != "beyond":  # each line is then its own exact amount rounded down or up
        for line, c in zip(lines, cents, strict=True):
            assert abs(c.amount - Fraction(line.amount) * 100) < 1
