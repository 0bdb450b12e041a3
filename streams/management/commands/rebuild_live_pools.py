"""`python manage.py rebuild_live_pools YYYY-MM`: recreate a month's live pools from PostgreSQL."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kalipxo.validation import parse_month
from streams.live import dispatch, updates


class Command(BaseCommand):
    help = "Rebuild a month's live pools in Redis from the stored events and revenue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", help="YYYY-MM")

    def handle(self, *args: Any, **options: Any) -> None:
        month = parse_month(options["month"])
        if isinstance(month, str):
            raise CommandError(month)
        if not dispatch.live_enabled():
            self.stdout.write("No REDIS_URL: estimates are computed from the database; nothing to rebuild.")
            return
        started = time.monotonic()
        result = updates.rebuild_month(month)
        self.stdout.write(
            f"Rebuilt {month:%Y-%m}: {result['listeners']} listeners, {result['batches']} batches marked, "
            f"{time.monotonic() - started:.1f}s."
        )
