"""Revenue records from the billing system: validated whole, stored all-or-nothing.

Idempotent by `id`: the same record again is a duplicate; the same id with different
values is a conflict, because silently keeping either version would misstate a pool.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from kalipxo.db import insert_ignoring_conflicts
from kalipxo.money import parse_amount
from kalipxo.months import add_months, current_month
from kalipxo.validation import (
    COUNTRY_MESSAGE,
    Errors,
    check_id,
    echo_id,
    month_label,
    normalize_country,
    parse_month,
    unknown_fields,
)
from streams.listeners import listeners_add
from streams.live import dispatch
from streams.models import ClosedMonth, RevenueRecord

MAX_BATCH = 10_000
REVENUE_FIELDS = ("id", "listener", "month", "source", "plan", "country", "gross", "tax", "fees")
# The largest amount the columns can hold (numeric(18, 4): 14 integer digits).
_AMOUNT_FIELD = RevenueRecord._meta.get_field("gross")
AMOUNT_LIMIT = Decimal(10) ** (_AMOUNT_FIELD.max_digits - _AMOUNT_FIELD.decimal_places)  # type: ignore[union-attr,operator]
COLUMNS = (
    ("id", "varchar"),
    ("listener_id", "varchar"),
    ("month", "date"),
    ("source", "varchar"),
    ("plan", "varchar"),
    ("country", "varchar"),
    ("gross", "numeric"),
    ("tax", "numeric"),
    ("fees", "numeric"),
)


class RevenueRejected(Exception):
    """Nothing was stored; `status` is the HTTP status that fits, `body` says why."""

    def __init__(self, status: int, detail: str, rejected: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.status = status
        self.body = {"detail": detail, "rejected": rejected}


@dataclass
class RevenueResult:
    created: int = 0
    duplicates: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "duplicates": self.duplicates}


def _validate(item: Any, plans: frozenset[str], latest_month: date) -> tuple[tuple | None, Errors]:
    if not isinstance(item, dict):
        return None, {"non_field_errors": ["Each record must be a JSON object."]}
    errors = unknown_fields(item, REVENUE_FIELDS)
    for name, max_length in (("id", 100), ("listener", 64)):
        if (msg := check_id(item.get(name), max_length=max_length)) is not None:
            errors[name] = [msg]
    month = parse_month(item.get("month"))
    if isinstance(month, str):
        errors["month"] = [month]
    elif month > latest_month:
        errors["month"] = [
            f"Revenue may be recorded at most one month ahead (up to {month_label(latest_month)}); "
            f"send {month_label(month)} once it is next month."
        ]
    if item.get("source") not in RevenueRecord.Source.values:
        errors["source"] = [f"Use one of: {', '.join(RevenueRecord.Source.values)}."]
    plan = item.get("plan")
    if not isinstance(plan, str) or plan not in plans:
        errors["plan"] = [f"Unknown plan; use one of: {', '.join(sorted(plans))}."]
    country = normalize_country(item.get("country"))
    if country is None:
        errors["country"] = [COUNTRY_MESSAGE]
    amounts: dict[str, Decimal] = {}
    for name in ("gross", "tax", "fees"):
        try:
            amounts[name] = parse_amount(item.get(name))
        except ValueError as exc:
            errors[name] = [str(exc)]
            continue
        if amounts[name] >= AMOUNT_LIMIT:
            errors[name] = [f"Must be less than {AMOUNT_LIMIT:,}."]
    if not errors and amounts["tax"] + amounts["fees"] > amounts["gross"]:
        errors["gross"] = ["Tax plus fees exceed gross; net revenue cannot be negative."]
    if errors:
        return None, errors
    row = (
        item["id"], item["listener"], month, item["source"], item["plan"], country,
        amounts["gross"], amounts["tax"], amounts["fees"],
    )  # fmt: skip
    return row, {}


def _same(row: tuple, record: RevenueRecord) -> bool:
    stored = (
        record.id, record.listener_id, record.month, record.source, record.plan, record.country,
        record.gross, record.tax, record.fees,
    )  # fmt: skip
    return stored == row


def revenue_records_ingest(*, items: list[Any]) -> RevenueResult:
    """Store a batch of revenue records, or none of them (raises RevenueRejected)."""
    if len(items) > MAX_BATCH:
        raise RevenueRejected(400, f"At most {MAX_BATCH} records per request; got {len(items)}.", [])
    plans = frozenset(settings.PLAN_PRICES)
    # Next month, not later (docs/rules.md §2, month close): billing may record a subscription a few
    # days before its month starts, and nothing further ahead is a real payment.
    latest_month = add_months(current_month(), 1)
    rows: dict[str, tuple] = {}
    indexes: dict[str, int] = {}  # where each id first appears in the request
    rejected: list[dict[str, Any]] = []
    duplicates = 0
    for index, item in enumerate(items):
        row, errors = _validate(item, plans, latest_month)
        if row is None:
            raw_id = item.get("id") if isinstance(item, dict) else None
            rejected.append({"index": index, "id": echo_id(raw_id, max_length=100), "errors": errors})
        elif row[0] in rows:
            if rows[row[0]] != row:
                rejected.append(
                    {
                        "index": index,
                        "id": row[0],
                        "errors": {"id": ["Repeated in this batch with other values."]},
                    }
                )
            duplicates += 1
        else:
            rows[row[0]] = row
            indexes[row[0]] = index
    if rejected:
        raise RevenueRejected(400, "No record was stored; fix the records below.", rejected)
    result = RevenueResult(duplicates=duplicates)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Take a transaction id now: `created_at` is this transaction's start, and a
            # payout run's data cut waits only for transactions that hold an id.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_current_xact_id()")
        # Records already stored with the same values are replays: duplicates, even for a
        # month that has closed since, so a billing retry never turns into an error.
        stored = _reject_conflicts(rows)
        result.duplicates += len(stored)
        new = {key: row for key, row in rows.items() if key not in stored}
        # Lock the closed-month rows we depend on, so a month cannot close under us.
        closed = set(
            ClosedMonth.objects.select_for_update()
            .filter(month__in={row[2] for row in new.values()})
            .values_list("month", flat=True)
        )
        if closed:
            labels = ", ".join(sorted(month_label(m) for m in closed))
            raise RevenueRejected(
                409,
                f"Payouts for {labels} are final; revenue for a closed month cannot be recorded.",
                [{"index": indexes[r[0]], "id": r[0], "errors": {"month": ["Month is closed."]}}
                 for r in new.values() if r[2] in closed],
            )  # fmt: skip
        listeners_add(r[1] for r in new.values())
        inserted = set(
            insert_ignoring_conflicts(
                table="streams_revenuerecord",
                columns=COLUMNS,
                rows=sorted(new.values()),  # one lock order for concurrent batches sharing ids
                conflict="id",
                returning="id",
            )
        )
        result.created = len(inserted)
        result.duplicates += len(new) - len(inserted)
        if len(inserted) != len(new):
            # Someone inserted some of these ids concurrently: compare again, now they exist.
            _reject_conflicts({key: new[key] for key in set(new) - inserted})
        touched: dict[date, set[str]] = {}
        for key in inserted:
            touched.setdefault(new[key][2], set()).add(new[key][1])
        transaction.on_commit(lambda: _revenue_committed(touched))
    return result


def _revenue_committed(touched: dict[date, set[str]]) -> None:
    for month, listeners in touched.items():
        dispatch.revenue_committed(month, listeners)


def _reject_conflicts(rows: dict[str, tuple]) -> set[str]:
    """Raise 409 if any id is stored with other values; return the ids stored identically."""
    existing = list(RevenueRecord.objects.filter(pk__in=list(rows)))
    conflicts = [record.id for record in existing if not _same(rows[record.id], record)]
    if conflicts:
        raise RevenueRejected(
            409,
            "These ids are already recorded with different values; revenue records are immutable.",
            [
                {"id": rid, "errors": {"id": ["Already recorded with different values."]}}
                for rid in sorted(conflicts)
            ],
        )
    return {record.id for record in existing}
