"""The policy values a run uses, snapshotted when it starts (docs/rules.md §2 traceability).

Settings may change between months; a run keeps computing, explaining and verifying with
the values it started with.
"""

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from kalipxo.money import currency, minor_exponent
from payouts.maths.publishing import PUBLISHING_METHODS, publishing_rate_year

# Listener-range chunks a run's computation is cut into. Each chunk reads its listeners'
# rows wherever they are in the events table, so it visits most of the month's pages:
# more chunks share the work among more workers and make a lost chunk cheaper to redo,
# but each one adds a pass over those pages. 8 suits a few workers on a month of
# millions of streams (see docs/benchmarks.md); months with fewer listeners get fewer.
DEFAULT_CHUNKS = 8
MAX_CHUNKS = 64


@dataclass(frozen=True)
class RunPolicy:
    currency: str
    minor_exponent: int
    rights_share: Decimal
    min_play_ms: int
    unallocated_policy: str
    plan_prices: dict[str, Decimal]
    fraud_max_streams_per_day: int
    fraud_max_track_plays_per_day: int
    fraud_max_listeners_per_device: int
    chunks: int
    # The publishing side (docs/rules.md §2 Publishing): its share of net revenue for the
    # run's month, and how it is allocated (the other method is the comparison). Runs
    # snapshotted before it had none: "0" and user-centric.
    publishing_rate: Decimal = Decimal(0)
    publishing_allocation: str = "user_centric"
    # Withheld from a payee with no tax form on file (docs/rules.md §2 Deductions); runs
    # snapshotted before deductions had none: "0".
    withholding_rate_without_form: Decimal = Decimal(0)

    @classmethod
    def from_settings(cls, month: date | None = None) -> "RunPolicy":
        rates: dict[int, Decimal] = {int(y): Decimal(r) for y, r in settings.PUBLISHING_RATES.items()}
        year = publishing_rate_year((month or timezone.now().date()).year, rates)
        return cls(
            currency=currency(),
            minor_exponent=minor_exponent(),
            rights_share=Decimal(settings.RIGHTS_SHARE),
            min_play_ms=int(settings.MIN_PLAY_MS),
            unallocated_policy=str(settings.UNALLOCATED_POLICY),
            plan_prices={plan: Decimal(price) for plan, price in settings.PLAN_PRICES.items()},
            fraud_max_streams_per_day=int(settings.FRAUD_MAX_STREAMS_PER_DAY),
            fraud_max_track_plays_per_day=int(settings.FRAUD_MAX_TRACK_PLAYS_PER_DAY),
            fraud_max_listeners_per_device=int(settings.FRAUD_MAX_LISTENERS_PER_DEVICE),
            chunks=max(1, min(MAX_CHUNKS, int(getattr(settings, "PAYOUT_RUN_CHUNKS", DEFAULT_CHUNKS)))),
            publishing_rate=Decimal(0) if year is None else rates[year],
            publishing_allocation=str(settings.PUBLISHING_ALLOCATION),
            withholding_rate_without_form=Decimal(settings.WITHHOLDING_RATE_WITHOUT_FORM),
        )

    def to_data(self) -> dict[str, Any]:
        """JSON-safe: decimals as strings, never floats."""
        data = asdict(self)
        data["rights_share"] = str(self.rights_share)
        data["publishing_rate"] = str(self.publishing_rate)
        data["withholding_rate_without_form"] = str(self.withholding_rate_without_form)
        data["plan_prices"] = {plan: str(price) for plan, price in self.plan_prices.items()}
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "RunPolicy":
        return cls(
            currency=data["currency"],
            minor_exponent=int(data["minor_exponent"]),
            rights_share=Decimal(data["rights_share"]),
            min_play_ms=int(data["min_play_ms"]),
            unallocated_policy=data["unallocated_policy"],
            plan_prices={plan: Decimal(price) for plan, price in data["plan_prices"].items()},
            fraud_max_streams_per_day=int(data["fraud_max_streams_per_day"]),
            fraud_max_track_plays_per_day=int(data["fraud_max_track_plays_per_day"]),
            fraud_max_listeners_per_device=int(data["fraud_max_listeners_per_device"]),
            chunks=int(data.get("chunks", DEFAULT_CHUNKS)),
            publishing_rate=Decimal(data.get("publishing_rate", "0")),
            publishing_allocation=data.get("publishing_allocation", "user_centric"),
            withholding_rate_without_form=Decimal(data.get("withholding_rate_without_form", "0")),
        )

    @property
    def recording_share(self) -> Decimal:
        """The recording side's share of net revenue: rights share less the publishing rate."""
        return self.rights_share - self.publishing_rate

    @property
    def publishing_other(self) -> str:
        """The publishing method computed as the comparison."""
        return next(m for m in PUBLISHING_METHODS if m != self.publishing_allocation)

    @property
    def scale(self) -> int:
        """Minor units per currency unit (100 for USD)."""
        return int(10**self.minor_exponent)
