"""The demo's deductions and payees' payout details, US-style: distributors' fee agreements
(and the distributors verified, so that their fees are paid too), tax forms (W-9 for US
persons, W-8BEN / W-8BEN-E with treaty rates for others, some none),
and verifications: most payees verified with a bank account or PayPal, one waiting for review,
one whose name is close to an entry of a small demo sanctions list, a few with nothing yet.

Written once, with the catalog; the operator then runs, finalizes and pays months in the
console as a real one would.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from schwifty import IBAN

from artists.models import Artist, Distributor, Payee
from artists.payees import payee_row
from deductions.agreements import AgreementTerms, fee_agreement_record
from deductions.models import TaxProfile
from deductions.tax import TaxTerms, tax_profile_record
from demo.base import demo_rng
from payments.models import Method, SanctionsList, Verification
from payments.sanctions import sanctions_list_load
from payments.verification import MethodIn, VerificationIn, verification_record

RECORDED_BY = "demo"
# The distributors' commissions (docs/rules.md §2 Deductions): one flat-fee distributor at 0.
FEE_RATES = {"Northwind Music": "0.15", "Bluebird Distribution": "0", "Harbor Records Group": "0.10"}
# Tax residence and the US treaty rate on royalties a W-8BEN claims.
TREATY_RATES = (("DE", "0"), ("GB", "0"), ("FR", "0"), ("CA", "0.10"), ("BR", None), ("IN", "0.15"))
BANKS = (("DE", "37040044", 10), ("FR", "3000600001", 11), ("GB", "NWBK601613", 8))


@dataclass
class DemoPayments:
    agreements: int = 0
    tax_profiles: int = 0
    verified: int = 0
    pending: int = 0


def _iban(seed: int, n: int) -> str:
    country, bank, digits = BANKS[n % len(BANKS)]
    account = str(demo_rng(seed, "iban", n).randrange(10 ** (digits - 1), 10**digits))
    return IBAN.generate(country, bank_code=bank, account_code=account).compact


def demo_payments_write(*, seed: int, month: date) -> DemoPayments:
    """Agreements from `month` on, tax forms and verifications for the demo's payees."""
    done = DemoPayments()
    for name, rate in FEE_RATES.items():
        distributor = Distributor.objects.filter(name=name).first()
        if distributor is not None:
            terms = AgreementTerms(fee_rate=Decimal(rate), from_month=month)
            fee_agreement_record(distributor=distributor, terms=terms, recorded_by=RECORDED_BY)
            done.agreements += 1
    for n, distributor in enumerate(Distributor.objects.filter(name__in=FEE_RATES).order_by("name")):
        method = MethodIn(Method.IBAN, iban=_iban(seed, 20_000 + n), holder=distributor.name)
        data = VerificationIn(Verification.Status.VERIFIED, distributor.name, method, "")
        verification_record(holder=distributor, data=data, actor=RECORDED_BY)  # its fees are paid too
        done.verified += 1
    rng = demo_rng(seed, "payments")
    artists = list(Artist.objects.filter(distributor__isnull=False).order_by("id"))
    others = list(Payee.objects.exclude(kind=Payee.Kind.ARTIST).order_by("id"))
    holders = [payee for payee in (payee_row(a.pk) for a in artists) if payee is not None] + others
    # One payee's name goes on a small demo sanctions list, loaded first so that every
    # verification below is screened against it; that payee waits for review.
    screened = holders[8] if len(holders) > 8 and not SanctionsList.objects.exists() else None
    if screened is not None:
        words = screened.name.split()
        listed = f"{words[-1].upper()}, {' '.join(words[:-1])}" if len(words) > 1 else screened.name.upper()
        blanks = ",".join(["-0- "] * 8)
        row = f'90001,"{listed.replace(chr(34), "")}",individual,"DEMO",{blanks}\n'
        sanctions_list_load(
            files=[("demo-sdn.csv", row.encode())], version="Demo list", loaded_by=RECORDED_BY
        )
    for n, payee in enumerate(holders):
        draw = rng.random()
        if draw < 0.45:
            form = TaxTerms(TaxProfile.Form.W9, "US", None)
        elif draw < 0.8:
            country, treaty = TREATY_RATES[n % len(TREATY_RATES)]
            kind = (
                TaxProfile.Form.W8BEN
                if payee.kind in (Payee.Kind.ARTIST, Payee.Kind.WRITER)
                else TaxProfile.Form.W8BENE
            )
            form = TaxTerms(kind, country, None if treaty is None else Decimal(treaty))
        else:
            form = None  # no form on file: WITHHOLDING_RATE_WITHOUT_FORM applies
        if form is not None:
            tax_profile_record(payee=payee, terms=form, recorded_by=RECORDED_BY)
            done.tax_profiles += 1
        step = n % 10
        if step == 9:
            continue  # nothing yet: "Add a payout account to get paid."
        legal = payee.name
        method = (
            MethodIn(Method.PAYPAL, email=f"{payee.pk.lower().replace(':', '-')}@example.com")
            if step in (3, 6)
            else MethodIn(Method.IBAN, iban=_iban(seed, n), holder=legal)
        )
        # A few wait for review (the queue a reviewer works through); the rest are verified.
        status = Verification.Status.PENDING if step == 7 and n < 40 else Verification.Status.VERIFIED
        verification_record(holder=payee, data=VerificationIn(status, legal, method, ""), actor=RECORDED_BY)
        done.verified += status == Verification.Status.VERIFIED and payee != screened
        done.pending += status == Verification.Status.PENDING or payee == screened
    return done
