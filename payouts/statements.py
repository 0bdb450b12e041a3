"""CSV exports of a run: the payouts file (one row per payee) and the per-payee statements'
machine-readable detail; every CSV of the service is written through `csv_lines` or
`SafeWriter` (the readable statement: payouts.statement_document).

Names and titles come from distributors and may start with "=" or "+": a spreadsheet
would run such a cell as a formula. Every cell that starts with = + - @, a tab or a
carriage return gets a leading apostrophe (OWASP's advice). Amounts never start with
one of those: statements show no negative numbers.
"""

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from kalipxo.money import format_exact, format_minor
from payouts.models import PayeeResult, PayoutRun, RunWorkLink, SuspenseRelease, TrackResult
from payouts.statement_lines import EXACT_PLACES, payee_lines, payee_publishing_lines, payee_releases

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
PAYOUTS_HEADER = (
    "payee", "kind", "name", "streams", "amount", "amount_exact", "currency",
    "recording", "publishing", "fee", "withheld", "payable", "released",
)  # fmt: skip
STATEMENT_HEADER = (
    "run", "month", "currency", "payee", "stage", "isrc", "title", "track_artist", "country", "tier",
    "streams", "from_listener_pools", "from_unallocated_pools", "track_amount", "share", "amount",
    "work", "work_title",
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
        .values_list(
            "payee", "kind", "name", "streams", "amount_minor", "amount_exact", "recording_minor",
            "publishing_minor", "fee_minor", "withheld_minor", "payable_minor",
        )
    )  # fmt: skip
    released: dict[str, int] = defaultdict(int)
    for payee, minor in SuspenseRelease.objects.filter(run=run).values_list("payee", "amount_minor"):
        released[payee] += minor
    for payee, kind, name, streams, minor, exact, *sides in rows.iterator(chunk_size=5000):
        yield (
            payee, kind, name, streams, format_minor(minor, places), format_exact(exact, 10), currency,
            *(format_minor(value, places) for value in sides), format_minor(released[payee], places),
        )  # fmt: skip


USAGE_HEADER = ("isrc", "plays", "works", "publishing", "matched")


def usage_rows(run: PayoutRun) -> Iterator[tuple[Any, ...]]:
    """The month's usage report, as a mechanical licensing collective asks for it: per ISRC
    played, its qualifying plays, the works linked to it with their shares, its publishing
    amount (by the run's method, before the works' shares) and whether it was matched."""
    places = int(run.policy.get("minor_exponent", 2))
    yield USAGE_HEADER
    links: dict[str, list[str]] = {}
    rows = RunWorkLink.objects.filter(run=run).order_by("isrc", "work")  # works with writers only
    for isrc, work, share in rows.values_list("isrc", "work", "share"):
        links.setdefault(isrc, []).append(f"{work}:{format(share.normalize(), 'f')}")
    tracks = TrackResult.objects.filter(run=run).order_by("isrc")
    for isrc, plays, publishing, linked in tracks.values_list(
        "isrc", "streams", "publishing_exact", "linked_share"
    ).iterator(chunk_size=5000):
        matched = "yes" if linked >= 1 else "partial" if linked > 0 else "no"
        yield (isrc, plays, ";".join(links.get(isrc, ())), format_exact(publishing, places), matched)


def statement_rows(run: PayoutRun, result: PayeeResult) -> Iterator[tuple[Any, ...]]:
    """The chain for one payee: per track, territory and tier the recording allocation (from
    listeners' own pools and from unallocated pools), the payee's split share and amount;
    per recording, work, territory and tier its publishing share and amount (its own lines,
    docs/rules.md §2 Publishing); then each side's payable amount after its single rounding,
    the exact total, the payable total, and the policy."""
    places = int(run.policy.get("minor_exponent", 2))
    head = (run.pk, f"{run.month:%Y-%m}", run.policy.get("currency", ""), result.payee)
    yield STATEMENT_HEADER
    for line in payee_lines(run, result.payee):
        track_amount = line["listeners_amount"] + line["unallocated_amount"]
        yield (
            *head, "line", line["isrc"], line["title"], line["track_artist"], line["country"], line["tier"],
            line["streams"], format_exact(line["listeners_amount"], EXACT_PLACES),
            format_exact(line["unallocated_amount"], EXACT_PLACES), format_exact(track_amount, EXACT_PLACES),
            format(line["share"].normalize(), "f"), format_exact(line["amount"], EXACT_PLACES), "", "",
        )  # fmt: skip
    for line in payee_publishing_lines(run, result.payee):
        yield (
            *head, "publishing_line", line["isrc"], line["title"], "", line["country"], line["tier"],
            line["streams"], "", "", "", format(line["share"].normalize(), "f"),
            format_exact(line["amount"], EXACT_PLACES), line["work"], line["work_title"],
        )  # fmt: skip
    for release in payee_releases(run, result.payee):
        yield (
            *head, "released", release["isrc"], release["label"], release["side"], "", "", "", "", "", "", "",
            format_minor(release["amount_minor"], places), "", "",
        )  # fmt: skip
    blank = ("", "", "", "", "")
    for stage, streams, value in (
        ("recording", result.streams, format_minor(result.recording_minor, places)),
        ("publishing", result.publishing_streams, format_minor(result.publishing_minor, places)),
        ("payee_exact", result.streams, format_exact(result.amount_exact, 10)),
        ("fee", result.streams, format_minor(result.fee_minor, places)),
        ("withheld", result.streams, format_minor(result.withheld_minor, places)),
        ("payable", result.streams, format_minor(result.payable_minor, places)),
    ):
        yield (*head, stage, *blank, streams, "", "", "", "", value, "", "")
    policy = run.policy
    summary = (
        f"rights_share={policy.get('rights_share')}; publishing_rate={policy.get('publishing_rate', '0')}; "
        f"publishing_allocation={policy.get('publishing_allocation', 'user_centric')}; "
        f"min_play_ms={policy.get('min_play_ms')}; "
        f"unallocated_policy={policy.get('unallocated_policy')}; rounding=largest remainder, once per payee "
        "and side"
    )
    yield (*head, "policy", "", summary, "", "", "", "", "", "", "", "", "", "", "")
