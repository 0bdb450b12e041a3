"""Fill a realistic demo month: catalog, listeners, revenue and stream events (demo/load.py)."""

import argparse
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.base import DemoDataError
from demo.load import DEFAULT_ARTISTS, DEFAULT_LISTENERS, DEFAULT_SEED, DEFAULT_STREAMS, demo_data_load
from kalipxo.validation import parse_month


def _month(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    parsed = parse_month(value)
    if isinstance(parsed, str):
        raise CommandError(f"--month {value!r} is not a month like 2026-10.")
    return parsed


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number ≥ 0.")
    return number


class Command(BaseCommand):
    help = (
        "Load a deterministic demo month (default: the previous UTC month) plus the current "
        "month so far. Does nothing if the month already has stream events. Demo databases only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: the previous month, UTC)")
        parser.add_argument("--listeners", type=_positive, default=DEFAULT_LISTENERS)
        parser.add_argument("--streams", type=_positive, default=DEFAULT_STREAMS, help="events in --month")
        parser.add_argument(
            "--artists", type=_positive, default=DEFAULT_ARTISTS, help="when creating the catalog"
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first delete ALL stream events, revenue, listeners and payout data, and the demo "
            "catalog (kept if API clients or logins refer to it); API clients and users stay",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = demo_data_load(
                month=_month(options["month"]),
                listeners=options["listeners"],
                streams=options["streams"],
                artists=options["artists"],
                seed=options["seed"],
                reset=options["reset"],
            )
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
