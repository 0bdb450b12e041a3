"""Suspense released when claimed (docs/rules.md §2 Publishing): at finalize, money held in
suspense by earlier finalized months for an ISRC that this run's catalog now claims is paid
to its payees, as ledger lines of this month.

Recording suspense (an ISRC that was not in the catalog) is released in full once the ISRC is
a track, by the track's splits then (100% to its artist without splits). Mechanical suspense
(publishing money not linked to a work) is released by the links then: the linked share of
the held amount goes to the works' writers and publishers by link share × their share; a
recording linked in steps releases each new step's share later, the rest stays held. Each
release records the share released so far, so nothing is paid twice.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import Max, Sum

from artists.models import Artist, Payee
from kalipxo.money import half_even_minor, largest_remainder
from ledger import accounts
from ledger.services import transaction_write
from payouts.engine.reference import Catalog
from payouts.models import PayeeResult, PayoutRun, SuspenseRelease, SuspenseResult
from payouts.run.selectors import run_catalog

Side = SuspenseResult.Side


@dataclass(frozen=True)
class _Held:
    source: SuspenseResult
    month: date
    released_minor: int
    released_share: Decimal


def _held(run: PayoutRun) -> list[_Held]:
    """What earlier finalized months hold in suspense, less what was released since; the
    rows are locked so that two months finalizing at once cannot release them both."""
    sources = list(
        SuspenseResult.objects.select_for_update()
        .filter(run__status=PayoutRun.Status.FINALIZED, amount_minor__gt=0)
        .exclude(run=run)
        .select_related("run")
        .order_by("id")
    )
    released = {
        row["source"]: row
        for row in SuspenseRelease.objects.filter(source__in=[s.pk for s in sources])
        .values("source")
        .annotate(amount=Sum("amount_minor"), share=Max("share"))
    }
    held = []
    for source in sources:
        done = released.get(source.pk)
        amount = int(done["amount"]) if done else 0
        share = Decimal(str(done["share"])) if done else Decimal(0)
        if amount < source.amount_minor:
            held.append(_Held(source, source.run.month, amount, share))
    return held


def _recipients(held: _Held, catalog: Catalog) -> tuple[int, Decimal, dict[str, Fraction]] | None:
    """(minor units to release now, share released after it, payee -> weight) or None."""
    source = held.source
    if source.side == Side.RECORDING:
        if source.isrc not in catalog.artists:
            return None
        splits = {payee: Fraction(share) for payee, share in catalog.payees[source.isrc]}
        return source.amount_minor - held.released_minor, Decimal(1), splits
    links = catalog.links.get(source.isrc, [])
    linked = sum((share for _, share in links), Decimal(0))
    if linked <= held.released_share:
        return None
    whole = Fraction(source.amount_minor)
    target = source.amount_minor if linked >= 1 else half_even_minor(whole * Fraction(linked), 1)
    weights: dict[str, Fraction] = defaultdict(Fraction)
    for work, link in links:
        for payee, share in catalog.work_payees[work]:
            weights[payee] += Fraction(link) * Fraction(share)
    if target - held.released_minor <= 0:
        return None
    return target - held.released_minor, linked, dict(weights)


def releases_post(run: PayoutRun) -> list[SuspenseRelease]:
    """Release what this run's catalog claims and post it. Caller holds the run's row lock
    inside the finalizing transaction."""
    catalog = run_catalog(run.pk)
    rows: list[SuspenseRelease] = []
    for held in _held(run):
        found = _recipients(held, catalog)
        if found is None:
            continue
        amount, share, weights = found
        total = sum(weights.values(), Fraction(0))
        split = largest_remainder({p: amount * w / total for p, w in sorted(weights.items())}, amount)
        for payee, minor in split.items():
            if minor:
                rows.append(
                    SuspenseRelease(
                        run=run, side=held.source.side, isrc=held.source.isrc, source=held.source,
                        source_month=held.month, payee=payee, share=share, amount_minor=minor,
                    )
                )  # fmt: skip
    if not rows:
        return []
    SuspenseRelease.objects.bulk_create(rows)
    postings: list[tuple[accounts.Account, int]] = []
    for row in rows:
        if row.side == Side.RECORDING:
            postings += [
                (accounts.suspense(row.isrc), -row.amount_minor),
                (accounts.payable(row.payee), row.amount_minor),
            ]
        else:
            postings += [
                (accounts.mechanical(row.isrc), -row.amount_minor),
                (accounts.publishing(row.payee), row.amount_minor),
            ]
    transaction_write(
        key=release_key(run.pk),
        run_id=run.pk,
        description=f"Suspense released by payout run {run.pk} for {run.month:%Y-%m}",
        currency=run.policy["currency"],
        postings=postings,
    )
    _statement_holders(run, {row.payee for row in rows})
    return rows


def release_key(run_id: int) -> str:
    return f"run:{run_id}:release"


def _statement_holders(run: PayoutRun, payees: set[str]) -> None:
    """A payee paid only released money this month still gets a statement: a result row with
    nothing allocated this month (its released lines are on the statement)."""
    have = PayeeResult.objects.filter(run=run, payee__in=payees).values_list("payee", flat=True)
    missing = payees - set(have)
    known = {p.id: (p.kind, p.name, p.distributor_id) for p in Payee.objects.filter(id__in=missing)}
    for artist in Artist.objects.filter(id__in=missing - set(known)):
        known[artist.id] = ("artist", artist.name, artist.distributor_id)
    PayeeResult.objects.bulk_create(
        [
            PayeeResult(
                run=run, payee=payee, kind=known.get(payee, ("artist", payee, None))[0],
                name=known.get(payee, ("artist", payee, None))[1],
                distributor_id=known.get(payee, ("artist", payee, None))[2],
                streams=0, amount_exact=Decimal(0), amount_minor=0, recording_minor=0,
            )
            for payee in sorted(missing)
        ]
    )  # fmt: skip
