"""A column for exact sub-cent amounts on both databases.

Allocation shares (P × c / T) have more decimals than any payable amount. PostgreSQL keeps
them in `numeric`; SQLite, the embedded demo default, would turn a `decimal` column into a
binary float (its NUMERIC affinity), so there the digits are stored as text instead.
"""

from decimal import Decimal
from typing import Any

from django.db import models

from kalipxo.money import decimal_context, quantize_places


class ExactAmountField(models.Field):  # type: ignore[type-arg]
    """`Decimal` with a fixed number of places: numeric on PostgreSQL, text on SQLite."""

    description = "An exact decimal amount"

    def __init__(self, *args: Any, places: int = 30, digits: int = 60, **kwargs: Any) -> None:
        self.places = places
        self.digits = digits
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["places"] = self.places
        kwargs["digits"] = self.digits
        return name, path, args, kwargs

    def db_type(self, connection: Any) -> str:
        if connection.vendor == "postgresql":
            return f"numeric({self.digits}, {self.places})"
        return "text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        return None if value is None else Decimal(value)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(str(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = self.to_python(value)
        if value is None:
            return None
        # A context wide enough for every digit: the default 28 digits would refuse 30 places.
        value = quantize_places(value, self.places, context=decimal_context(self.digits + 10))
        if connection.vendor == "postgresql":
            return value
        return format(value, "f")  # plain digits, never an exponent, so text sorts nothing wrong
