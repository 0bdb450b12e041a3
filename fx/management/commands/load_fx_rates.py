"""Load exchange rates from a file in the ECB's reference-rate CSV format (docs/rules.md §2
Currencies): the daily eurofxref.csv or the history eurofxref-hist.csv, all or nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fx.closures import closed_months
from fx.currencies import settlement_currency
from fx.ecb import EcbFileError, ecb_rates_read
from fx.rates import FxRejected, rates_record
from kalipxo.validation import check_text

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Record exchange rates from an ECB reference-rate CSV (eurofxref.csv or eurofxref-hist.csv), "
        "converted to the settlement currency; all or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Date,USD,JPY,... then one row per date (ECB's format)")
        parser.add_argument("--source", default="ECB", help='Recorded with each rate (default "ECB").')

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        source = options["source"]
        if (problem := check_text(source, max_length=64)) is not None:
            raise CommandError(f"--source: {problem}")
        try:
            text = path.read_bytes().decode("utf-8-sig")
            read = ecb_rates_read(text, settlement=settlement_currency(), source=source.strip())
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text: {exc}. Nothing was recorded.") from exc
        except EcbFileError as exc:
            raise CommandError(f"{exc} Nothing was recorded.") from exc
        try:
            result = rates_record(read.rates, recorded_by="load_fx_rates", closed_months=closed_months)
        except FxRejected as exc:
            raise CommandError(_refusal(exc)) from exc
        for note in read.notes:
            self.stdout.write(note)
        self.stdout.write(
            f"{result.recorded} recorded, {result.unchanged} unchanged, {read.skipped} skipped"
            f" ({read.missing} N/A: not published)."
        )


def _refusal(exc: FxRejected) -> str:
    problems = [(key, messages) for key, messages in exc.body.items() if key != "detail"]
    lines = [f"{key}: {' '.join(messages)}" for key, messages in problems[:SHOWN_ERRORS]]
    if len(problems) > SHOWN_ERRORS:
        lines.append(f"... and {len(problems) - SHOWN_ERRORS} more.")
    return "\n".join([*lines, "Nothing was recorded."])
