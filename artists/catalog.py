"""Catalog upsert: tracks with their artist, release and splits, all-or-nothing per request.

Ownership: every artist, payee, release and track belongs to the distributor that created
it (admins create platform-managed rows). A distributor may create new ids and change its
own rows, and is refused any id that belongs to someone else, so one distributor can
neither see nor redirect another's money.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from artists.access import Actor
from artists.models import Artist, Payee, Release, Split, Track
from artists.upsert import (
    MAX_BATCH,
    MAX_SHARES,
    CatalogRejected,
    PayeeIn,
    UpsertResult,
    check_named,
    owned_elsewhere,
    parse_payee_share,
    payee_refusal,
    payees_save,
    twice_on_conflict,
)
from kalipxo.validation import (
    ISRC_MESSAGE,
    Errors,
    check_int,
    check_text,
    echo_id,
    normalize_isrc,
    unknown_fields,
)

__all__ = ["MAX_BATCH", "CatalogRejected", "UpsertResult", "catalog_tracks_upsert"]

TRACK_FIELDS = ("isrc", "title", "duration_ms", "artist", "release", "splits")


@dataclass(frozen=True)
class TrackIn:
    index: int
    isrc: str
    title: str
    duration_ms: int
    artist_id: str
    artist_name: str
    release: tuple[str, str] | None
    splits: tuple[tuple[PayeeIn, Decimal], ...]


def _parse_splits(value: Any, errors: Errors) -> tuple[tuple[PayeeIn, Decimal], ...]:
    if value is None or value == []:
        return ()  # no splits: 100% to the track's artist
    if not isinstance(value, list) or len(value) > MAX_SHARES:
        errors["splits"] = [f"Send a list of at most {MAX_SHARES} {{payee, share}} objects."]
        return ()
    splits: list[tuple[PayeeIn, Decimal]] = []
    for i, entry in enumerate(value):
        prefix = f"splits[{i}]"
        if not isinstance(entry, dict):
            errors[prefix] = ["Each split is an object with 'payee' and 'share'."]
            continue
        for extra in unknown_fields(entry, ("payee", "share")):
            errors[f"{prefix}.{extra}"] = ["Unknown field."]
        if (parsed := parse_payee_share(entry, prefix, errors)) is not None:
            splits.append(parsed)
    if len(splits) == len(value):
        if sum(share for _, share in splits) != 1:
            errors["splits"] = [
                f"Shares must add up to exactly 1; these add up to {sum(s for _, s in splits)}."
            ]
        if len({payee.id for payee, _ in splits}) != len(splits):
            errors["splits"] = ["Each payee may appear only once per track."]
    return tuple(splits)


def _parse_track(index: int, item: Any) -> tuple[TrackIn | None, Errors]:
    if not isinstance(item, dict):
        return None, {"non_field_errors": ["Each track must be a JSON object."]}
    errors = unknown_fields(item, TRACK_FIELDS)
    isrc = normalize_isrc(item.get("isrc"))
    if isrc is None:
        errors["isrc"] = [ISRC_MESSAGE]
    if (msg := check_text(item.get("title"))) is not None:
        errors["title"] = [msg]
    if (msg := check_int(item.get("duration_ms"), minimum=1, maximum=24 * 3600 * 1000)) is not None:
        errors["duration_ms"] = [msg]
    artist = check_named(item.get("artist"), "id", "name", errors, "artist")
    release = None
    if item.get("release") is not None:
        release = check_named(item["release"], "upc", "title", errors, "release")
    splits = _parse_splits(item.get("splits"), errors)
    if errors or isrc is None or artist is None:
        return None, errors
    track = TrackIn(
        index, isrc, item["title"].strip(), item["duration_ms"], artist[0], artist[1], release, splits
    )
    return track, {}


def _parse_batch(items: list[Any]) -> list[TrackIn]:
    tracks: list[TrackIn] = []
    rejected: list[dict[str, Any]] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        track, errors = _parse_track(index, item)
        if track is not None and track.isrc in first_index:
            errors = {"isrc": [f"Also sent at index {first_index[track.isrc]}; send each ISRC once."]}
        if errors:
            raw = item.get("isrc") if isinstance(item, dict) else None
            rejected.append({"index": index, "isrc": echo_id(raw, max_length=15), "errors": errors})
            continue
        assert track is not None  # noqa: S101 - no errors means a parsed track
        first_index[track.isrc] = index
        tracks.append(track)
    if rejected:
        raise CatalogRejected(400, "No track was saved; fix the tracks below.", rejected)
    _check_consistency(tracks)
    return tracks


def _check_consistency(tracks: list[TrackIn]) -> None:
    """The same artist, payee or release id must not be described two ways in one batch."""
    seen: dict[str, tuple[str, str]] = {}
    rejected: list[dict[str, Any]] = []
    for track in tracks:
        described = [(track.artist_id, ("artist", track.artist_name))]
        described += [(payee.id, (payee.kind, payee.name)) for payee, _ in track.splits]
        for ident, (kind, name) in described:
            previous = seen.setdefault(ident, (kind, name))
            if previous[0] != kind:
                rejected.append(
                    {"index": track.index, "isrc": track.isrc,
                     "errors": {"splits": [f"Id {ident!r} is used both as {previous[0]} and as {kind}."]}}
                )  # fmt: skip
    if rejected:
        raise CatalogRejected(400, "No track was saved; ids are used inconsistently.", rejected)


def catalog_tracks_upsert(*, actor: Actor, items: list[Any]) -> UpsertResult:
    """Create or update tracks by ISRC with their artist, release and splits; all or nothing."""
    if len(items) > MAX_BATCH:
        raise CatalogRejected(400, f"At most {MAX_BATCH} tracks per request; got {len(items)}.", [])
    tracks = _parse_batch(items)
    return twice_on_conflict(lambda: _write(actor, tracks))


def _write(actor: Actor, tracks: list[TrackIn]) -> UpsertResult:
    isrcs = [t.isrc for t in tracks]
    people = {t.artist_id for t in tracks} | {p.id for t in tracks for p, _ in t.splits}
    upcs = {t.release[0] for t in tracks if t.release}
    # Row locks keep two concurrent batches from both "creating" or re-owning the same id.
    existing_tracks = {t.isrc: t for t in Track.objects.select_for_update().filter(isrc__in=isrcs)}
    artists = {a.id: a for a in Artist.objects.select_for_update().filter(id__in=people)}
    payees = {p.id: p for p in Payee.objects.select_for_update().filter(id__in=people)}
    releases = {r.upc: r for r in Release.objects.select_for_update().filter(upc__in=upcs)}

    refused: list[dict[str, Any]] = []  # ids of someone else: 403
    clashing: list[dict[str, Any]] = []  # own ids used as another kind: 400
    for track in tracks:
        foreign: Errors = {}
        clashes: Errors = {}
        if track.isrc in existing_tracks and owned_elsewhere(
            actor, existing_tracks[track.isrc].distributor_id
        ):
            foreign["isrc"] = ["This ISRC belongs to another distributor's catalog."]
        if track.artist_id in artists and owned_elsewhere(actor, artists[track.artist_id].distributor_id):
            foreign["artist.id"] = ["This artist id belongs to another distributor."]
        elif track.artist_id in payees and payees[track.artist_id].kind != Payee.Kind.ARTIST:
            if owned_elsewhere(actor, payees[track.artist_id].distributor_id):
                foreign["artist.id"] = ["This id belongs to another distributor."]
            else:
                clashes["artist.id"] = ["This id is already a payee that is not an artist."]
        release = releases.get(track.release[0]) if track.release else None
        if release is not None and owned_elsewhere(actor, release.distributor_id):
            foreign["release.upc"] = ["This release belongs to another distributor."]
        for i, (payee, _) in enumerate(track.splits):
            if (refusal := payee_refusal(actor, payee, artists, payees)) is not None:
                kind, where, message = refusal
                (foreign if kind == "foreign" else clashes)[f"splits[{i}].{where}"] = [message]
        if foreign:
            refused.append({"index": track.index, "isrc": track.isrc, "errors": foreign})
        elif clashes:
            clashing.append({"index": track.index, "isrc": track.isrc, "errors": clashes})
    if refused:
        raise CatalogRejected(403, "No track was saved; some ids belong to someone else.", refused)
    if clashing:
        raise CatalogRejected(400, "No track was saved; ids are used inconsistently.", clashing)

    owner_id = None if actor.is_admin else actor.distributor_id
    _save_artists_and_payees(tracks, artists, payees, owner_id)
    _save_releases(tracks, releases, owner_id)
    return _save_tracks(tracks, existing_tracks, owner_id)


def _save_artists_and_payees(
    tracks: list[TrackIn], artists: dict[str, Artist], payees: dict[str, Payee], owner_id: int | None
) -> None:
    names: dict[str, str] = {}
    for track in tracks:
        names[track.artist_id] = track.artist_name
        for payee, _ in track.splits:
            if payee.kind == Payee.Kind.ARTIST:
                names.setdefault(payee.id, payee.name)
    others = [payee for track in tracks for payee, _ in track.splits]
    payees_save(artist_names=names, others=others, artists=artists, payees=payees, owner_id=owner_id)


def _save_releases(tracks: list[TrackIn], releases: dict[str, Release], owner_id: int | None) -> None:
    titles = {t.release[0]: t.release[1] for t in tracks if t.release}
    Release.objects.bulk_create(
        [Release(upc=u, title=t, distributor_id=owner_id) for u, t in titles.items() if u not in releases]
    )
    changed = [r for u, r in releases.items() if u in titles and r.title != titles[u]]
    for release in changed:
        release.title = titles[release.upc]
    Release.objects.bulk_update(changed, ["title"])


def _save_tracks(tracks: list[TrackIn], existing: dict[str, Track], owner_id: int | None) -> UpsertResult:
    result = UpsertResult("isrcs")
    new: list[Track] = []
    changed: list[Track] = []
    for t in tracks:
        release_upc = t.release[0] if t.release else None
        if t.isrc in existing:
            row = existing[t.isrc]
            row.title, row.duration_ms, row.artist_id, row.release_id = (
                t.title,
                t.duration_ms,
                t.artist_id,
                release_upc,
            )
            row.updated_at = timezone.now()  # bulk_update does not apply auto_now
            changed.append(row)
            result.updated.append(t.isrc)
        else:
            new.append(
                Track(isrc=t.isrc, title=t.title, duration_ms=t.duration_ms, artist_id=t.artist_id,
                      release_id=release_upc, distributor_id=owner_id)
            )  # fmt: skip
            result.created.append(t.isrc)
    Track.objects.bulk_create(new)
    Track.objects.bulk_update(changed, ["title", "duration_ms", "artist", "release", "updated_at"])
    # The posted splits replace the track's splits; none posted means 100% to the artist.
    Split.objects.filter(track_id__in=[t.isrc for t in tracks]).delete()
    Split.objects.bulk_create(
        [Split(track_id=t.isrc, payee_id=payee.id, share=share) for t in tracks for payee, share in t.splits]
    )
    return result
