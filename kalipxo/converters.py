"""Path converters.

`<id:...>` is a database id: at most 18 digits, so it always fits the 64-bit integer columns
ids live in. A longer number cannot name a row: the URL does not match (404) rather than
reach a query the database refuses (on SQLite, a crash).

`<ext:...>` is an external id (an artist's, a payee's, a work's), as the catalog accepts it
(kalipxo.validation.ID_RE): it may hold "/", which `<str:>` stops at, so such an artist's
earnings or such a payee's statement could not be reached. Matched greedily, and then only
as far as what follows it in the route allows ("a/b/earnings" is artist "a/b").
"""

from django.urls.converters import IntConverter, StringConverter, register_converter

from kalipxo.validation import ID_RE


class IdConverter(IntConverter):
    regex = "[0-9]{1,18}"


class ExternalIdConverter(StringConverter):
    regex = ID_RE.pattern


register_converter(IdConverter, "id")
register_converter(ExternalIdConverter, "ext")
