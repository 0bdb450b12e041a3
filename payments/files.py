"""A batch as files a bank or payment provider accepts: one ISO 20022 pain.001.001.03
credit-transfer file for the IBAN payments (written by `sepaxml`, which also validates it
against the schema), and a PayPal Payouts CSV for the PayPal ones.

`Ccy` is the settlement currency: a SEPA credit transfer when it is EUR; otherwise the same
message without the SEPA service level, which banks take for other currencies.
"""

import csv
import io
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from sepaxml import SepaTransfer

from kalipxo.money import format_minor, minor_exponent
from kalipxo.validation import month_label
from payments.models import Method, PaymentBatch

# sepaxml writes amounts from integer cents; an amount in another minor unit is given in
# hundredths of the currency unit (exact for currencies of 0 to 2 decimal places).
SEPA_PLACES = 2


def _hundredths(amount_minor: int, places: int) -> int:
    if places > SEPA_PLACES:
        raise ValueError(f"pain.001 amounts here carry at most {SEPA_PLACES} decimals, not {places}.")
    return amount_minor * 10 ** (SEPA_PLACES - places)


def sepa_xml(batch: PaymentBatch) -> bytes:
    places = minor_exponent(batch.currency)
    config = {
        "name": settings.PAYOUT_DEBTOR_NAME,
        "IBAN": settings.PAYOUT_DEBTOR_IBAN.replace(" ", ""),
        "BIC": settings.PAYOUT_DEBTOR_BIC.replace(" ", ""),
        "batch": True,
        "currency": batch.currency,
        "domestic": batch.currency != "EUR",  # no SEPA service level outside the euro
    }
    transfer = SepaTransfer(config, schema="pain.001.001.03", clean=True)
    execution = timezone.now().date() + timedelta(days=1)
    for payment in batch.payments.filter(method=Method.IBAN).order_by("reference"):
        item = {
            "name": payment.name,
            "IBAN": payment.iban,
            "amount": _hundredths(payment.amount_minor, places),
            "execution_date": execution,
            "description": f"Kalipxo royalties {month_label(batch.month)} {payment.reference}",
            "endtoend_id": payment.reference,
        }
        if payment.bic:
            item["BIC"] = payment.bic
        transfer.add_payment(item)
    return transfer.export(validate=True, pretty_print=True)


def paypal_csv(batch: PaymentBatch) -> str:
    """PayPal Payouts' batch file: recipient, amount, currency, customer id (our reference),
    note to recipient, wallet; one currency per file, no header row."""
    places = minor_exponent(batch.currency)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for payment in batch.payments.filter(method=Method.PAYPAL).order_by("reference"):
        writer.writerow(
            [
                payment.paypal_email,
                format_minor(payment.amount_minor, places),
                batch.currency,
                payment.reference,
                f"Kalipxo royalties {month_label(batch.month)}",
                "PAYPAL",
            ]
        )
    return out.getvalue()
