"""Exchange rates as recorded: never edited (a wrong rate is a 409, not an update), so a
month's rate can always be recomputed from what was recorded (docs/rules.md §2 Currencies)."""

from django.db import models
from django.db.models.functions import Now

RATE_PLACES = 10  # a rate is stored exactly as sent: at most 10 decimal places
RATE_INTEGER_DIGITS = 15


class FxRate(models.Model):
    """On `date`, one unit of `currency` was worth `rate` units of the settlement currency."""

    date = models.DateField()
    currency = models.CharField(max_length=3, help_text="ISO 4217 alphabetic code, upper case.")
    rate = models.DecimalField(
        max_digits=RATE_INTEGER_DIGITS + RATE_PLACES,
        decimal_places=RATE_PLACES,
        help_text="Settlement-currency value of one unit of the currency; positive.",
    )
    source = models.CharField(max_length=64, default="api", help_text='Where it came from, e.g. "ECB".')
    recorded_by = models.CharField(max_length=200, help_text="The admin client, user or command.")
    recorded_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["date", "currency"]
        verbose_name = "exchange rate"
        constraints = [
            # (currency, date): the month's-rate reads go by currency, then a range of dates.
            models.UniqueConstraint(fields=["currency", "date"], name="fx_rate_one_per_currency_and_date"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fx_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.currency} {self.rate}"
