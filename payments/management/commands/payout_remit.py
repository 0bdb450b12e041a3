"""Create a finalized month's payment batch (idempotent: the same month again shows it)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kalipxo.money import format_minor, minor_exponent
from kalipxo.validation import parse_month
from payments.batches import BatchRefused, batch_create


class Command(BaseCommand):
    help = (
        "Create the payment batch of a finalized month: every verified payee and distributor with a "
        "positive balance. Someone else approves it (console or API) before its files can be downloaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", help="YYYY-MM, a finalized month")
        parser.add_argument(
            "--by", default="payout_remit", help="Who creates it (recorded; cannot approve it)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        month = parse_month(options["month"])
        if isinstance(month, str):
            raise CommandError(month)
        try:
            batch, created = batch_create(month=month, actor=options["by"])
        except BatchRefused as exc:
            raise CommandError(" ".join(" ".join(v) for v in exc.body.values())) from exc
        total = format_minor(batch.total_minor, minor_exponent(batch.currency))
        verb = "Created" if created else "Already created:"
        self.stdout.write(
            f"{verb} batch {batch.pk} for {options['month']}: {batch.payments.count()} payments, "
            f"{total} {batch.currency}, {batch.get_status_display().lower()}."
        )
