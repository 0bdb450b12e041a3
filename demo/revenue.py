"""A demo month's billing: which paying listeners play nothing, and one subscription record
per paying listener except those whose billing has not reported yet."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings

from demo.audience import COUNTRIES, Audience
from demo.base import demo_rng
from demo.events import MonthCounts
from kalipxo.money import quantize_money
from kalipxo.months import month_start
from streams.models import RevenueRecord

MISSING_REVENUE_RATE = 0.10  # premium listeners whose billing has not reported yet
IDLE_RATE = 0.02  # paying listeners who play nothing this month (their pool is unallocated)
CARD_FEE_RATE = Decimal("0.029")
CARD_FEE_FIXED = Decimal("0.30")


def idle_listeners(audience: Audience, *, seed: int, month: date) -> set[str]:
    """Paying listeners who play nothing this month; their pool has nowhere to go."""
    rng = demo_rng(seed, "idle", month)
    special = {audience.bot, *audience.shared_by}
    return {
        p.id
        for p in audience.profiles
        if settings.PLAN_PRICES[p.plan] > 0 and p.id not in special and rng.random() < IDLE_RATE
    }


def revenue_write(
    audience: Audience, *, seed: int, month: date, idle: set[str], now: datetime, counts: MonthCounts
) -> None:
    """One subscription record per paying listener, except those billing has not reported."""
    rng = demo_rng(seed, "revenue", month)
    start = month_start(month)
    records: list[RevenueRecord] = []
    for p in audience.profiles:
        gross = settings.PLAN_PRICES[p.plan]
        if gross <= 0:
            continue
        if p.id not in idle and rng.random() < MISSING_REVENUE_RATE:
            counts.without_revenue += 1
            continue
        rate = COUNTRIES[p.country][1]
        tax = quantize_money(gross * rate / (1 + rate))
        fees = quantize_money(gross * CARD_FEE_RATE + CARD_FEE_FIXED) if p.pays_by_card else Decimal(0)
        records.append(
            RevenueRecord(
                id=f"inv-{month:%Y-%m}-{p.id}",
                listener_id=p.id,
                month=month,
                source=RevenueRecord.Source.SUBSCRIPTION,
                plan=p.plan,
                country=p.country,
                gross=gross,
                tax=tax,
                fees=min(fees, gross - tax),
                created_at=min(start + timedelta(minutes=rng.randrange(72 * 60)), now),
            )
        )
    RevenueRecord.objects.bulk_create(records, batch_size=5_000, ignore_conflicts=True)
    counts.revenue_records += len(records)
