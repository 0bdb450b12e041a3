"""Payout runs: screening holds, the computation's chunks, results and review requests.

The ledger the runs post to is the `ledger` app's.

Amounts that are paid are integers of the settlement currency's minor unit (`*_minor`);
exact shares before rounding are `ExactAmountField`s. Result rows name payees, artists and
ISRCs by id (not foreign keys) and snapshot names: a finalized month must read the same
after the catalog changes. Financial rows are protected from deletion (`PROTECT`).
"""

from payouts.models.results import (
    AllocationLine,
    ArtistResult,
    PayeeFee,
    PayeeResult,
    PublishingLine,
    SuspenseRelease,
    SuspenseResult,
    TrackResult,
)
from payouts.models.runs import Hold, HoldDecisionRecord, PayoutRun, ReviewRequest, RunChunk
from payouts.models.snapshot import RunSplit, RunTrack, RunWorkLink, RunWorkShare

__all__ = [
    "AllocationLine",
    "ArtistResult",
    "Hold",
    "HoldDecisionRecord",
    "PayeeFee",
    "PayeeResult",
    "PayoutRun",
    "PublishingLine",
    "ReviewRequest",
    "RunChunk",
    "RunSplit",
    "RunTrack",
    "RunWorkLink",
    "RunWorkShare",
    "SuspenseRelease",
    "SuspenseResult",
    "TrackResult",
]
