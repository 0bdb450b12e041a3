"""The works catalog's rules on their own, no database: ISWC check digits, IPI numbers, the
writers' shares (exactly 1) and a recording's links over all works (at most 1)."""

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from artists.upsert import CatalogRejected
from artists.works import WorkIn, links_over_one, works_parse
from kalipxo.validation import check_ipi, iswc_check_digit, normalize_iswc

# --- ISWC ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("T-034.524.680-1", "T-034.524.680-1"),  # ISO 15707's worked example
        ("T0345246801", "T-034.524.680-1"),
        ("T-000.000.001-0", "T-000.000.001-0"),  # the first ISWC assigned
        ("T9999999999", None),
        ("T-999.999.999-4", "T-999.999.999-4"),  # 1 + 9·45 = 406: (10 - 6) mod 10
    ],
)
def test_known_iswcs_and_their_check_digits(sent: str, stored: str | None) -> None:
    assert normalize_iswc(sent) == stored


def test_the_check_digit_weights_each_digit_by_its_position() -> None:
    # 1 + 0·1 + 3·2 + 4·3 + 5·4 + 2·5 + 4·6 + 6·7 + 8·8 + 0·9 = 179; (10 - 9) mod 10 = 1
    assert iswc_check_digit("034524680") == 1
    assert iswc_check_digit("000000000") == 9
    assert iswc_check_digit("000000001") == 0


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(digits=nine_digits)
def test_exactly_one_check_digit_fits_nine_digits_in_either_form(digits: str) -> None:
    grouped = [normalize_iswc(f"T-{digits[:3]}.{digits[3:6]}.{digits[6:]}-{c}") for c in range(10)]
    compact = [normalize_iswc(f"T{digits}{c}") for c in range(10)]

    assert grouped == compact
    assert [c for c in range(10) if grouped[c] is not None] == [iswc_check_digit(digits)]


@given(digits=nine_digits, position=st.integers(0, 8), step=st.sampled_from([1, 3, 7, 9]))
def test_a_digit_mistyped_by_a_step_prime_to_10_is_caught(digits: str, position: int, step: int) -> None:
    # The sum changes by weight × step (mod 10), weights 1 to 9: never a multiple of 10 for
    # these steps. (A step of 2, 4, 5, 6 or 8 can slip through at some weights.)
    typo = digits[:position] + str((int(digits[position]) + step) % 10) + digits[position + 1 :]

    assert iswc_check_digit(typo) != iswc_check_digit(digits)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "T",
        "T-034.524.680",
        "T03452468011",
        "X0345246801",
        "T 0345246801",
        None,
        345246801,
        ["T0345246801"],
    ],
)
def test_what_is_no_iswc(value: Any) -> None:
    assert normalize_iswc(value) is None


# --- IPI -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["123456789", "0123456789", "00000000000"])
def test_ipi_numbers_of_9_to_11_digits(value: str) -> None:
    assert check_ipi(value) is None


@pytest.mark.parametrize(
    "value", ["12345678", "123456789012", "1234567 89", "１２３４５６７８９", 123456789, None]
)
def test_what_is_no_ipi(value: Any) -> None:
    assert check_ipi(value) is not None


# --- writers' shares -------------------------------------------------------------------

six_places = st.decimals(min_value=Decimal("-0.5"), max_value=Decimal("1.5"), places=6, allow_nan=False)


def a_work(shares: list[str]) -> dict[str, Any]:
    writers = [
        {"payee": {"id": f"p-{i}", "kind": "writer", "name": "P"}, "share": s} for i, s in enumerate(shares)
    ]
    return {"id": "wrk-1", "title": "Song", "writers": writers}


@st.composite
def share_lists(draw: st.DrawFn) -> list[Decimal]:
    """Shares of six places, often completed to sum to exactly 1."""
    shares = draw(st.lists(six_places, min_size=1, max_size=6))
    if draw(st.booleans()):
        shares[-1] = Decimal(1) - sum(shares[:-1], Decimal(0))
    return shares


@given(shares=share_lists())
def test_writers_are_accepted_exactly_when_each_share_is_in_range_and_they_sum_to_one(
    shares: list[Decimal],
) -> None:
    valid = all(0 < s <= 1 for s in shares) and sum(shares) == 1

    try:
        [parsed] = works_parse([a_work([str(s) for s in shares])])
    except CatalogRejected as exc:
        assert not valid, exc.body
        [rejection] = exc.body["rejected"]
        assert set(rejection["errors"]) <= {"writers"} | {f"writers[{i}].share" for i in range(len(shares))}
    else:
        assert valid
        assert [w.share for w in parsed.writers] == shares


@given(
    shares=st.lists(
        st.decimals(min_value=Decimal("0.0000001"), max_value=1, places=7), min_size=1, max_size=4
    )
)
def test_a_share_with_a_seventh_decimal_place_is_refused_naming_it(shares: list[Decimal]) -> None:
    sent = [str(s) for s in shares]
    seventh = [i for i, s in enumerate(shares) if s * 1_000_000 != int(s * 1_000_000)]

    try:
        works_parse([a_work(sent)])
    except CatalogRejected as exc:
        errors = exc.body["rejected"][0]["errors"]
        assert all(f"writers[{i}].share" in errors for i in seventh)
    else:
        assert not seventh


# --- a recording's links over all works ------------------------------------------------

isrcs = st.sampled_from(["QZKPX2600001", "QZKPX2600002", "QZKPX2600003"])
link_shares = st.decimals(min_value=Decimal("0.000001"), max_value=1, places=6)


@given(
    stored=st.dictionaries(isrcs, link_shares, max_size=3),
    requested=st.lists(st.dictionaries(isrcs, link_shares, max_size=3), max_size=4),
)
def test_links_over_one_are_those_whose_stored_plus_requested_sum_passes_one(
    stored: dict[str, Decimal], requested: list[dict[str, Decimal]]
) -> None:
    works = [WorkIn(i, f"wrk-{i}", None, "W", (), tuple(links.items())) for i, links in enumerate(requested)]

    over = links_over_one(stored=stored, works=works)

    for isrc in {*stored, *(i for links in requested for i in links)}:
        total = stored.get(isrc, Decimal(0)) + sum(links.get(isrc, Decimal(0)) for links in requested)
        assert (isrc in over) == (total > 1)
        if isrc in over:
            assert over[isrc] == total
