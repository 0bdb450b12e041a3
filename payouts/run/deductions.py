"""A computed run's deductions: each payee's distribution fee, withholding and payable
(docs/rules.md §2 Deductions), from the agreements and tax profiles in force as it computes.

The maths is `deductions.maths`; this step reads its inputs (the payee's exact recording
amount per distributor of the tracks, from the run's allocation lines; the rates) and writes
the outcome on the payee results, with one `PayeeFee` row per payee and distributor charged.
Only payees with something deducted are written: the others' defaults already say 0.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from deductions.agreements import fee_rate_for
from deductions.maths import payee_deductions
from deductions.models import FeeAgreement, TaxProfile
from deductions.tax import current_tax_profiles, withholding_rate
from payouts.models import PayeeFee, PayeeResult
from payouts.policy import RunPolicy


@dataclass(frozen=True)
class DeductionTotals:
    fee_minor: int
    withheld_minor: int
    payable_minor: int


def fee_rates_for_month(month: date) -> dict[int, Decimal]:
    """Each distributor's rate for the month, for those whose rate is not 0."""
    by_distributor: dict[int, list[FeeAgreement]] = defaultdict(list)
    for agreement in FeeAgreement.objects.filter(from_month__lte=month):
        by_distributor[agreement.distributor_id].append(agreement)
    rates = {d: fee_rate_for(rows, month) for d, rows in by_distributor.items()}
    return {d: rate for d, rate in rates.items() if rate}


def _recording_by_distributor(run_id: int, distributors: list[int]) -> dict[str, dict[int, Decimal]]:
    """Each payee's exact recording amount from the tracks of each of `distributors`."""
    if not distributors:
        return {}
    marks = ", ".join(["%s"] * len(distributors))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.payee, t.distributor_id, sum(l.amount) FROM payouts_allocationline l "  # noqa: S608
            "JOIN artists_track t ON t.isrc = l.isrc "
            f"WHERE l.run_id = %s AND l.payee <> '' AND t.distributor_id IN ({marks}) "
            "GROUP BY l.payee, t.distributor_id",
            [run_id, *distributors],
        )
        amounts: dict[str, dict[int, Decimal]] = defaultdict(dict)
        for payee, distributor, amount in cursor.fetchall():
            amounts[payee][int(distributor)] = Decimal(amount)
    return amounts


def run_deductions_compute(*, run_id: int, month: date, policy: RunPolicy) -> None:
    """Compute and store every payee's deductions, once, right after the payee results are
    written. Caller holds the run's lock."""
    rates = fee_rates_for_month(month)
    profiles = current_tax_profiles()
    without_form = policy.withholding_rate_without_form
    if (
        not rates
        and not without_form
        and not any(withholding_rate(p, without_form=Decimal(0)) for p in profiles.values())
    ):
        return  # nothing is taken from anyone: every payee's defaults already say so
    recording = _recording_by_distributor(run_id, sorted(rates))
    changed: list[PayeeResult] = []
    fees: list[PayeeFee] = []
    rows = PayeeResult.objects.filter(run_id=run_id).only("payee", "recording_minor", "publishing_minor")
    for row in rows.iterator(chunk_size=5000):
        profile = profiles.get(row.payee)
        rate = withholding_rate(profile, without_form=without_form)
        deducted = payee_deductions(
            recording_by_distributor=recording.get(row.payee, {}),
            recording_minor=row.recording_minor,
            publishing_minor=row.publishing_minor,
            fee_rates=rates,
            withholding_rate=rate,
            scale=policy.scale,
        )
        form = profile.form if profile else TaxProfile.Form.NONE
        if deducted.fee_minor or deducted.withheld_minor or rate or form != TaxProfile.Form.NONE:
            row.fee_minor, row.withheld_minor = deducted.fee_minor, deducted.withheld_minor
            row.withheld_publishing_minor = deducted.withheld_publishing_minor
            row.withholding_rate, row.tax_form = rate, form
            changed.append(row)
        fees.extend(
            PayeeFee(run_id=run_id, payee=row.payee, distributor_id=d, rate=rates[d], fee_minor=minor)
            for d, minor in deducted.fees.items()
        )
    _results_update(changed)
    PayeeFee.objects.bulk_create(fees, batch_size=2000)


FIELDS = ["fee_minor", "withheld_minor", "withheld_publishing_minor", "withholding_rate", "tax_form"]


def _results_update(rows: list[PayeeResult]) -> None:
    """One UPDATE from arrays on PostgreSQL, where a month has tens of thousands of payees
    (bulk_update's CASE per row and column is far slower there); bulk_update elsewhere."""
    if connection.vendor != "postgresql":
        PayeeResult.objects.bulk_update(rows, FIELDS, batch_size=500)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payouts_payeeresult r SET fee_minor = u.fee, withheld_minor = u.withheld, "
            "withheld_publishing_minor = u.from_publishing, withholding_rate = u.rate, tax_form = u.form "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::numeric[], %s::text[]) "
            "AS u(id, fee, withheld, from_publishing, rate, form) WHERE r.id = u.id",
            [
                [r.pk for r in rows], [r.fee_minor for r in rows], [r.withheld_minor for r in rows],
                [r.withheld_publishing_minor for r in rows], [r.withholding_rate for r in rows],
                [r.tax_form for r in rows],
            ],
        )  # fmt: skip


def run_deduction_totals(run_id: int) -> DeductionTotals:
    sums = PayeeResult.objects.filter(run_id=run_id).aggregate(
        fee=Sum("fee_minor"), withheld=Sum("withheld_minor"), payable=Sum("payable_minor")
    )
    return DeductionTotals(
        fee_minor=int(sums["fee"] or 0),
        withheld_minor=int(sums["withheld"] or 0),
        payable_minor=int(sums["payable"] or 0),
    )
