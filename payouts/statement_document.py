"""A payee's statement as a document a person reads in a spreadsheet (docs/rules.md §4
Statements): a header block, the lines in cents with a totals line that adds up, a note
on rounding and the run's policy values, each block under its own title.

The machine-readable detail with exact amounts stays `payouts.statements.statement_rows`.
"""

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from artists.models import Distributor
from deductions.models import TaxProfile
from kalipxo.money import format_exact, format_minor
from kalipxo.validation import month_label
from ledger import accounts
from ledger.models import Adjustment
from ledger.selectors import month_balance
from payouts.models import ArtistResult, PayeeFee, PayeeResult, PayoutRun
from payouts.statement_cents import ExactLine, lines_in_minor
from payouts.statement_lines import payee_lines, payee_publishing_lines, payee_releases

TITLE = "Kalipxo royalty statement"
DRAFT = "DRAFT"
UNALLOCATED_POLICIES = {
    "pro_rata": (
        "pro_rata: spread evenly over every qualifying stream of the month, then split like any other money"
    ),
    "retain": "retain: kept by the platform",
}
Row = tuple[Any, ...]


def is_draft(run: PayoutRun) -> bool:
    """Statements are issued at finalize; before that an admin may read a draft."""
    return run.status != PayoutRun.Status.FINALIZED


def _percent(share: Decimal) -> str:
    return format((share * 100).normalize(), "f") + "%"


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else ""


def document_rows(run: PayoutRun, result: PayeeResult) -> Iterator[Row]:
    places = int(run.policy.get("minor_exponent", 2))
    currency = run.policy.get("currency", "")
    lines = payee_lines(run, result.payee)
    cents = lines_in_minor(
        [
            ExactLine(
                from_listeners=line["listeners_amount"] * line["share"],
                from_unallocated=line["unallocated_amount"] * line["share"],
                amount=line["amount"],
            )
            for line in lines
        ],
        result.recording_minor,
        scale=10**places,
    )
    artist_names = dict(
        ArtistResult.objects.filter(run=run, artist__in={line["track_artist"] for line in lines}).values_list(
            "artist", "name"
        )
    )

    def money(minor: int) -> str:
        return format_minor(minor, places)

    yield from _header(run, result, currency, money)
    yield ()
    yield ("Lines",)
    yield (
        "Track", "ISRC", "Track artist", "Territory", "Tier", "Streams", "Your share",
        f"From listeners' own pools ({currency})", f"From unallocated pools ({currency})",
        f"Amount ({currency})",
    )  # fmt: skip
    for line, line_cents in zip(lines, cents, strict=True):
        yield (
            line["title"], line["isrc"], artist_names.get(line["track_artist"], line["track_artist"]),
            line["country"], line["tier"], line["streams"], _percent(line["share"]),
            money(line_cents.from_listeners), money(line_cents.from_unallocated), money(line_cents.amount),
        )  # fmt: skip
    # The totals line adds up the cells above it; it equals the header's total by construction
    # of the cents (payouts.statement_cents), and tests hold it to the payouts CSV.
    yield (
        "Total", "", "", "", "", sum(line["streams"] for line in lines), "",
        money(sum(c.from_listeners for c in cents)), money(sum(c.from_unallocated for c in cents)),
        money(sum(c.amount for c in cents)),
    )  # fmt: skip
    yield from _publishing(run, result, currency, money)
    releases = payee_releases(run, result.payee)
    if releases:
        yield ()
        yield ("Released from suspense",)
        yield ("Line", "ISRC", "Side", f"Amount ({currency})")
        for release in releases:
            yield (release["label"], release["isrc"], release["side"], money(release["amount_minor"]))
        yield ("Total", "", "", money(sum(r["amount_minor"] for r in releases)))
    yield ()
    yield (
        "Rounding",
        f"The run rounded this payee's exact total of {format_exact(result.amount_exact, 10)} "
        f"{currency} once per side, to {money(result.recording_minor)} {currency} from recordings and "
        f"{money(result.publishing_minor)} {currency} from musical works (largest remainder over each "
        "side's payees, suspense and retained). Each block of lines shares out its side's amount by "
        "largest remainder over their exact amounts, so they add up to it exactly. "
        "Exact amounts per line: this statement with ?detail=1.",
    )
    yield ()
    yield from _policy(run)


def _publishing(
    run: PayoutRun, result: PayeeResult, currency: str, money: Callable[[int], str]
) -> Iterator[Row]:
    """The musical works' lines (mechanical royalties), a block of their own that adds up to
    the payee's publishing amount (docs/rules.md §2 Publishing)."""
    lines = payee_publishing_lines(run, result.payee)
    if not lines:
        return
    scale = 10 ** int(run.policy.get("minor_exponent", 2))
    exact = [
        ExactLine(from_listeners=line["amount"], from_unallocated=Decimal(0), amount=line["amount"])
        for line in lines
    ]
    cents = lines_in_minor(exact, result.publishing_minor, scale=scale)
    yield ()
    yield ("Publishing lines (musical works)",)
    yield (
        "Work",
        "Work id",
        "Recording",
        "ISRC",
        "Territory",
        "Tier",
        "Streams",
        "Your share",
        f"Amount ({currency})",
    )
    for line, line_cents in zip(lines, cents, strict=True):
        yield (
            line["work_title"], line["work"], line["title"], line["isrc"], line["country"], line["tier"],
            line["streams"], _percent(line["share"]), money(line_cents.amount),
        )  # fmt: skip
    yield ("Total", "", "", "", "", "", "", "", money(sum(c.amount for c in cents)))


def _header(run: PayoutRun, result: PayeeResult, currency: str, money: Callable[[int], str]) -> Iterator[Row]:
    month = month_label(run.month)
    if is_draft(run):
        yield (TITLE, DRAFT)
        yield (
            "Status",
            f"DRAFT: run {run.pk} for {month} is {run.status}, not finalized. Statements are "
            "issued to payees when the run is finalized; until then this is not a statement of account.",
        )
    else:
        yield (TITLE,)
        yield ("Status", f"Final: issued when run {run.pk} was finalized on {_day(run.finalized_at)}")
    yield ("Payee", result.name)
    yield ("Payee id", result.payee)
    yield ("Kind", result.kind)
    yield ("Month", month)
    yield ("Run", run.pk)
    yield ("Currency", currency)
    yield ("Streams", result.streams)
    if Decimal(run.policy.get("publishing_rate", "0")):  # the two sides, when the month has both
        yield (f"Recordings ({currency})", money(result.recording_minor))
        yield (f"Musical works ({currency})", money(result.publishing_minor))
    yield (f"Total ({currency})", money(result.amount_minor))
    yield from _deductions(run, result, currency, money)


TAX_FORMS = dict(TaxProfile.Form.choices)


def _deductions(
    run: PayoutRun, result: PayeeResult, currency: str, money: Callable[[int], str]
) -> Iterator[Row]:
    """From the total to the payable, one stage per line (docs/rules.md §2 Deductions):
    each distributor's fee on the recordings it supplied, then the tax withheld."""
    fees = list(PayeeFee.objects.filter(run=run, payee=result.payee).order_by("distributor_id"))
    names = dict(
        Distributor.objects.filter(pk__in=[f.distributor_id for f in fees]).values_list("pk", "name")
    )
    for fee in fees:
        label = names.get(fee.distributor_id, f"distributor {fee.distributor_id}")
        yield (
            f"Less distribution fee to {label} ({currency})", money(fee.fee_minor),
            f"{_percent(fee.rate)} of the recordings it supplied",
        )  # fmt: skip
    if not fees:
        yield (f"Less distribution fees ({currency})", money(0))
    form = TAX_FORMS.get(result.tax_form, result.tax_form)
    yield (
        f"Less tax withheld ({currency})", money(result.withheld_minor),
        f"{_percent(result.withholding_rate)} of the total after fees; tax form on file: {form}",
    )  # fmt: skip
    yield (f"Payable ({currency})", money(result.payable_minor))
    codes = [accounts.payable(result.payee).code, accounts.publishing(result.payee).code]
    for adjustment in Adjustment.objects.filter(run_id=run.pk, account__in=codes).order_by("id"):
        # Corrections of earlier months, posted with this one (docs/rules.md §2 Deductions).
        label = "Adjustment, added" if adjustment.amount_minor > 0 else "Adjustment, taken back"
        yield (f"{label} ({currency})", money(abs(adjustment.amount_minor)), adjustment.reason)
    balance = month_balance(codes=codes, run_id=run.pk)
    if balance is not None:
        yield (f"Opening balance ({currency})", money(balance.opening_minor), "owed from earlier months")
        yield (f"This month ({currency})", money(balance.month_minor), "payable, released and adjustments")
        yield (
            f"Paid ({currency})",
            money(balance.paid_minor),
            "sent after this month, less failed or returned",
        )
        yield (f"Closing balance ({currency})", money(balance.closing_minor), "paid with a later month")


def _policy(run: PayoutRun) -> Iterator[Row]:
    policy = run.policy
    unallocated = str(policy.get("unallocated_policy", ""))
    yield ("Policy", f"the values run {run.pk} used, recorded when it started on {_day(run.created_at)}")
    yield (
        "Rights share",
        policy.get("rights_share", ""),
        "of each listener's net payment goes to rights holders",
    )
    yield (
        "Publishing rate",
        policy.get("publishing_rate", "0"),
        f"of net payments goes to musical works ({policy.get('publishing_allocation', 'user_centric')}); "
        "the rest of the rights share to recordings",
    )
    yield ("Minimum play (ms)", policy.get("min_play_ms", ""), "a shorter play counts toward nothing")
    yield ("Unallocated pools", UNALLOCATED_POLICIES.get(unallocated, unallocated))
    yield (
        "Rounding",
        "largest remainder, once per payee; lines share out the payee's total by largest remainder",
    )
