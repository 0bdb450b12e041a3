"""Corrections of final months (docs/rules.md §2 Deductions): never an edit of a month that
is final, always an adjustment posted with a later, open month, positive or negative, with a
reason, made by one person and approved by another.

An approved adjustment is posted when its month is finalized, in one transaction of that
month's run (`run:<id>:adjustments`): each to its holder's account, the sum from the
adjustments account. One that is not approved by then is not posted; it is refused
approval once its month is closed (record it again for an open month).
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from ledger import accounts
from ledger.accounts import Account, AccountKind
from ledger.models import Adjustment, LedgerTransaction
from ledger.services import transaction_write
from streams.selectors import is_month_closed

HOLDER_KINDS = (AccountKind.PAYABLE, AccountKind.PUBLISHING, AccountKind.FEES)


class AdjustmentRefused(ValueError):
    pass


@dataclass(frozen=True)
class AdjustmentIn:
    account: Account
    month: date
    amount_minor: int
    reason: str


def adjustment_record(*, data: AdjustmentIn, created_by: str) -> Adjustment:
    if data.account.kind not in HOLDER_KINDS:
        raise AdjustmentRefused("An adjustment goes to a payee's or a distributor's account.")
    if not data.amount_minor:
        raise AdjustmentRefused(
            "An adjustment of nothing changes nothing: give a positive or negative amount."
        )
    if not data.reason.strip():
        raise AdjustmentRefused("Say why: the reason is shown on the statement.")
    if is_month_closed(data.month):
        raise AdjustmentRefused(f"{data.month:%Y-%m} is final: record the adjustment with an open month.")
    return Adjustment.objects.create(
        account=data.account.code, month=data.month, amount_minor=data.amount_minor,
        reason=data.reason.strip()[:500], created_by=created_by[:200],
    )  # fmt: skip


def adjustment_approve(*, adjustment: Adjustment, approved_by: str) -> Adjustment:
    if adjustment.approved_at is not None:
        return adjustment
    if approved_by == adjustment.created_by:
        raise AdjustmentRefused(f"{approved_by} made this adjustment; someone else must approve it.")
    if is_month_closed(adjustment.month):
        raise AdjustmentRefused(
            f"{adjustment.month:%Y-%m} is final: record the adjustment again for an open month."
        )
    adjustment.approved_by, adjustment.approved_at = approved_by[:200], timezone.now()
    adjustment.save(update_fields=["approved_by", "approved_at"])
    return adjustment


def adjustments_post(*, month: date, run_id: int, currency: str) -> LedgerTransaction | None:
    """Post the month's approved adjustments with its run. Caller holds the finalizing transaction."""
    rows = list(
        Adjustment.objects.select_for_update().filter(
            month=month, approved_at__isnull=False, run_id__isnull=True
        )
    )
    if not rows:
        return None
    postings: list[tuple[Account | str, int]] = [(row.account, row.amount_minor) for row in rows]
    postings.append((accounts.ADJUSTMENTS, -sum(row.amount_minor for row in rows)))
    tx = transaction_write(
        key=f"run:{run_id}:adjustments", run_id=run_id,
        description=f"Adjustments posted with {month:%Y-%m} (payout run {run_id})", currency=currency,
        postings=postings,
    )  # fmt: skip
    Adjustment.objects.filter(pk__in=[row.pk for row in rows]).update(run_id=run_id)
    return tx
