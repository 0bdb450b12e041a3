"""Path converters. `<id:...>` is a database id: at most 18 digits, so it always fits the
64-bit integer columns ids live in. A longer number cannot name a row: the URL does not
match (404) rather than reach a query the database refuses (on SQLite, a crash)."""

from django.urls.converters import IntConverter, register_converter


class IdConverter(IntConverter):
    regex = "[0-9]{1,18}"


register_converter(IdConverter, "id")
