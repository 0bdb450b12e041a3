"""Field checks shared by the bulk endpoints: plain functions returning a value or a message."""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from kalipxo.months import add_months
from kalipxo.validation import (
    check_id,
    check_int,
    check_text,
    month_label,
    normalize_country,
    normalize_isrc,
    parse_month,
    parse_timestamp,
    parse_whole_number,
    unknown_fields,
)


@pytest.mark.parametrize(
    ("raw", "isrc"),
    [
        ("USRC17607839", "USRC17607839"),
        ("usrc17607839", "USRC17607839"),
        ("US-RC1-76-07839", "USRC17607839"),
        ("GBAYE0601498", "GBAYE0601498"),
        ("QZ9AB2600001", "QZ9AB2600001"),
    ],
)
def test_valid_isrcs_are_normalised_to_twelve_upper_case_characters(raw: str, isrc: str) -> None:
    assert normalize_isrc(raw) == isrc


@pytest.mark.parametrize(
    "raw",
    [
        "USRC1760783",  # 11 characters
        "USRC176078390",  # 13 characters
        "U1RC17607839",  # digit in the country code
        "USRC1A607839",  # letter in the year
        "USRC176078X9",  # letter in the designation code
        "US RC17607839",
        " USRC17607839",
        "US-RC1-76-07839-",  # more than 15 characters even if hyphens are dropped
        "U-S-R-C-1-7-6-0-7-8-3-9",  # too long to be a hyphenated ISRC
        "ＵSRC17607839",  # full-width letter
        "ßRC176078391",  # upper() would make it "SSRC176078391"
        "",
        None,
        17607839,
        ["USRC17607839"],
    ],
)
def test_invalid_isrcs_are_none(raw: Any) -> None:
    assert normalize_isrc(raw) is None


@pytest.mark.parametrize(("raw", "country"), [("US", "US"), ("fr", "FR"), ("De", "DE")])
def test_countries_are_two_letters_upper_cased(raw: str, country: str) -> None:
    assert normalize_country(raw) == country


@pytest.mark.parametrize("raw", ["USA", "U", "", "U1", "ß", "ﬀ", None, 1, "U S"])
def test_anything_but_two_ascii_letters_is_not_a_country(raw: Any) -> None:
    assert normalize_country(raw) is None


@pytest.mark.parametrize("value", ["L1", "inv-2026-10-L1", "a.b_c:d@e/f+g=h", "0b6f3c1e-..."])
def test_ids_of_safe_characters_pass(value: str) -> None:
    assert check_id(value) is None


@pytest.mark.parametrize("value", ["", " L1", "-L1", "L 1", "L1\n", "é", None, 1, ["L1"], "x" * 65])
def test_other_ids_get_a_message(value: Any) -> None:
    assert isinstance(check_id(value), str)


def test_id_length_is_configurable() -> None:
    assert check_id("x" * 100, max_length=100) is None
    assert check_id("x" * 101, max_length=100) == "At most 100 characters."


@pytest.mark.parametrize("value", ["", "   ", "a\x00", "a\nb", "x" * 301, None, 3])
def test_bad_text_gets_a_message(value: Any) -> None:
    assert isinstance(check_text(value), str)


def test_text_may_hold_any_printable_script() -> None:
    assert check_text("Sigur Rós — Hoppípolla 🎵") is None


@pytest.mark.parametrize(("value", "ok"), [(0, True), (10, True), (11, False), (-1, False)])
def test_integers_are_checked_against_their_range(value: int, ok: bool) -> None:
    assert (check_int(value, minimum=0, maximum=10) is None) is ok


@pytest.mark.parametrize("value", [True, False, 1.0, 1.5, "1", None])
def test_booleans_floats_and_strings_are_not_integers(value: Any) -> None:
    assert check_int(value, minimum=0, maximum=10) == "Must be an integer."


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("2026-10-03T12:00:00Z", datetime(2026, 10, 3, 12, tzinfo=UTC)),
        ("2026-10-03T14:00:00+02:00", datetime(2026, 10, 3, 12, tzinfo=UTC)),
        ("2026-10-03T12:00:00.250Z", datetime(2026, 10, 3, 12, 0, 0, 250_000, tzinfo=UTC)),
    ],
)
def test_timestamps_with_a_zone_become_aware_utc(raw: str, parsed: datetime) -> None:
    result = parse_timestamp(raw)

    assert result == parsed
    assert isinstance(result, datetime)
    assert result.tzinfo == UTC


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2026-10-03T12:00:00", "time zone"),
        ("2026-10-03", "time zone"),
        ("03/10/2026 12:00", "ISO 8601"),
        ("２０２６-10-03T12:00:00Z", "ISO 8601"),
        ("1999-12-31T23:59:59Z", "2000"),
        ("9999-12-31T23:59:59-01:00", "2999"),
        ("2026-10-03T12:00:00Z" + " " * 30, "ISO 8601"),
        (1790000000, "ISO 8601"),
        (None, "ISO 8601"),
    ],
)
def test_other_timestamps_get_a_message(raw: Any, message: str) -> None:
    result = parse_timestamp(raw)

    assert isinstance(result, str)
    assert message in result


def test_offsets_are_kept_exact() -> None:
    odd = datetime(2026, 10, 3, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=45)))

    assert parse_timestamp(odd.isoformat()) == odd


@pytest.mark.parametrize(("raw", "month"), [("2026-10", date(2026, 10, 1)), ("2000-01", date(2000, 1, 1))])
def test_months_are_their_first_day(raw: str, month: date) -> None:
    assert parse_month(raw) == month
    assert month_label(month) == raw


@pytest.mark.parametrize(
    "raw", ["2026-13", "2026-00", "1999-12", "2026-1", "2026-10-01", "202610", "２０２６-10", None, 202610]
)
def test_other_months_get_a_message(raw: Any) -> None:
    assert isinstance(parse_month(raw), str)


def test_unknown_fields_are_named_one_by_one() -> None:
    errors = unknown_fields({"id": 1, "zeta": 2, "alpha": 3}, ("id",))

    assert list(errors) == ["alpha", "zeta"]
    assert all(messages[0].startswith("Unknown field") for messages in errors.values())


@pytest.mark.parametrize(("raw", "number"), [("0", 0), ("10", 10), ("007", 7), ("100", 100)])
def test_whole_numbers_in_ascii_digits_are_read(raw: str, number: int) -> None:
    assert parse_whole_number(raw, minimum=0, maximum=100) == number


@pytest.mark.parametrize(
    "raw", ["²", "1²", "١٠", "１０", "-1", "+1", " 1", "1 ", "1.0", "1e2", "", "101", "9" * 5000, None, 10]
)
def test_anything_else_is_not_a_whole_number(raw: Any) -> None:
    assert parse_whole_number(raw, minimum=0, maximum=100) == (
        "A whole number from 0 to 100, written with the digits 0-9."
    )


@pytest.mark.parametrize(
    ("month", "count", "result"),
    [
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 12, 1), 2, date(2027, 2, 1)),
        (date(2026, 1, 1), -1, date(2025, 12, 1)),
        (date(2026, 10, 1), 0, date(2026, 10, 1)),
        (date(2026, 10, 1), 27, date(2029, 1, 1)),
    ],
)
def test_months_are_added_across_years(month: date, count: int, result: date) -> None:
    assert add_months(month, count) == result
