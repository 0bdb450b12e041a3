"""What the catalog upserts (tracks in `catalog.py`, works in `works.py`) share: the refusal,
{id, name} objects, payees with shares, the payee ownership rules, and saving payees.

Ownership: every artist and payee belongs to the distributor that created it (admins create
platform-managed rows). A distributor may name new ids and its own, and is refused any id
that belongs to someone else; an id keeps its kind (an artist id is never a label).
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from artists.access import Actor
from artists.models import Artist, Payee
from kalipxo.money import parse_decimal
from kalipxo.validation import Errors, check_id, check_text, unknown_fields

MAX_BATCH = 1000
SHARE_PLACES = 6
MAX_SHARES = 50
UPC_RE = re.compile(r"[0-9]{12,14}")  # UPC-A, EAN-13 or GTIN-14; ASCII digits only


class CatalogRejected(Exception):
    """Nothing was stored; `status` is the HTTP status that fits, `body` says why."""

    def __init__(self, status: int, detail: str, rejected: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.status = status
        self.body: dict[str, Any] = {"detail": detail, "rejected": rejected}


T = TypeVar("T")


def twice_on_conflict(write: Callable[[], T]) -> T:
    """`write()` in a transaction, and once more if a unique constraint refused it; a 409
    CatalogRejected if it is refused again. `write` reads what it changes under row locks."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        # A concurrent request created one of these ids between our locking read and our
        # insert. Once more: now the row exists, is locked, and its owner is checked.
        pass
    try:
        with transaction.atomic():
            return write()
    except IntegrityError as exc:
        raise CatalogRejected(409, "Concurrent changes to the same ids; retry the request.", []) from exc


@dataclass
class UpsertResult:
    """The ids an upsert created and updated; answered under `ids_key` ("isrcs" for tracks,
    "ids" for works)."""

    ids_key: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            self.ids_key: self.created + self.updated,
        }


@dataclass(frozen=True)
class PayeeIn:
    id: str
    kind: str
    name: str


def check_named(
    value: Any, id_field: str, name_field: str, errors: Errors, prefix: str, *, more: tuple[str, ...] = ()
) -> tuple[str, str] | None:
    """The (id, name) of an {id, name} object, or None with its errors recorded under `prefix`."""
    if not isinstance(value, dict):
        errors[prefix] = [f"Send an object with {id_field!r} and {name_field!r}."]
        return None
    for extra in unknown_fields(value, (id_field, name_field, *more)):
        errors[f"{prefix}.{extra}"] = ["Unknown field."]
    ident, name = value.get(id_field), value.get(name_field)
    ok = True
    if id_field == "upc":
        if not isinstance(ident, str) or not UPC_RE.fullmatch(ident):
            errors[f"{prefix}.upc"] = ["A UPC/EAN of 12 to 14 digits, as a string."]
            ok = False
    elif (msg := check_id(ident)) is not None:
        errors[f"{prefix}.{id_field}"] = [msg]
        ok = False
    if (msg := check_text(name)) is not None:
        errors[f"{prefix}.{name_field}"] = [msg]
        ok = False
    return (str(ident), str(name).strip()) if ok else None


def parse_share(value: Any) -> Decimal:
    """A share more than 0 and at most 1, with at most six decimal places; ValueError if not."""
    # Places checked on the digits as sent, before any shares are summed.
    share = parse_decimal(value, places=SHARE_PLACES)
    if not Decimal(0) < share <= Decimal(1):
        raise ValueError("A share is more than 0 and at most 1.")
    return share


def parse_payee_share(entry: Any, prefix: str, errors: Errors) -> tuple[PayeeIn, Decimal] | None:
    """A {payee: {id, kind, name}, share} entry (other fields checked by the caller), or None
    with its errors recorded under `prefix` ("splits[0]", "writers[2]")."""
    payee = entry.get("payee")
    named = check_named(payee, "id", "name", errors, f"{prefix}.payee", more=("kind",))
    kind = payee.get("kind") if isinstance(payee, dict) else None
    if kind not in Payee.Kind.values:
        errors[f"{prefix}.payee.kind"] = [f"Use one of: {', '.join(Payee.Kind.values)}."]
    try:
        share = parse_share(entry.get("share"))
    except ValueError as exc:
        errors[f"{prefix}.share"] = [str(exc)]
        return None
    if named is None or kind not in Payee.Kind.values:
        return None
    return PayeeIn(named[0], str(kind), named[1]), share


def owned_elsewhere(actor: Actor, owner_id: int | None) -> bool:
    return not actor.is_admin and owner_id != actor.distributor_id


Refusal = tuple[Literal["foreign", "clash"], str, str]


def payee_refusal(
    actor: Actor, payee: PayeeIn, artists: dict[str, Artist], payees: dict[str, Payee]
) -> Refusal | None:
    """Why `actor` may not name this payee, if it may not: ("foreign" (a 403) or "clash" (a
    400), the field under the entry's "payee", the message). `artists` and `payees` hold the
    stored rows of the ids concerned (locked by the caller)."""
    known = payees.get(payee.id)
    artist = artists.get(payee.id)
    owner = known.distributor_id if known else (artist.distributor_id if artist else None)
    if (known or artist) and owned_elsewhere(actor, owner):
        return "foreign", "payee.id", "This payee id belongs to another distributor."
    if known and known.kind != payee.kind:
        return "clash", "payee.kind", f"Payee {payee.id!r} is a {known.kind}, not a {payee.kind}."
    if artist and payee.kind != Payee.Kind.ARTIST:
        return "clash", "payee.kind", f"{payee.id!r} is an artist id; use kind 'artist'."
    return None


def payees_save(
    *,
    artist_names: dict[str, str],
    others: Iterable[PayeeIn],
    artists: dict[str, Artist],
    payees: dict[str, Payee],
    owner_id: int | None,
) -> None:
    """Create or rename the artists named (`artist_names`: id -> name) and their payees, then
    the other payees (`others`, any kind but artist; a later one wins). Each new row belongs
    to `owner_id`, an artist's payee to its artist's owner. `artists` and `payees` hold the
    stored rows (locked by the caller); new artists are added to `artists`."""
    new_artists = [
        Artist(id=i, name=n, distributor_id=owner_id) for i, n in artist_names.items() if i not in artists
    ]
    Artist.objects.bulk_create(new_artists)
    renamed = [a for a in artists.values() if a.id in artist_names and a.name != artist_names[a.id]]
    for artist in renamed:
        artist.name = artist_names[artist.id]
        artist.updated_at = timezone.now()  # bulk_update does not apply auto_now
    Artist.objects.bulk_update(renamed, ["name", "updated_at"])
    artists.update({a.id: a for a in new_artists})

    wanted: dict[str, PayeeIn] = {i: PayeeIn(i, Payee.Kind.ARTIST, n) for i, n in artist_names.items()}
    for payee in others:
        if payee.kind != Payee.Kind.ARTIST:
            wanted[payee.id] = payee
    new_payees = [
        Payee(
            id=p.id,
            kind=p.kind,
            name=p.name,
            distributor_id=artists[p.id].distributor_id if p.id in artists else owner_id,
            artist_id=p.id if p.kind == Payee.Kind.ARTIST else None,
        )
        for p in wanted.values()
        if p.id not in payees
    ]
    Payee.objects.bulk_create(new_payees)
    changed = [payees[i] for i, p in wanted.items() if i in payees and payees[i].name != p.name]
    for row in changed:
        row.name = wanted[row.id].name
    Payee.objects.bulk_update(changed, ["name"])
