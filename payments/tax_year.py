"""A year's summary per payee (docs/rules.md §2 Deductions): what its finalized months paid
it, what was taken as fees and withheld as tax, and what reached it, the basis of a
1099-MISC or 1042-S style return."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db.models import Sum

from deductions.tax import current_tax_profiles
from kalipxo.money import currency, format_minor, minor_exponent
from payments.models import Payment
from payouts.models import PayeeResult, PayoutRun

HEADER = (
    "year", "payee", "name", "kind", "tax_form", "country", "currency", "earned", "fees", "withheld",
    "payable", "paid",
)  # fmt: skip


def year_summary_rows(year: int) -> Iterator[tuple[Any, ...]]:
    places = minor_exponent()
    runs = PayoutRun.objects.filter(
        status=PayoutRun.Status.FINALIZED, month__gte=date(year, 1, 1), month__lt=date(year + 1, 1, 1)
    )
    sums = (
        PayeeResult.objects.filter(run__in=runs)
        .values("payee")
        .annotate(
            earned=Sum("amount_minor"), fees=Sum("fee_minor"), withheld=Sum("withheld_minor"),
            payable=Sum("payable_minor"),
        )
        .order_by("payee")
    )  # fmt: skip
    names = dict(PayeeResult.objects.filter(run__in=runs).values_list("payee", "name"))
    kinds = dict(PayeeResult.objects.filter(run__in=runs).values_list("payee", "kind"))
    paid: dict[str, int] = defaultdict(int)
    for payee, amount in Payment.objects.filter(
        status=Payment.Status.PAID, status_at__year=year, payee__isnull=False
    ).values_list("payee_id", "amount_minor"):
        paid[payee] += amount
    profiles = current_tax_profiles()
    yield HEADER
    for row in sums:
        payee = row["payee"]
        profile = profiles.get(payee)
        yield (
            year, payee, names.get(payee, ""), kinds.get(payee, ""), profile.form if profile else "none",
            profile.country if profile else "", currency(), format_minor(row["earned"], places),
            format_minor(row["fees"], places), format_minor(row["withheld"], places),
            format_minor(row["payable"], places), format_minor(paid.get(payee, 0), places),
        )  # fmt: skip
