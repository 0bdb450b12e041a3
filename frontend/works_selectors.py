"""What a writer's or publisher's pages show: the works it is paid for, this month's
estimate of them, and its finalized months (docs/rules.md §2 Publishing)."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from artists.models import Payee, RecordingLink, Track, WorkShare
from kalipxo.money import format_amount, format_minor, half_even_minor, largest_remainder, minor_exponent
from kalipxo.months import current_month, month_name
from kalipxo.validation import month_label
from payouts.models import PayeeResult, PayoutRun
from payouts.publishing_estimates import recording_estimates
from payouts.statement_lines import statement_url

AMOUNT_PLACES = 2
HISTORY_MONTHS = 12


def _percent(share: Decimal | Fraction) -> str:
    return format(Decimal(str(round(Fraction(share) * 100, 4))).normalize(), "f") + "%"


def works_data(*, payee: Payee, now: datetime | None = None) -> dict[str, Any]:
    """The payee's works with their recordings, this month so far, and its finalized months."""
    month = current_month(now)
    mine = WorkShare.objects.filter(payee_id=payee.id).select_related("work")
    shares = list(mine.order_by("work__title", "work_id"))
    links: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    linked = RecordingLink.objects.filter(work_id__in=[s.work_id for s in shares]).order_by("track_id")
    for work, isrc, share in linked.values_list("work_id", "track_id", "share"):
        links[work].append((isrc, share))
    isrcs = sorted({isrc for pairs in links.values() for isrc, _ in pairs})
    titles = dict(Track.objects.filter(isrc__in=isrcs).values_list("isrc", "title"))
    estimates = recording_estimates(month=month, isrcs=isrcs)
    scale = 10 ** minor_exponent()
    # Exact parts per work and recording; shown in cents that add up (largest remainder):
    # the recordings to their work's cents, the works to the total's.
    exact: dict[str, dict[str, Fraction]] = {}
    bound = Fraction(0)
    for row in shares:
        exact[row.work_id] = {}
        for isrc, link in links.get(row.work_id, []):
            estimate = estimates.get(isrc)
            weight = Fraction(link) * Fraction(row.share)
            exact[row.work_id][isrc] = estimate.publishing * weight if estimate else Fraction(0)
            bound += estimate.bound * weight if estimate else Fraction(0)
    per_work = {work: sum(parts.values(), Fraction(0)) for work, parts in exact.items()}
    total = sum(per_work.values(), Fraction(0))
    work_cents = largest_remainder({w: v * scale for w, v in per_work.items()}, half_even_minor(total, scale))
    works = []
    for row in shares:
        parts = exact[row.work_id]
        cents = largest_remainder({i: v * scale for i, v in parts.items()}, work_cents[row.work_id])
        recordings = [
            {"isrc": isrc, "title": titles.get(isrc, ""), "link": _percent(link),
             "streams": estimates[isrc].streams if isrc in estimates else 0,
             "amount": format_minor(cents[isrc], minor_exponent())}
            for isrc, link in links.get(row.work_id, [])
        ]  # fmt: skip
        works.append(
            {"id": row.work_id, "title": row.work.title, "iswc": row.work.iswc or "",
             "share": _percent(row.share), "recordings": recordings,
             "amount": format_minor(work_cents[row.work_id], minor_exponent())}
        )  # fmt: skip
    return {
        "payee": payee,
        "month": month_label(month),
        "month_name": month_name(month),
        "estimate": format_minor(sum(work_cents.values()), minor_exponent()),
        "bound": format_amount(bound, AMOUNT_PLACES) if bound >= Fraction(1, 200) else None,
        "works": works,
        "finals": _finals(payee),
    }


def _finals(payee: Payee) -> list[dict[str, Any]]:
    """Finalized months, newest first: the works' and the recordings' amounts, the statement."""
    places = minor_exponent()
    rows = (
        PayeeResult.objects.filter(payee=payee.id, run__status=PayoutRun.Status.FINALIZED)
        .select_related("run")
        .order_by("-run__month")[:HISTORY_MONTHS]
    )
    return [
        {
            "month": month_label(row.run.month),
            "month_name": month_name(row.run.month),
            "publishing": format_minor(row.publishing_minor, places),
            "recording": format_minor(row.recording_minor, places),
            "amount": format_minor(row.amount_minor, places),
            "statement_url": statement_url(row.run_id, row.payee),
        }
        for row in rows
    ]
