"""Works upsert: musical works with their writers' shares and the recordings linked to them,
all-or-nothing per request.

Ownership as for tracks (`artists/upsert.py`): a distributor's works and its writers' payee
ids must be its own or new, and a linked ISRC must be one of its own tracks (any track for an
admin; a track not in the catalog is refused, it cannot be linked before it exists). The
writers' shares of a work sum to exactly 1; one recording's links, over all works, to at most
1 (what is left goes to mechanical suspense). The posted writers and recordings replace the
work's: a work posted without `recordings` has no links.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from artists.access import Actor
from artists.models import Artist, Payee, RecordingLink, Track, Work, WorkShare
from artists.upsert import (
    MAX_BATCH,
    MAX_SHARES,
    CatalogRejected,
    PayeeIn,
    UpsertResult,
    owned_elsewhere,
    parse_payee_share,
    parse_share,
    payee_refusal,
    payees_save,
    twice_on_conflict,
)
from kalipxo.validation import (
    ISRC_MESSAGE,
    ISWC_MESSAGE,
    Errors,
    check_id,
    check_ipi,
    check_text,
    echo_id,
    normalize_isrc,
    normalize_iswc,
    unknown_fields,
)

WORK_FIELDS = ("id", "iswc", "title", "writers", "recordings")
WRITER_FIELDS = ("payee", "share", "ipi")
RECORDING_FIELDS = ("isrc", "share")
MAX_RECORDINGS = 1000


@dataclass(frozen=True)
class WriterIn:
    payee: PayeeIn
    share: Decimal
    ipi: str | None


@dataclass(frozen=True)
class WorkIn:
    index: int
    id: str
    iswc: str | None
    title: str
    writers: tuple[WriterIn, ...]
    recordings: tuple[tuple[str, Decimal], ...]  # (ISRC, link share)


# --- parsing: no database -------------------------------------------------------------


def _parse_writers(value: Any, errors: Errors) -> tuple[WriterIn, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_SHARES:
        errors["writers"] = [f"Required: a list of 1 to {MAX_SHARES} {{payee, share, ipi}} objects."]
        return ()
    writers: list[WriterIn] = []
    first: dict[str, int] = {}
    for i, entry in enumerate(value):
        prefix = f"writers[{i}]"
        if not isinstance(entry, dict):
            errors[prefix] = ["Each writer is an object with 'payee', 'share' and optionally 'ipi'."]
            continue
        for extra in unknown_fields(entry, WRITER_FIELDS):
            errors[f"{prefix}.{extra}"] = ["Unknown field."]
        ipi = entry.get("ipi")
        if ipi is not None and (msg := check_ipi(ipi)) is not None:
            errors[f"{prefix}.ipi"] = [msg]
        parsed = parse_payee_share(entry, prefix, errors)
        if parsed is None:
            continue
        payee, share = parsed
        if payee.id in first:
            errors[f"{prefix}.payee.id"] = [
                f"Also at writers[{first[payee.id]}]; name each payee once per work."
            ]
            continue
        first[payee.id] = i
        if f"{prefix}.ipi" not in errors:
            writers.append(WriterIn(payee, share, ipi))
    if len(writers) == len(value) and (total := sum(w.share for w in writers)) != 1:
        errors["writers"] = [f"Shares must add up to exactly 1; these add up to {total}."]
    return tuple(writers)


def _parse_recordings(value: Any, errors: Errors) -> tuple[tuple[str, Decimal], ...]:
    if value is None or value == []:
        return ()  # not linked (yet): the work earns nothing until a recording is linked
    if not isinstance(value, list) or len(value) > MAX_RECORDINGS:
        errors["recordings"] = [f"Send a list of at most {MAX_RECORDINGS:,} {{isrc, share}} objects."]
        return ()
    links: list[tuple[str, Decimal]] = []
    first: dict[str, int] = {}
    for i, entry in enumerate(value):
        prefix = f"recordings[{i}]"
        if not isinstance(entry, dict):
            errors[prefix] = ["Each recording is an object with 'isrc' and 'share'."]
            continue
        for extra in unknown_fields(entry, RECORDING_FIELDS):
            errors[f"{prefix}.{extra}"] = ["Unknown field."]
        isrc = normalize_isrc(entry.get("isrc"))
        if isrc is None:
            errors[f"{prefix}.isrc"] = [ISRC_MESSAGE]
        elif isrc in first:
            errors[f"{prefix}.isrc"] = [
                f"Also at recordings[{first[isrc]}]; link each recording once per work."
            ]
        try:
            share = parse_share(entry.get("share"))
        except ValueError as exc:
            errors[f"{prefix}.share"] = [str(exc)]
            continue
        if isrc is not None and f"{prefix}.isrc" not in errors:
            first[isrc] = i
            links.append((isrc, share))
    return tuple(links)


def _parse_work(index: int, item: Any) -> tuple[WorkIn | None, Errors]:
    if not isinstance(item, dict):
        return None, {"non_field_errors": ["Each work must be a JSON object."]}
    errors = unknown_fields(item, WORK_FIELDS)
    if (msg := check_id(item.get("id"))) is not None:
        errors["id"] = [msg]
    iswc = None
    if item.get("iswc") is not None and (iswc := normalize_iswc(item["iswc"])) is None:
        errors["iswc"] = [ISWC_MESSAGE]
    if (msg := check_text(item.get("title"))) is not None:
        errors["title"] = [msg]
    writers = _parse_writers(item.get("writers"), errors)
    recordings = _parse_recordings(item.get("recordings"), errors)
    if errors:
        return None, errors
    return WorkIn(index, item["id"], iswc, item["title"].strip(), writers, recordings), {}


def works_parse(items: list[Any]) -> list[WorkIn]:
    """The works of a request, checked on their own and against each other (no database);
    CatalogRejected (400) naming every bad field if any is wrong."""
    works: list[WorkIn] = []
    rejected: list[dict[str, Any]] = []
    by_id: dict[str, int] = {}
    by_iswc: dict[str, int] = {}
    for index, item in enumerate(items):
        work, errors = _parse_work(index, item)
        if work is not None and work.id in by_id:
            errors = {"id": [f"Also sent at index {by_id[work.id]}; send each work once."]}
        elif work is not None and work.iswc is not None and work.iswc in by_iswc:
            errors = {"iswc": [f"Also sent at index {by_iswc[work.iswc]}; an ISWC names one work."]}
        if errors:
            raw = item.get("id") if isinstance(item, dict) else None
            rejected.append({"index": index, "id": echo_id(raw), "errors": errors})
            continue
        assert work is not None  # noqa: S101 - no errors means a parsed work
        by_id[work.id] = index
        if work.iswc is not None:
            by_iswc[work.iswc] = index
        works.append(work)
    if rejected:
        raise CatalogRejected(400, "No work was saved; fix the works below.", rejected)
    _check_kinds(works)
    return works


def _check_kinds(works: list[WorkIn]) -> None:
    """One payee id must not be given two kinds in one request."""
    seen: dict[str, str] = {}
    rejected: list[dict[str, Any]] = []
    for work in works:
        errors: Errors = {}
        for i, writer in enumerate(work.writers):
            kind = seen.setdefault(writer.payee.id, writer.payee.kind)
            if kind != writer.payee.kind:
                errors[f"writers[{i}].payee.kind"] = [
                    f"Id {writer.payee.id!r} is used both as {kind} and as {writer.payee.kind}."
                ]
        if errors:
            rejected.append({"index": work.index, "id": work.id, "errors": errors})
    if rejected:
        raise CatalogRejected(400, "No work was saved; ids are used inconsistently.", rejected)


def links_over_one(*, stored: Mapping[str, Decimal], works: Iterable[WorkIn]) -> dict[str, Decimal]:
    """ISRC -> the sum of its links, for the recordings whose links would sum to more than 1:
    `stored` (ISRC -> the sum of its links to works outside this request) plus the links of
    `works` (which replace those works' stored links)."""
    totals: dict[str, Decimal] = defaultdict(Decimal, stored)
    for work in works:
        for isrc, share in work.recordings:
            totals[isrc] += share
    return {isrc: total for isrc, total in totals.items() if total > 1}


# --- writing: under row locks ---------------------------------------------------------


def catalog_works_upsert(*, actor: Actor, items: list[Any]) -> UpsertResult:
    """Create or update works by id with their writers' shares and recording links; all or nothing."""
    if len(items) > MAX_BATCH:
        raise CatalogRejected(400, f"At most {MAX_BATCH} works per request; got {len(items)}.", [])
    works = works_parse(items)
    return twice_on_conflict(lambda: _write(actor, works))


@dataclass
class _Stored:
    """The rows a request names, locked: its works, payees, artists and linked tracks, the
    works already holding its ISWCs, and the links of its tracks to other works."""

    works: dict[str, Work]
    artists: dict[str, Artist]
    payees: dict[str, Payee]
    tracks: dict[str, Track]
    iswc_holders: dict[str, Work]
    other_links: dict[str, Decimal]


def _lock(works: list[WorkIn]) -> _Stored:
    ids = [w.id for w in works]
    people = {writer.payee.id for w in works for writer in w.writers}
    isrcs = {isrc for w in works for isrc, _ in w.recordings}
    iswcs = {w.iswc for w in works if w.iswc is not None}
    # Locking the tracks serializes every request that links the same recording, so the
    # sum of its links is checked against what the others have committed.
    tracks = {t.isrc: t for t in Track.objects.select_for_update().filter(isrc__in=isrcs)}
    other_links: dict[str, Decimal] = defaultdict(Decimal)
    for isrc, share in (
        RecordingLink.objects.filter(track_id__in=isrcs)
        .exclude(work_id__in=ids)
        .values_list("track_id", "share")
    ):
        other_links[isrc] += share
    holders = Work.objects.select_for_update().filter(iswc__in=iswcs).exclude(id__in=ids)
    return _Stored(
        works={w.id: w for w in Work.objects.select_for_update().filter(id__in=ids)},
        artists={a.id: a for a in Artist.objects.select_for_update().filter(id__in=people)},
        payees={p.id: p for p in Payee.objects.select_for_update().filter(id__in=people)},
        tracks=tracks,
        iswc_holders={w.iswc: w for w in holders if w.iswc is not None},
        other_links=dict(other_links),
    )


def _refusals(actor: Actor, work: WorkIn, stored: _Stored, over: dict[str, Decimal]) -> tuple[Errors, Errors]:
    """What refuses this work: (ids of someone else: 403, other problems: 400)."""
    foreign: Errors = {}
    problems: Errors = {}
    if work.id in stored.works and owned_elsewhere(actor, stored.works[work.id].distributor_id):
        foreign["id"] = ["This work id belongs to another distributor."]
    holder = stored.iswc_holders.get(work.iswc) if work.iswc is not None else None
    if holder is not None and owned_elsewhere(actor, holder.distributor_id):
        foreign["iswc"] = ["This ISWC belongs to another distributor's work."]
    elif holder is not None:
        problems["iswc"] = [f"Work {holder.id!r} already has this ISWC; an ISWC names one work."]
    for i, writer in enumerate(work.writers):
        if (refusal := payee_refusal(actor, writer.payee, stored.artists, stored.payees)) is not None:
            kind, where, message = refusal
            (foreign if kind == "foreign" else problems)[f"writers[{i}].{where}"] = [message]
    for i, (isrc, _) in enumerate(work.recordings):
        track = stored.tracks.get(isrc)
        if track is None:
            problems[f"recordings[{i}].isrc"] = [
                "No track with this ISRC in the catalog; post the track (POST /api/v1/catalog/tracks) first."
            ]
        elif owned_elsewhere(actor, track.distributor_id):
            foreign[f"recordings[{i}].isrc"] = ["This ISRC belongs to another distributor's catalog."]
        elif isrc in over:
            elsewhere = stored.other_links.get(isrc, Decimal(0))
            problems[f"recordings[{i}].share"] = [
                f"The links of {isrc} over all works would add up to {over[isrc]} "
                f"({elsewhere} of it on works not in this request); they add up to at most 1."
            ]
    return foreign, problems


def _write(actor: Actor, works: list[WorkIn]) -> UpsertResult:
    stored = _lock(works)
    over = links_over_one(stored=stored.other_links, works=works)
    refused: list[dict[str, Any]] = []  # ids of someone else: 403
    invalid: list[dict[str, Any]] = []  # kinds changed, unknown tracks, links over 1, ISWCs taken: 400
    for work in works:
        foreign, problems = _refusals(actor, work, stored, over)
        if foreign:
            refused.append({"index": work.index, "id": work.id, "errors": foreign})
        elif problems:
            invalid.append({"index": work.index, "id": work.id, "errors": problems})
    if refused:
        raise CatalogRejected(403, "No work was saved; some ids belong to someone else.", refused)
    if invalid:
        raise CatalogRejected(400, "No work was saved; fix the works below.", invalid)

    owner_id = None if actor.is_admin else actor.distributor_id
    writers = [writer.payee for w in works for writer in w.writers]
    artist_names: dict[str, str] = {}
    for payee in writers:
        if payee.kind == Payee.Kind.ARTIST:
            artist_names.setdefault(payee.id, payee.name)
    payees_save(
        artist_names=artist_names,
        others=writers,
        artists=stored.artists,
        payees=stored.payees,
        owner_id=owner_id,
    )
    return _save_works(works, stored.works, owner_id)


def _save_works(works: list[WorkIn], existing: dict[str, Work], owner_id: int | None) -> UpsertResult:
    result = UpsertResult("ids")
    # ISWCs may move between the works of one request: free the ones that change first, so
    # that no statement below finds an ISWC on two rows at once.
    moving = [w.id for w in works if w.id in existing and existing[w.id].iswc not in (None, w.iswc)]
    Work.objects.filter(id__in=moving).update(iswc=None)
    changed: list[Work] = []
    new: list[Work] = []
    for w in works:
        if w.id in existing:
            row = existing[w.id]
            row.iswc, row.title = w.iswc, w.title
            row.updated_at = timezone.now()  # bulk_update does not apply auto_now
            changed.append(row)
            result.updated.append(w.id)
        else:
            new.append(Work(id=w.id, iswc=w.iswc, title=w.title, distributor_id=owner_id))
            result.created.append(w.id)
    Work.objects.bulk_update(changed, ["iswc", "title", "updated_at"])
    Work.objects.bulk_create(new)
    ids = [w.id for w in works]
    WorkShare.objects.filter(work_id__in=ids).delete()
    WorkShare.objects.bulk_create(
        WorkShare(work_id=w.id, payee_id=writer.payee.id, share=writer.share, ipi=writer.ipi)
        for w in works
        for writer in w.writers
    )
    RecordingLink.objects.filter(work_id__in=ids).delete()
    RecordingLink.objects.bulk_create(
        RecordingLink(work_id=w.id, track_id=isrc, share=share) for w in works for isrc, share in w.recordings
    )
    return result
