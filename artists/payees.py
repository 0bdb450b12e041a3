"""A payee's row, for what is recorded about the payee itself (tax form, verification).

An artist paid without splits is a payee by its artist id with no `Payee` row yet (a payee of
kind `artist` is that artist itself); the row is made the first time something is recorded
about it, with the artist's name and distributor.
"""

from django.db import IntegrityError, transaction

from artists.models import Artist, Payee


def _artist_payee(artist: Artist) -> Payee:
    return Payee(
        id=artist.pk,
        kind=Payee.Kind.ARTIST,
        name=artist.name,
        distributor_id=artist.distributor_id,
        artist=artist,
    )


def payee_seen(payee_id: str) -> Payee | None:
    """The payee `payee_id` names, to read about: its row, or its artist's as it would be made
    (not saved: a read writes nothing)."""
    payee = Payee.objects.filter(pk=payee_id).first()
    if payee is not None:
        return payee
    artist = Artist.objects.filter(pk=payee_id).first()
    return _artist_payee(artist) if artist is not None else None


def payee_row(payee_id: str) -> Payee | None:
    """The payee `payee_id` names, its artist's row made if needed; None if there is none."""
    payee = Payee.objects.filter(pk=payee_id).first()
    if payee is not None:
        return payee
    artist = Artist.objects.filter(pk=payee_id).first()
    if artist is None:
        return None
    try:
        with transaction.atomic():
            payee = _artist_payee(artist)
            payee.save(force_insert=True)
            return payee
    except IntegrityError:  # made at the same moment by another request
        return Payee.objects.get(pk=payee_id)
