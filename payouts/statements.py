"""CSV exports of a run: the payouts file (one row per payee) and the per-payee statements'
machine-readable detail; every CSV of the service is written through `csv_lines` or
`SafeWriter` (the readable statement: payouts.statement_document).

Names and titles come from distributors and may start with "=" or "+": a spreadsheet
would run such a cell as a formula. Every cell that starts with = + - @, a tab or a
carriage return gets a leading apostrophe (OWASP's advice). Amounts never start with
one of those: statements show no negative numbers.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from kalipxo.money import format_exact, format_minor
from payouts.models import PayeeResult, PayoutRun
from payouts.statement_lines import EXACT_PLACES, payee_lines

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
PAYOUTS_HEADER = ("payee", "kind", "name", "streams", "amount", "amount_exact", "currency")
STATEMENT_HEADER = (
    "run", "month", "currency", "payee", "stage", "isrc", "title", "track_artist", "country", "tier",
    "streams", "from_listener_pools", "from_unallocated_pools", "track_amount", "share", "amount",
)  # fmt: skip


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_FIRST) else text


class _Echo:
    """A file-like object whose write returns the line, for streaming responses."""

    def write(self, value: str) -> str:
        return value


class SafeWriter:
    """csv.writer's writerow for any file, with every cell through `safe_cell`."""

    def __init__(self, file: Any) -> None:
        self._writer = csv.writer(file)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(cell) for cell in row])


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = SafeWriter(_Echo())
    for row in rows:
        yield writer.writerow(row)


def payouts_rows(run: PayoutRun) -> Iterator[tuple[Any, ...]]:
    """Header, then one row per payee; read from the database in batches, not at once."""
    places = int(run.policy.get("minor_exponent", 2))
    currency = run.policy.get("currency", "")
    yield PAYOUTS_HEADER
    rows = (
        PayeeResult.objects.filter(run=run)
        .order_by("payee")
        .values_list("payee", "kind", "name", "streams", "amount_minor", "amount_exact")
    )
    for payee, kind, name, streams, minor, exact in rows.iterator(chunk_size=5000):
        yield (payee, kind, name, streams, format_minor(minor, places), format_exact(exact, 10), currency)


def statement_rows(run: PayoutRun, result: PayeeResult) -> Iterator[tuple[Any, ...]]:
    """The chain for one payee: per track, territory and tier the allocation (from
    listeners' own pools and from unallocated pools), the payee's split share and amount;
    then the exact total, the payable amount after the single rounding, and the policy."""
    places = int(run.policy.get("minor_exponent", 2))
    head = (run.pk, f"{run.month:%Y-%m}", run.policy.get("currency", ""), result.payee)
    yield STATEMENT_HEADER
    for line in payee_lines(run, result.payee):
        track_amount = line["listeners_amount"] + line["unallocated_amount"]
        yield (
            *head, "line", line["isrc"], line["title"], line["track_artist"], line["country"], line["tier"],
            line["streams"], format_exact(line["listeners_amount"], EXACT_PLACES),
            format_exact(line["unallocated_amount"], EXACT_PLACES), format_exact(track_amount, EXACT_PLACES),
            format(line["share"].normalize(), "f"), format_exact(line["amount"], EXACT_PLACES),
        )  # fmt: skip
    blank = ("", "", "", "", "")
    yield (
        *head,
        "payee_exact",
        *blank,
        result.streams,
        "",
        "",
        "",
        "",
        format_exact(result.amount_exact, 10),
    )
    yield (
        *head,
        "payable",
        *blank,
        result.streams,
        "",
        "",
        "",
        "",
        format_minor(result.amount_minor, places),
    )
    policy = run.policy
    summary = (
        f"rights_share={policy.get('rights_share')}; min_play_ms={policy.get('min_play_ms')}; "
        f"unallocated_policy={policy.get('unallocated_policy')}; rounding=largest remainder, once per payee"
    )
    yield (*head, "policy", "", summary, "", "", "", "", "", "", "", "", "")
