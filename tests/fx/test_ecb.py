"""`load_fx_rates` and the ECB reference-rate files (docs/rules.md §2 Currencies): both file
shapes, the derivation ECB(settlement) / ECB(currency) rounded half-even to 10 places, what is
skipped and why, and the API's rules (replays, conflicts, closed months) per file."""

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from fx.ecb import EcbFileError, ecb_rate, ecb_rates_read
from fx.models import FxRate
from streams.models import ClosedMonth

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "eurofxref-hist-example.csv"

DAILY = (
    "Date, USD, JPY, BGN, CZK, GBP, CHF, SEK, ISK, \n"
    "04 December 2026, 1.2000, 150.00, N/A, 25.000, 0.8000, 0.9600, 11.0000, 150.0, \n"
)
HISTORY = """Date,USD,JPY,CYP,GBP,CHF,
2026-12-04,1.2000,150.00,N/A,0.8000,0.9600,
2026-12-03,N/A,151.00,N/A,0.8100,0.9700,
2026-12-02,1.0832,161.85,N/A,0.8529,N/A,
"""


def _by(read: Any) -> dict[tuple[date, str], Decimal]:
    return {(r.date, r.currency): r.rate for r in read.rates}


@pytest.mark.parametrize(
    ("settlement", "currency", "rate"),
    [
        ("1.2", "1", "1.2"),  # EUR in USD: ECB USD
        ("1.2", "150", "0.008"),  # JPY: 1.2 / 150
        ("1.2", "0.8", "1.5"),  # GBP: 1.2 / 0.8
        ("1.2", "0.96", "1.25"),  # CHF
        ("1", "3", "0.3333333333"),
        ("2", "3", "0.6666666667"),
        ("1.0832", "161.85", "0.0066926166"),  # 0.006692616620327...: down
        ("1.0832", "0.8529", "1.2700199320"),  # 1.270019931996717...: up
        ("1", "0.00000000004", "25000000000"),
        # 1 / 8 = 0.125 and 0.00000000025 / 1: ties at the 11th place go to the even digit.
        ("0.00000000025", "1", "0.0000000002"),
        ("0.00000000035", "1", "0.0000000004"),
    ],
)
def test_the_rate_is_the_settlement_value_of_one_unit_half_even_to_ten_places(
    settlement: str, currency: str, rate: str
) -> None:
    assert ecb_rate(Decimal(settlement), Decimal(currency)) == Decimal(rate)


def test_the_daily_file_with_usd_settlement() -> None:
    read = ecb_rates_read(DAILY, settlement="USD", source="ECB")
    day = date(2026, 12, 4)
    assert _by(read) == {
        (day, "EUR"): Decimal("1.2"),  # 1 EUR = ECB(USD) dollars
        (day, "JPY"): Decimal("0.008"),  # ECB(USD) / ECB(JPY) = 1.2 / 150
        (day, "CZK"): Decimal("0.048"),
        (day, "GBP"): Decimal("1.5"),
        (day, "CHF"): Decimal("1.25"),
        (day, "SEK"): Decimal("0.1090909091"),  # 1.2 / 11 = 0.10909090909...
        (day, "ISK"): Decimal("0.008"),
    }
    assert {r.source for r in read.rates} == {"ECB"}
    assert read.missing == 1  # BGN: N/A (and no longer a current currency either)
    assert any("USD is the settlement currency" in note for note in read.notes)


def test_the_history_file_skips_a_date_without_the_settlement_rate_and_withdrawn_currencies() -> None:
    read = ecb_rates_read(HISTORY, settlement="USD", source="ECB")
    rates = _by(read)
    assert rates[(date(2026, 12, 4), "JPY")] == Decimal("0.008")
    assert rates[(date(2026, 12, 2), "EUR")] == Decimal("1.0832")
    assert rates[(date(2026, 12, 2), "JPY")] == Decimal("0.0066926166")
    assert rates[(date(2026, 12, 2), "GBP")] == Decimal("1.2700199320")
    assert (date(2026, 12, 2), "CHF") not in rates  # N/A
    assert not [key for key in rates if key[0] == date(2026, 12, 3)]
    assert len(rates) == 4 + 3
    assert read.skipped == 3  # 3 December's JPY, GBP, CHF: no USD rate to convert them with
    assert read.missing == 1 + 3 + 1  # 3 December's USD; CYP three times; 2 December's CHF
    assert any("2026-12-03 (line 3) has no USD rate" in note for note in read.notes)
    assert any("Not a current ISO 4217 currency" in note and "CYP" in note for note in read.notes)


def test_a_withdrawn_currency_with_values_is_skipped_and_counted() -> None:
    read = ecb_rates_read("Date,USD,CYP\n2007-12-31,1.4721,0.585274\n", settlement="USD", source="ECB")
    assert _by(read) == {(date(2007, 12, 31), "EUR"): Decimal("1.4721")}
    assert read.skipped == 1 and read.missing == 0


def test_a_euro_settlement_inverts_the_ecb_rates() -> None:
    read = ecb_rates_read(DAILY, settlement="EUR", source="ECB")
    day = date(2026, 12, 4)
    rates = _by(read)
    assert (day, "EUR") not in rates
    assert rates[(day, "USD")] == Decimal("0.8333333333")  # 1 / 1.2
    assert rates[(day, "GBP")] == Decimal("1.25")  # 1 / 0.8
    assert rates[(day, "JPY")] == Decimal("0.0066666667")  # 1 / 150


def test_a_settlement_currency_the_ecb_does_not_quote_cannot_be_converted() -> None:
    with pytest.raises(EcbFileError, match="no COP column"):
        ecb_rates_read(DAILY, settlement="COP", source="ECB")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "header"),
        ("USD,JPY\n1.1,150\n", "header"),
        ("Date,USD,Japanese yen\n2026-12-04,1.1,150\n", 'column "JAPANESE YEN"'),
        ("Date,USD,USD\n2026-12-04,1.1,1.1\n", "USD more than once"),
        ("Date,USD,JPY\n2026-12-04,1.1,150,7\n", "Line 2 does not have one value"),
        ("Date,USD,JPY\n2026-12-04,1.1\n", "Line 2 does not have one value"),
        ("Date,USD,JPY\n2026-12-04,1.1,150\n2026-12-04,1.1,150\n", "already on line 2"),
        ("Date,USD,JPY\n2026-12-32,1.1,150\n", "Line 2: the date"),
        ("Date,USD,JPY\n4 Decembre 2026,1.1,150\n", "Line 2: the date"),
        ("Date,USD,JPY\n12/04/2026,1.1,150\n", "Line 2: the date"),
        ("Date,USD,JPY\n2026-12-04,1.1,1 50\n", "Line 2, JPY"),
        ("Date,USD,JPY\n2026-12-04,1.1,0\n", "Line 2, JPY: a rate is positive"),
        ("Date,USD,JPY\n2026-12-04,-1.1,150\n", "Line 2, USD: a rate is positive"),
    ],
)
def test_a_file_not_in_the_ecb_format_is_refused_whole(text: str, message: str) -> None:
    with pytest.raises(EcbFileError, match=message):
        ecb_rates_read(text, settlement="USD", source="ECB")


def test_the_daily_date_takes_one_digit_days_and_any_case() -> None:
    read = ecb_rates_read("Date, USD, JPY\n4 DECEMBER 2026, 1.2, 150\n", settlement="USD", source="ECB")
    assert {r.date for r in read.rates} == {date(2026, 12, 4)}


def _load(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("load_fx_rates", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_example_history_loads_and_loads_again_unchanged() -> None:
    output = _load(EXAMPLE)
    # 7 dates × (EUR, JPY, GBP, CHF, SEK); BGN, CYP and HRK are N/A.
    assert "35 recorded, 0 unchanged, 0 skipped (21 N/A: not published)." in output
    assert FxRate.objects.count() == 35 and set(FxRate.objects.values_list("source", flat=True)) == {"ECB"}
    assert set(FxRate.objects.values_list("recorded_by", flat=True)) == {"load_fx_rates"}
    eur = FxRate.objects.get(date=date(2026, 10, 1), currency="EUR")
    assert eur.rate == Decimal("1.0832")
    assert FxRate.objects.get(date=date(2026, 10, 1), currency="JPY").rate == Decimal("0.0066926166")
    assert "0 recorded, 35 unchanged, 0 skipped" in _load(EXAMPLE)


@pytest.mark.django_db
def test_a_file_with_one_conflicting_rate_records_nothing(tmp_path: Path) -> None:
    FxRate.objects.create(date=date(2026, 12, 4), currency="GBP", rate=Decimal("1.4"), recorded_by="t")
    path = tmp_path / "eurofxref.csv"
    path.write_text(DAILY)
    with pytest.raises(CommandError, match=r"2026-12-04 GBP\)\.rate: GBP on 2026-12-04 is already 1.4"):
        _load(path)
    assert FxRate.objects.count() == 1


@pytest.mark.django_db
def test_a_file_with_a_date_in_a_closed_month_records_nothing(tmp_path: Path) -> None:
    ClosedMonth.objects.create(month=date(2026, 12, 1))
    path = tmp_path / "eurofxref.csv"
    path.write_text(DAILY)
    with pytest.raises(CommandError, match="2026-12 is closed"):
        _load(path)
    assert not FxRate.objects.exists()


@pytest.mark.django_db
def test_the_command_names_its_source_and_says_what_it_skipped(tmp_path: Path) -> None:
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(HISTORY)
    output = _load(path, "--source", "ECB daily")
    assert "2026-12-03 (line 3) has no USD rate, so its 3 rates cannot be converted: skipped." in output
    assert "7 recorded, 0 unchanged, 3 skipped (5 N/A: not published)." in output
    assert set(FxRate.objects.values_list("source", flat=True)) == {"ECB daily"}


@pytest.mark.django_db
def test_the_command_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No file"):
        _load(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,USD\n2026-12-04,one\n")
    with pytest.raises(CommandError, match=r"Line 2, USD.*Nothing was recorded"):
        _load(bad)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00D")
    with pytest.raises(CommandError, match="not UTF-8"):
        _load(binary)
    with pytest.raises(CommandError, match="--source"):
        _load(EXAMPLE, "--source", " ")
    assert not FxRate.objects.exists()
