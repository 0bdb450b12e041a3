"""Reads of the catalog, scoped to what the caller may see."""

from django.db.models import QuerySet

from artists.access import Actor
from artists.models import Artist, Track


def tracks_visible_to(actor: Actor) -> QuerySet[Track]:
    tracks = Track.objects.select_related("artist", "release").prefetch_related("splits__payee")
    if actor.is_admin:
        return tracks
    if actor.distributor_id is not None:
        return tracks.filter(distributor_id=actor.distributor_id)
    if actor.artist_id is not None:
        return tracks.filter(artist_id=actor.artist_id)
    return tracks.none()


def artists_visible_to(actor: Actor) -> QuerySet[Artist]:
    if actor.is_admin:
        return Artist.objects.all()
    if actor.distributor_id is not None:
        return Artist.objects.filter(distributor_id=actor.distributor_id)
    if actor.artist_id is not None:
        return Artist.objects.filter(id=actor.artist_id)
    return Artist.objects.none()


def track_as_dict(track: Track) -> dict:
    """A track in the same shape the catalog endpoint accepts."""
    data: dict = {
        "isrc": track.isrc,
        "title": track.title,
        "duration_ms": track.duration_ms,
        "artist": {"id": track.artist_id, "name": track.artist.name},
        "release": {"upc": track.release_id, "title": track.release.title} if track.release else None,
        "splits": [
            {
                "payee": {"id": s.payee_id, "kind": s.payee.kind, "name": s.payee.name},
                "share": str(s.share.normalize()),
            }
            for s in track.splits.all()
        ],
    }
    return data
