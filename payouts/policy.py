"""The policy values a run uses, snapshotted when it starts (docs/rules.md §2 traceability).

Settings may change between months; a run keeps computing, explaining and verifying with
the values it started with.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from kalipxo.money import currency, minor_exponent

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

    @classmethod
    def from_settings(cls) -> "RunPolicy":
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
        )

    def to_data(self) -> dict[str, Any]:
        """JSON-safe: decimals as strings, never floats."""
        data = asdict(self)
        data["rights_share"] = str(self.rights_share)
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
        )

    @property
    def scale(self) -> int:
        """Minor units per currency unit (100 for USD)."""
        return int(10**self.minor_exponent)
