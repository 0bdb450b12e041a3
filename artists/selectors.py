"""Reads of the catalog, scoped to what the caller may see."""

from django.db.models import QuerySet

from artists.access import Actor
from artists.models import Artist, Track, Work


def tracks_visible_to(actor: Actor) -> QuerySet[Track]:
    tracks = Track.objects.select_related("artist", "release").prefetch_related("splits__payee")
    if actor.is_admin:
        return tracks
    if actor.distributor_id is not None:
        return tracks.filter(distributor_id=actor.distributor_id)
    if actor.artist_id is not None:
        return tracks.filter(artist_id=actor.artist_id)
    return tracks.none()


def works_visible_to(actor: Actor) -> QuerySet[Work]:
    """Admins see every work, a distributor its own; nobody else sees works."""
    works = Work.objects.prefetch_related("shares__payee", "recording_links")
    if actor.is_admin:
        return works
    if actor.distributor_id is not None:
        return works.filter(distributor_id=actor.distributor_id)
    return works.none()


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


def work_as_dict(work: Work) -> dict:
    """A work in the same shape the works endpoint accepts (`ipi` only where one is known)."""
    writers = []
    for share in work.shares.all():
        writer: dict = {
            "payee": {"id": share.payee_id, "kind": share.payee.kind, "name": share.payee.name},
            "share": str(share.share.normalize()),
        }
        if share.ipi is not None:
            writer["ipi"] = share.ipi
        writers.append(writer)
    return {
        "id": work.id,
        "iswc": work.iswc,
        "title": work.title,
        "writers": writers,
        "recordings": [
            {"isrc": link.track_id, "share": str(link.share.normalize())}
            for link in work.recording_links.all()
        ],
    }
