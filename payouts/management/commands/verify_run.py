"""`python manage.py verify_run ID`: recompute a run from the raw tables and check it.

Prints what differs (see `payouts.verify`). Exit status: 0 everything matches, 1 something
differs, 2 the run cannot be checked (unknown, not computed yet, or `--method sql`
without PostgreSQL).
"""

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payouts.verify import describe, run_verify


class Command(BaseCommand):
    help = "Recompute a payout run independently; check amounts, conservation and the ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", type=int)
        parser.add_argument(
            "--method",
            choices=["auto", "python", "sql"],
            default="auto",
            help="python: the pure maths (exact fractions); sql: one independent statement "
            "(PostgreSQL). auto: sql on PostgreSQL, python otherwise.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = datetime.now(UTC)
        try:
            report = run_verify(run_id=options["run_id"], method=options["method"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        for line in describe(report, started=started):
            self.stdout.write(line)
        if not report.ok:
            raise SystemExit(1)
