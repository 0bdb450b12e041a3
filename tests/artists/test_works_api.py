"""`/api/v1/catalog/works`: musical works upserted by id, all-or-nothing, each distributor in
its own catalog; writers' shares sum to exactly 1, a recording's links to at most 1."""

import copy
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from artists.models import Artist, Distributor, Payee, RecordingLink, Track, Work, WorkShare

pytestmark = pytest.mark.django_db

URL = "/api/v1/catalog/works"
TRACKS = "/api/v1/catalog/tracks"
ISRC = "USRC17607839"
SPEC_EXAMPLE: dict[str, Any] = {
    "id": "wrk-1", "iswc": "T-034.524.680-1", "title": "Song",
    "writers": [
        {"payee": {"id": "wri-1", "kind": "writer", "name": "Writer One"}, "share": "0.5",
         "ipi": "00000000000"},
        {"payee": {"id": "pub-1", "kind": "publisher", "name": "Publisher"}, "share": "0.5"},
    ],
    "recordings": [{"isrc": "USRC17607839", "share": "1"}],
}  # fmt: skip


def work(**overrides: Any) -> dict[str, Any]:
    """The docs/rules.md §4b example with fields replaced; a None override drops the field."""
    base = copy.deepcopy(SPEC_EXAMPLE)
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def writer(payee_id: str, share: Any, kind: str = "writer", **more: Any) -> dict[str, Any]:
    return {"payee": {"id": payee_id, "kind": kind, "name": f"Payee {payee_id}"}, "share": share, **more}


def link(isrc: Any, share: Any) -> dict[str, Any]:
    return {"isrc": isrc, "share": share}


def numbered(n: int, *, recordings: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    """A minimal work of its own id, one writer with all of it."""
    body: dict[str, Any] = {"id": f"wrk-{n}", "title": f"Work {n}", "writers": [writer(f"wri-{n}", "1")]}
    if recordings is not None:
        body["recordings"] = recordings
    body.update(overrides)
    return body


def track(isrc: str, artist: str = "art-1") -> dict[str, Any]:
    return {
        "isrc": isrc,
        "title": f"Song {isrc}",
        "duration_ms": 200_000,
        "artist": {"id": artist, "name": artist},
    }


def shares_of(work_id: str) -> dict[str, tuple[Decimal, str | None]]:
    return {s.payee_id: (s.share, s.ipi) for s in WorkShare.objects.filter(work_id=work_id)}


def links_of(work_id: str) -> dict[str, Decimal]:
    return dict(RecordingLink.objects.filter(work_id=work_id).values_list("track_id", "share"))


def no_work_stored() -> bool:
    return not (Work.objects.exists() or WorkShare.objects.exists() or RecordingLink.objects.exists())


def payee_ids() -> set[str]:
    return set(Payee.objects.values_list("id", flat=True))


@pytest.fixture
def a_tracks(distro_a: APIClient) -> list[str]:
    """Distro A's tracks USRC17607839 and QZKPX2600001..3 (artist art-1)."""
    isrcs = [ISRC, "QZKPX2600001", "QZKPX2600002", "QZKPX2600003"]
    assert distro_a.post(TRACKS, [track(i) for i in isrcs], format="json").status_code == 200
    return isrcs


@pytest.fixture
def b_track(distro_b: APIClient) -> str:
    """Distro B's track QZBBB2600001 (artist art-b)."""
    assert distro_b.post(TRACKS, track("QZBBB2600001", "art-b"), format="json").status_code == 200
    return "QZBBB2600001"


@pytest.fixture
def a_owns_the_spec_work(distro_a: APIClient, a_tracks: list[str]) -> None:
    """Distro A has posted the docs/rules.md §4b example: wrk-1, wri-1, pub-1, linked to USRC17607839."""
    response = distro_a.post(URL, SPEC_EXAMPLE, format="json")
    assert response.status_code == 200, response.json()


# --- creating and updating -----------------------------------------------------------


@pytest.mark.usefixtures("a_tracks")
def test_the_spec_example_creates_the_work_its_payees_shares_and_link(distro_a: APIClient) -> None:
    response = distro_a.post(URL, SPEC_EXAMPLE, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 1, "updated": 0, "ids": ["wrk-1"]}
    distributor = Distributor.objects.get(name="Distro A")
    stored = Work.objects.get()
    assert (stored.id, stored.iswc, stored.title, stored.distributor) == (
        "wrk-1",
        "T-034.524.680-1",
        "Song",
        distributor,
    )
    assert {
        p.id: (p.kind, p.name, p.distributor) for p in Payee.objects.filter(id__in=["wri-1", "pub-1"])
    } == {
        "wri-1": ("writer", "Writer One", distributor),
        "pub-1": ("publisher", "Publisher", distributor),
    }
    assert shares_of("wrk-1") == {"wri-1": (Decimal("0.5"), "00000000000"), "pub-1": (Decimal("0.5"), None)}
    assert links_of("wrk-1") == {ISRC: Decimal(1)}


@pytest.mark.usefixtures("a_owns_the_spec_work")
def test_a_work_reads_back_in_the_shape_it_was_posted(distro_a: APIClient) -> None:
    response = distro_a.get(f"{URL}/wrk-1")

    assert response.status_code == 200
    assert response.json() == SPEC_EXAMPLE


@pytest.mark.usefixtures("a_tracks")
def test_a_compact_iswc_is_stored_and_read_in_the_display_form(distro_a: APIClient) -> None:
    distro_a.post(URL, work(iswc="T0345246801"), format="json")

    assert Work.objects.get().iswc == "T-034.524.680-1"
    assert distro_a.get(f"{URL}/wrk-1").json()["iswc"] == "T-034.524.680-1"


@pytest.mark.usefixtures("a_tracks")
@pytest.mark.parametrize("send_null", [False, True], ids=["absent", "null"])
def test_iswc_ipi_and_recordings_are_optional(distro_a: APIClient, send_null: bool) -> None:
    body = work(iswc=None, recordings=None, writers=[writer("wri-1", "1")])
    if send_null:
        body["iswc"] = None
        body["writers"][0]["ipi"] = None

    response = distro_a.post(URL, body, format="json")

    assert response.status_code == 200, response.json()
    assert Work.objects.get().iswc is None
    assert shares_of("wrk-1") == {"wri-1": (Decimal(1), None)}
    assert not RecordingLink.objects.exists()
    assert distro_a.get(f"{URL}/wrk-1").json() == {
        "id": "wrk-1", "iswc": None, "title": "Song", "writers": [writer("wri-1", "1")], "recordings": [],
    }  # fmt: skip


@pytest.mark.usefixtures("a_owns_the_spec_work")
def test_posting_the_same_id_again_replaces_title_writers_and_links(distro_a: APIClient) -> None:
    first_written = Work.objects.get().updated_at
    body = work(
        title="Song (Words)",
        writers=[writer("wri-1", "0.7", ipi="123456789"), writer("wri-2", "0.3")],
        recordings=[link("QZKPX2600001", "0.25")],
    )

    response = distro_a.post(URL, body, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 0, "updated": 1, "ids": ["wrk-1"]}
    stored = Work.objects.get()
    assert stored.title == "Song (Words)"
    assert stored.updated_at > first_written
    assert shares_of("wrk-1") == {"wri-1": (Decimal("0.7"), "123456789"), "wri-2": (Decimal("0.3"), None)}
    assert links_of("wrk-1") == {"QZKPX2600001": Decimal("0.25")}
    assert Payee.objects.filter(id="pub-1").exists()  # payees outlive the shares that named them


@pytest.mark.usefixtures("a_owns_the_spec_work")
def test_an_update_without_recordings_or_iswc_clears_them(distro_a: APIClient) -> None:
    distro_a.post(URL, work(iswc=None, recordings=None), format="json")

    assert Work.objects.get().iswc is None
    assert links_of("wrk-1") == {}


@pytest.mark.usefixtures("a_tracks")
def test_an_array_creates_and_updates_in_one_request(distro_a: APIClient) -> None:
    distro_a.post(URL, numbered(1), format="json")

    response = distro_a.post(URL, [numbered(1, title="Renamed"), numbered(2), numbered(3)], format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"]) == (2, 1)
    assert sorted(body["ids"]) == ["wrk-1", "wrk-2", "wrk-3"]
    assert Work.objects.get(id="wrk-1").title == "Renamed"


def test_a_batch_of_1000_works_is_accepted(distro_a: APIClient) -> None:
    response = distro_a.post(URL, [numbered(n) for n in range(1000)], format="json")

    assert response.status_code == 200
    assert response.json()["created"] == 1000
    assert Work.objects.count() == WorkShare.objects.count() == 1000


@pytest.mark.usefixtures("a_tracks")
def test_an_artist_who_writes_is_paid_as_its_artist_payee(distro_a: APIClient) -> None:
    writers = [writer("art-1", "0.5", "artist"), writer("art-new", "0.25", "artist"), writer("wri-1", "0.25")]

    response = distro_a.post(URL, work(writers=writers), format="json")

    assert response.status_code == 200, response.json()
    assert set(shares_of("wrk-1")) == {"art-1", "art-new", "wri-1"}
    assert Payee.objects.get(id="art-1").kind == "artist"
    new_artist = Artist.objects.get(id="art-new")
    assert new_artist.distributor == Distributor.objects.get(name="Distro A")
    assert Payee.objects.get(id="art-new").artist == new_artist


@pytest.mark.usefixtures("a_tracks")
def test_a_medley_links_one_recording_to_several_works(distro_a: APIClient) -> None:
    batch = [numbered(1, recordings=[link(ISRC, "0.6")]), numbered(2, recordings=[link(ISRC, "0.4")])]

    response = distro_a.post(URL, batch, format="json")

    assert response.status_code == 200, response.json()
    assert dict(RecordingLink.objects.values_list("work_id", "share")) == {
        "wrk-1": Decimal("0.6"),
        "wrk-2": Decimal("0.4"),
    }


@pytest.mark.usefixtures("a_tracks")
def test_links_summing_to_less_than_one_are_kept_the_rest_is_for_suspense(distro_a: APIClient) -> None:
    response = distro_a.post(URL, numbered(1, recordings=[link(ISRC, "0.3")]), format="json")

    assert response.status_code == 200
    assert links_of("wrk-1") == {ISRC: Decimal("0.3")}


@pytest.mark.usefixtures("a_tracks")
def test_an_update_replaces_its_own_links_in_the_sum(distro_a: APIClient) -> None:
    medley = [numbered(1, recordings=[link(ISRC, "0.6")]), numbered(2, recordings=[link(ISRC, "0.4")])]
    distro_a.post(URL, medley, format="json")

    response = distro_a.post(URL, numbered(1, recordings=[link(ISRC, "0.5")]), format="json")

    assert response.status_code == 200, response.json()
    assert sum(RecordingLink.objects.filter(track_id=ISRC).values_list("share", flat=True)) == Decimal("0.9")


@pytest.mark.usefixtures("a_tracks")
def test_hyphenated_isrcs_are_normalised(distro_a: APIClient) -> None:
    response = distro_a.post(URL, work(recordings=[link("us-rc1-76-07839", "1")]), format="json")

    assert response.status_code == 200
    assert links_of("wrk-1") == {ISRC: Decimal(1)}


@pytest.mark.usefixtures("a_owns_the_spec_work")
def test_two_works_may_swap_their_iswcs_in_one_request(distro_a: APIClient) -> None:
    distro_a.post(URL, numbered(2, iswc="T-000.000.001-0"), format="json")

    swap = [work(iswc="T-000.000.001-0"), numbered(2, iswc="T-034.524.680-1")]
    response = distro_a.post(URL, swap, format="json")

    assert response.status_code == 200, response.json()
    assert dict(Work.objects.values_list("id", "iswc")) == {
        "wrk-1": "T-000.000.001-0",
        "wrk-2": "T-034.524.680-1",
    }


# --- refused: nothing stored ---------------------------------------------------------

INVALID_WORKS = [
    pytest.param({"id": None}, "id", id="id-missing"),
    pytest.param({"id": "wrk 1"}, "id", id="id-space"),
    pytest.param({"id": 1}, "id", id="id-number"),
    pytest.param({"id": "w" * 65}, "id", id="id-too-long"),
    pytest.param({"title": None}, "title", id="title-missing"),
    pytest.param({"title": " "}, "title", id="title-blank"),
    pytest.param({"title": "a\x00b"}, "title", id="title-control-character"),
    pytest.param({"iswc": "T-034.524.680-2"}, "iswc", id="iswc-check-digit"),
    pytest.param({"iswc": "T0345246802"}, "iswc", id="iswc-compact-check-digit"),
    pytest.param({"iswc": "t-034.524.680-1"}, "iswc", id="iswc-lower-case"),
    pytest.param({"iswc": "T-034524680-1"}, "iswc", id="iswc-half-grouped"),
    pytest.param({"iswc": "T-034.524.68-1"}, "iswc", id="iswc-eight-digits"),
    pytest.param({"iswc": "T-034.524.680-1 "}, "iswc", id="iswc-trailing-space"),
    pytest.param({"iswc": "T-034.524.680-1\n"}, "iswc", id="iswc-trailing-newline"),
    pytest.param({"iswc": "T-\u0660\u0663\u0664.524.680-1"}, "iswc", id="iswc-arabic-indic-digits"),
    pytest.param({"iswc": "T-\uff10\uff13\uff14.524.680-1"}, "iswc", id="iswc-fullwidth-digits"),
    pytest.param({"iswc": 3452468011}, "iswc", id="iswc-number"),
    pytest.param({"writers": None}, "writers", id="writers-missing"),
    pytest.param({"writers": []}, "writers", id="writers-empty"),
    pytest.param({"writers": "wri-1"}, "writers", id="writers-string"),
    pytest.param({"writers": [writer("wri-1", "1")] * 51}, "writers", id="writers-51"),
    pytest.param({"writers": ["wri-1"]}, "writers[0]", id="writer-string"),
    pytest.param({"writers": [{"share": "1"}]}, "writers[0].payee", id="writer-payee-missing"),
    pytest.param({"writers": [writer("wri-1", "1", "composer")]}, "writers[0].payee.kind", id="kind-unknown"),
    pytest.param({"writers": [writer("wri 1", "1")]}, "writers[0].payee.id", id="payee-id-space"),
    pytest.param({"writers": [{**writer("wri-1", "1"), "role": "CA"}]}, "writers[0].role", id="writer-extra"),
    pytest.param(
        {"writers": [{"payee": {"id": "w", "kind": "writer", "name": "W", "pro": "ASCAP"}, "share": "1"}]},
        "writers[0].payee.pro",
        id="payee-extra",
    ),
    pytest.param({"writers": [writer("wri-1", "1", ipi="12345678")]}, "writers[0].ipi", id="ipi-8-digits"),
    pytest.param(
        {"writers": [writer("wri-1", "1", ipi="123456789012")]}, "writers[0].ipi", id="ipi-12-digits"
    ),
    pytest.param({"writers": [writer("wri-1", "1", ipi=123456789)]}, "writers[0].ipi", id="ipi-number"),
    pytest.param({"writers": [writer("wri-1", "1", ipi="12345678X")]}, "writers[0].ipi", id="ipi-letter"),
    pytest.param(
        {"writers": [writer("wri-1", "1", ipi="\u0661" * 9)]}, "writers[0].ipi", id="ipi-arabic-digits"
    ),
    pytest.param({"writers": [writer("wri-1", "1", ipi="\uff11" * 9)]}, "writers[0].ipi", id="ipi-fullwidth"),
    pytest.param({"writers": [writer("wri-1", "1", ipi="")]}, "writers[0].ipi", id="ipi-empty"),
    pytest.param({"recordings": "USRC17607839"}, "recordings", id="recordings-string"),
    pytest.param({"recordings": [ISRC]}, "recordings[0]", id="recording-string"),
    pytest.param({"recordings": [link("USRC1760783", "1")]}, "recordings[0].isrc", id="isrc-11-characters"),
    pytest.param({"recordings": [link(None, "1")]}, "recordings[0].isrc", id="isrc-missing"),
    pytest.param({"recordings": [link(ISRC, "1.5")]}, "recordings[0].share", id="link-over-1"),
    pytest.param({"recordings": [link(ISRC, "0")]}, "recordings[0].share", id="link-zero"),
    pytest.param({"recordings": [link(ISRC, 0.5)]}, "recordings[0].share", id="link-float"),
    pytest.param({"recordings": [link(ISRC, "0.1234567")]}, "recordings[0].share", id="link-seven-places"),
    pytest.param({"recordings": [link(ISRC, None)]}, "recordings[0].share", id="link-share-missing"),
    pytest.param({"recordings": [{**link(ISRC, "1"), "role": "x"}]}, "recordings[0].role", id="link-extra"),
    pytest.param(
        {"recordings": [link(ISRC, "0.5"), link("us-rc1-76-07839", "0.5")]},
        "recordings[1].isrc",
        id="isrc-twice",
    ),
    pytest.param({"genre": "pop"}, "genre", id="unknown-field"),
]


@pytest.mark.usefixtures("a_tracks")
@pytest.mark.parametrize(("overrides", "field"), INVALID_WORKS)
def test_an_invalid_work_is_a_400_naming_the_field(
    distro_a: APIClient, overrides: dict[str, Any], field: str
) -> None:
    payees_before = payee_ids()

    response = distro_a.post(URL, work(**overrides), format="json")

    assert response.status_code == 400
    [rejection] = response.json()["rejected"]
    assert rejection["index"] == 0
    assert field in rejection["errors"], rejection["errors"]
    assert no_work_stored()
    assert payee_ids() == payees_before


@pytest.mark.usefixtures("a_tracks")
@pytest.mark.parametrize(
    ("writers", "field", "message"),
    [
        ([writer("wri-1", "0.5"), writer("pub-1", "0.4", "publisher")], "writers", "add up to 0.9"),
        ([writer("wri-1", "0.5"), writer("pub-1", "0.6", "publisher")], "writers", "add up to 1.1"),
        ([writer("wri-1", "0.6666667"), writer("pub-1", "0.3333333")], "writers[0].share", "6 decimal"),
        ([writer("wri-1", 0.5), writer("pub-1", 0.5)], "writers[0].share", "strings"),
        ([writer("wri-1", "1.5")], "writers[0].share", "at most 1"),
        ([writer("wri-1", "0"), writer("pub-1", "1")], "writers[0].share", "more than 0"),
        ([writer("wri-1", "-0.5"), writer("pub-1", "1.5")], "writers[0].share", "more than 0"),
        ([writer("wri-1", "1/2"), writer("pub-1", "0.5")], "writers[0].share", "decimal"),
        ([writer("wri-1", "0.5"), writer("wri-1", "0.5")], "writers[1].payee.id", "once per work"),
        ([writer("wri-1", "0.5" + "0" * 28 + "1"), writer("pub-1", "0.4" + "9" * 29)], "writers[0].share",
         "6 decimal places"),
    ],
    ids=["sum-0.9", "sum-1.1", "seven-places", "json-floats", "over-1", "zero", "negative", "fraction",
         "payee-twice", "thirty-places-summing-to-1"],
)  # fmt: skip
def test_writers_shares_must_sum_to_exactly_one(
    distro_a: APIClient, writers: list[dict[str, Any]], field: str, message: str
) -> None:
    response = distro_a.post(URL, work(writers=writers), format="json")

    assert response.status_code == 400
    errors = response.json()["rejected"][0]["errors"]
    assert field in errors, errors
    assert message in errors[field][0]
    assert no_work_stored()


def test_a_shares_total_is_checked_with_six_places_exactly(distro_a: APIClient) -> None:
    thirds = [writer("wri-1", "0.333334"), writer("wri-2", "0.333333"), writer("wri-3", "0.333333")]

    response = distro_a.post(URL, work(writers=thirds, recordings=None), format="json")

    assert response.status_code == 200, response.json()
    assert sum(share for share, _ in shares_of("wrk-1").values()) == 1


@pytest.mark.usefixtures("a_tracks")
def test_an_unknown_isrc_is_a_400_naming_it(distro_a: APIClient) -> None:
    body = work(recordings=[link(ISRC, "0.5"), link("QZNON2600001", "1")])

    response = distro_a.post(URL, body, format="json")

    assert response.status_code == 400
    errors = response.json()["rejected"][0]["errors"]
    assert list(errors) == ["recordings[1].isrc"]
    assert "No track" in errors["recordings[1].isrc"][0]
    assert no_work_stored()
    assert not Payee.objects.filter(id__in=["wri-1", "pub-1"]).exists()


@pytest.mark.usefixtures("a_tracks")
def test_links_over_one_across_works_are_a_400_naming_the_share(distro_a: APIClient) -> None:
    distro_a.post(URL, numbered(1, recordings=[link(ISRC, "0.6")]), format="json")

    response = distro_a.post(URL, numbered(2, recordings=[link("QZKPX2600001", "1"), link(ISRC, "0.5")]),
                             format="json")  # fmt: skip

    assert response.status_code == 400
    errors = response.json()["rejected"][0]["errors"]
    assert list(errors) == ["recordings[1].share"]
    assert "1.1" in errors["recordings[1].share"][0]
    assert list(Work.objects.values_list("id", flat=True)) == ["wrk-1"]
    assert not RecordingLink.objects.filter(track_id="QZKPX2600001").exists()


@pytest.mark.usefixtures("a_tracks")
def test_links_over_one_within_one_request_name_every_work_concerned(distro_a: APIClient) -> None:
    batch = [
        numbered(1, recordings=[link(ISRC, "0.6")]),
        numbered(2),
        numbered(3, recordings=[link(ISRC, "0.6")]),
    ]

    response = distro_a.post(URL, batch, format="json")

    assert response.status_code == 400
    rejected = response.json()["rejected"]
    assert [(r["index"], list(r["errors"])) for r in rejected] == [
        (0, ["recordings[0].share"]),
        (2, ["recordings[0].share"]),
    ]
    assert no_work_stored()


@pytest.mark.usefixtures("a_tracks")
def test_one_bad_work_in_a_batch_stores_none_of_them(distro_a: APIClient) -> None:
    batch = [numbered(1, recordings=[link(ISRC, "1")]), numbered(2, title=""), numbered(3)]

    response = distro_a.post(URL, batch, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert [(r["index"], r["id"]) for r in body["rejected"]] == [(1, "wrk-2")]
    assert no_work_stored()


@pytest.mark.usefixtures("a_tracks")
@pytest.mark.parametrize(
    ("batch", "index", "field"),
    [
        ([numbered(1), numbered(2), numbered(1, title="Again")], 2, "id"),
        ([numbered(1, iswc="T-034.524.680-1"), numbered(2, iswc="T0345246801")], 1, "iswc"),
        ([numbered(1, writers=[writer("p-1", "1", "writer")]),
          numbered(2, writers=[writer("p-1", "1", "publisher")])], 1, "writers[0].payee.kind"),
    ],
    ids=["same-id", "same-iswc", "payee-two-kinds"],
)  # fmt: skip
def test_duplicates_inside_one_request_are_a_400(
    distro_a: APIClient, batch: list[dict[str, Any]], index: int, field: str
) -> None:
    response = distro_a.post(URL, batch, format="json")

    assert response.status_code == 400
    [rejection] = response.json()["rejected"]
    assert rejection["index"] == index
    assert field in rejection["errors"], rejection["errors"]
    assert no_work_stored()


@pytest.mark.usefixtures("a_owns_the_spec_work")
def test_an_iswc_of_another_own_work_is_a_400(distro_a: APIClient) -> None:
    response = distro_a.post(URL, numbered(2, iswc="T0345246801"), format="json")

    assert response.status_code == 400
    errors = response.json()["rejected"][0]["errors"]
    assert "'wrk-1'" in errors["iswc"][0]
    assert not Work.objects.filter(id="wrk-2").exists()


@pytest.mark.usefixtures("a_owns_the_spec_work")
@pytest.mark.parametrize(
    ("payee", "field"),
    [
        (writer("wri-1", "1", "publisher"), "writers[0].payee.kind"),
        (writer("wri-1", "1", "artist"), "writers[0].payee.kind"),
        (writer("art-1", "1", "writer"), "writers[0].payee.kind"),
    ],
    ids=["writer-as-publisher", "writer-as-artist", "artist-as-writer"],
)
def test_a_payees_kind_never_changes(distro_a: APIClient, payee: dict[str, Any], field: str) -> None:
    response = distro_a.post(URL, numbered(2, writers=[payee]), format="json")

    assert response.status_code == 400
    assert field in response.json()["rejected"][0]["errors"]
    assert not Work.objects.filter(id="wrk-2").exists()
    assert Payee.objects.get(id="wri-1").kind == "writer"
    assert Payee.objects.get(id="art-1").kind == "artist"


def test_more_than_1000_works_is_a_400(distro_a: APIClient) -> None:
    response = distro_a.post(URL, [numbered(n) for n in range(1001)], format="json")

    assert response.status_code == 400
    assert "1,000" in response.json()["detail"]
    assert no_work_stored()


@pytest.mark.parametrize("body", [[], "wrk-1", 7], ids=["empty-array", "string", "number"])
def test_a_body_that_is_no_work_is_a_400(distro_a: APIClient, body: Any) -> None:
    response = distro_a.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert no_work_stored()


def test_items_that_are_not_objects_are_a_400(distro_a: APIClient) -> None:
    response = distro_a.post(URL, [numbered(1), 7, None], format="json")

    assert response.status_code == 400
    assert [r["index"] for r in response.json()["rejected"]] == [1, 2]
    assert no_work_stored()


# --- one distributor cannot touch another's catalog ----------------------------------


@pytest.mark.usefixtures("a_owns_the_spec_work", "b_track")
def test_b_cannot_update_a_work_of_a(distro_b: APIClient) -> None:
    response = distro_b.post(URL, work(title="Hijacked", writers=[writer("b-wri", "1")], recordings=None),
                             format="json")  # fmt: skip

    assert response.status_code == 403
    assert list(response.json()["rejected"][0]["errors"]) == ["id"]
    stored = Work.objects.get()
    assert stored.title == "Song"
    assert stored.distributor == Distributor.objects.get(name="Distro A")
    assert set(shares_of("wrk-1")) == {"wri-1", "pub-1"}
    assert not Payee.objects.filter(id="b-wri").exists()


@pytest.mark.usefixtures("a_owns_the_spec_work")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (numbered(9, writers=[writer("b-wri", "0.5"), writer("wri-1", "0.5")]), "writers[1].payee.id"),
        (numbered(9, writers=[writer("art-1", "1", "artist")]), "writers[0].payee.id"),
        (numbered(9, recordings=[link("QZBBB2600001", "1"), link(ISRC, "0.5")]), "recordings[1].isrc"),
        (numbered(9, iswc="T-034.524.680-1"), "iswc"),
    ],
    ids=["a-writer", "a-artist-as-writer", "a-isrc", "a-iswc"],
)
def test_b_cannot_use_ids_that_belong_to_a(
    distro_b: APIClient, b_track: str, body: dict[str, Any], field: str
) -> None:
    response = distro_b.post(URL, [numbered(8, recordings=[link(b_track, "1")]), body], format="json")

    assert response.status_code == 403
    rejected = response.json()["rejected"]
    assert [r["index"] for r in rejected] == [1]
    assert list(rejected[0]["errors"]) == [field]
    assert list(Work.objects.values_list("id", flat=True)) == ["wrk-1"]
    assert links_of("wrk-1") == {ISRC: Decimal(1)}
    assert not RecordingLink.objects.filter(track_id=b_track).exists()
    assert not Payee.objects.filter(id__in=["b-wri", "wri-8", "wri-9"]).exists()


@pytest.mark.usefixtures("a_tracks")
def test_a_cannot_link_an_isrc_of_b_even_alone(distro_a: APIClient, b_track: str) -> None:
    response = distro_a.post(URL, work(recordings=[link(b_track, "1")]), format="json")

    assert response.status_code == 403
    assert list(response.json()["rejected"][0]["errors"]) == ["recordings[0].isrc"]
    assert no_work_stored()


@pytest.mark.usefixtures("a_owns_the_spec_work")
def test_b_can_neither_read_nor_list_a_works(distro_a: APIClient, distro_b: APIClient) -> None:
    assert distro_b.post(URL, numbered(7), format="json").status_code == 200

    assert distro_b.get(f"{URL}/wrk-1").status_code == 404
    assert distro_b.get(f"{URL}/wrk-1").json() == {"detail": "No Work matches the given query."}
    assert [w["id"] for w in distro_b.get(URL).json()] == ["wrk-7"]
    assert [w["id"] for w in distro_a.get(URL).json()] == ["wrk-1"]


@pytest.mark.usefixtures("a_owns_the_spec_work")
def test_admins_see_every_work_and_link_any_track(
    admin_api: APIClient, distro_b: APIClient, b_track: str
) -> None:
    distro_b.post(URL, numbered(7, recordings=[link(b_track, "1")]), format="json")

    listed = admin_api.get(URL).json()
    both = [link(ISRC, "0.5"), link(b_track, "0.5")]
    updated = admin_api.post(URL, work(title="Fixed by support", recordings=both), format="json")

    assert sorted(w["id"] for w in listed) == ["wrk-1", "wrk-7"]
    assert admin_api.get(f"{URL}/wrk-7").status_code == 200
    assert updated.status_code == 400  # b_track's links would add up to 1.5
    assert "recordings[1].share" in updated.json()["rejected"][0]["errors"]
    fixed = admin_api.post(URL, work(title="Fixed by support", recordings=[link(ISRC, "0.5")]), format="json")
    assert fixed.status_code == 200
    stored = Work.objects.get(id="wrk-1")
    assert stored.title == "Fixed by support"
    assert stored.distributor == Distributor.objects.get(name="Distro A")


def test_admin_works_are_platform_managed_and_closed_to_distributors(
    admin_api: APIClient, distro_a: APIClient
) -> None:
    Track.objects.create(
        isrc=ISRC, title="Song", duration_ms=1, artist=Artist.objects.create(id="art-p", name="P")
    )
    assert admin_api.post(URL, SPEC_EXAMPLE, format="json").status_code == 200

    response = distro_a.post(URL, numbered(5, writers=[writer("wri-1", "1")]), format="json")

    assert Work.objects.get().distributor is None
    assert response.status_code == 403
    assert list(response.json()["rejected"][0]["errors"]) == ["writers[0].payee.id"]


# --- reading -------------------------------------------------------------------------


def test_the_work_list_pages_by_id_with_a_next_link(distro_a: APIClient) -> None:
    distro_a.post(URL, [numbered(n) for n in range(5)], format="json")

    first = distro_a.get(URL, {"limit": 2})
    rest = distro_a.get(URL, {"after": first.json()[-1]["id"], "limit": 10})

    assert [w["id"] for w in first.json()] == ["wrk-0", "wrk-1"]
    assert 'rel="next"' in first["Link"] and "after=wrk-1" in first["Link"]
    assert [w["id"] for w in rest.json()] == ["wrk-2", "wrk-3", "wrk-4"]
    assert "Link" not in rest
    assert distro_a.get(URL, {"limit": 0}).status_code == 400


def test_a_work_id_with_a_slash_can_be_read(distro_a: APIClient) -> None:
    distro_a.post(URL, numbered(1, id="wrk/1"), format="json")

    assert distro_a.get(f"{URL}/wrk/1").json()["id"] == "wrk/1"
    assert distro_a.get(f"{URL}/wrk/2").status_code == 404
    assert distro_a.get(f"{URL}/ wrk").status_code == 404
