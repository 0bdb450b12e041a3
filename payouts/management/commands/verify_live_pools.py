"""`python manage.py verify_live_pools YYYY-MM`: live estimates against an exact recomputation."""

from fractions import Fraction
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kalipxo.money import format_amount
from kalipxo.validation import parse_month
from payouts.estimates import month_estimate_exact
from streams.live import dispatch
from streams.live.estimates import live_artist_estimate


class Command(BaseCommand):
    help = (
        "Compare every artist's live estimate with an exact recomputation from PostgreSQL: the "
        "largest difference, and any beyond the estimate's stated bound plus the tolerance."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--tolerance", default="0.0001", help="Largest acceptable difference.")

    def handle(self, *args: Any, **options: Any) -> None:
        month = parse_month(options["month"])
        if isinstance(month, str):
            raise CommandError(month)
        if not dispatch.live_enabled():
            raise CommandError("No REDIS_URL: there are no live pools to verify.")
        tolerance = Fraction(options["tolerance"])
        exact = month_estimate_exact(month)
        artists = set(exact.allocation.artist_gross) | set(exact.artist_streams)
        worst = Fraction(0)
        worst_beyond = Fraction(0)  # the largest difference beyond its estimate's stated bound
        differing = 0
        for artist in sorted(artists):
            live = live_artist_estimate(artist_id=artist, month=month)
            gap = max(
                abs(live.gross - exact.allocation.artist_gross.get(artist, Fraction(0))),
                abs(live.amount - exact.allocation.payee_exact.get(artist, Fraction(0))),
            )
            worst = max(worst, gap)
            worst_beyond = max(worst_beyond, gap - live.bound)
            if gap > tolerance + live.bound or live.streams != exact.artist_streams.get(artist, 0):
                differing += 1
                if differing <= 20:
                    live_gross, difference = format_amount(live.gross, 6), format_amount(gap, 6)
                    self.stdout.write(
                        f"  {artist}: live gross {live_gross} differs by {difference} "
                        f"(stated bound {format_amount(live.bound, 6)})"
                    )
        self.stdout.write(
            f"{month:%Y-%m}: {len(artists)} artists checked, {differing} differ by more than their "
            f"stated bound plus {tolerance}; largest difference {format_amount(worst, 10)}, "
            f"largest beyond its bound {format_amount(max(worst_beyond, Fraction(0)), 10)}"
        )
        if differing:
            raise CommandError(f"{differing} artists differ.")
