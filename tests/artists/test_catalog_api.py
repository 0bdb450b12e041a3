"""`/api/v1/catalog/tracks`: upsert by ISRC, all-or-nothing, each distributor in its own catalog."""

import copy
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from artists.models import Artist, Distributor, Payee, Release, Split, Track
from tests.factories import ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/catalog/tracks"
SPEC_EXAMPLE: dict[str, Any] = {
    "isrc": "USRC17607839", "title": "Song", "duration_ms": 215000,
    "artist": {"id": "art-1", "name": "Artist One"},
    "release": {"upc": "00602537000001", "title": "Album"},
    "splits": [{"payee": {"id": "art-1", "kind": "artist", "name": "Artist One"}, "share": "0.8"},
               {"payee": {"id": "lbl-1", "kind": "label", "name": "Label"}, "share": "0.2"}],
}  # fmt: skip


def track(**overrides: Any) -> dict[str, Any]:
    """The docs/rules.md §4 example with fields replaced; a None override drops the field."""
    base = copy.deepcopy(SPEC_EXAMPLE)
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def numbered(n: int, artist: str = "art-1", **overrides: Any) -> dict[str, Any]:
    """A minimal track with its own ISRC and no release or splits."""
    base = {
        "isrc": f"QZKPX26{n:05d}",
        "title": f"Song {n}",
        "duration_ms": 200_000,
        "artist": {"id": artist, "name": f"Artist {artist}"},
    }
    base.update(overrides)
    return base


def split(payee_id: str, share: Any, kind: str = "label") -> dict[str, Any]:
    return {"payee": {"id": payee_id, "kind": kind, "name": f"Payee {payee_id}"}, "share": share}


def splits_of(isrc: str) -> dict[str, Decimal]:
    return dict(Split.objects.filter(track_id=isrc).values_list("payee_id", "share"))


def nothing_stored() -> bool:
    return not (
        Track.objects.exists()
        or Artist.objects.exists()
        or Payee.objects.exists()
        or Release.objects.exists()
        or Split.objects.exists()
    )


@pytest.fixture
def a_owns_the_spec_track(distro_a: APIClient) -> None:
    """Distro A has posted the docs/rules.md §4 example: art-1, lbl-1, release 00602537000001."""
    response = distro_a.post(URL, SPEC_EXAMPLE, format="json")
    assert response.status_code == 200


# --- creating and updating -----------------------------------------------------------


def test_the_spec_example_creates_track_artist_release_payees_and_splits(distro_a: APIClient) -> None:
    response = distro_a.post(URL, SPEC_EXAMPLE, format="json")

    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0, "isrcs": ["USRC17607839"]}
    distributor = Distributor.objects.get(name="Distro A")
    stored = Track.objects.get()
    assert (stored.isrc, stored.title, stored.duration_ms) == ("USRC17607839", "Song", 215000)
    assert (stored.artist_id, stored.release_id, stored.distributor) == (
        "art-1",
        "00602537000001",
        distributor,
    )
    artist = Artist.objects.get()
    assert (artist.id, artist.name, artist.distributor) == ("art-1", "Artist One", distributor)
    release = Release.objects.get()
    assert (release.title, release.distributor) == ("Album", distributor)
    payees = {p.id: (p.kind, p.name, p.artist_id, p.distributor) for p in Payee.objects.all()}
    assert payees == {
        "art-1": ("artist", "Artist One", "art-1", distributor),
        "lbl-1": ("label", "Label", None, distributor),
    }
    assert splits_of("USRC17607839") == {"art-1": Decimal("0.8"), "lbl-1": Decimal("0.2")}


def test_a_track_reads_back_in_the_shape_it_was_posted(distro_a: APIClient) -> None:
    distro_a.post(URL, SPEC_EXAMPLE, format="json")

    response = distro_a.get(f"{URL}/USRC17607839")

    assert response.status_code == 200
    assert response.json() == SPEC_EXAMPLE


def test_posting_the_same_isrc_again_updates_it(distro_a: APIClient) -> None:
    distro_a.post(URL, SPEC_EXAMPLE, format="json")
    first_written = Track.objects.get().updated_at

    response = distro_a.post(URL, track(title="Song (Remastered)", duration_ms=216000), format="json")

    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 1, "isrcs": ["USRC17607839"]}
    stored = Track.objects.get()
    assert (stored.title, stored.duration_ms) == ("Song (Remastered)", 216000)
    assert stored.updated_at > first_written


def test_an_update_renames_the_artist_its_payee_and_the_release(distro_a: APIClient) -> None:
    distro_a.post(URL, SPEC_EXAMPLE, format="json")
    first_written = Artist.objects.get().updated_at
    renamed = track(
        artist={"id": "art-1", "name": "Artist 1"},
        release={"upc": "00602537000001", "title": "Album (Deluxe)"},
        splits=None,
    )

    distro_a.post(URL, renamed, format="json")

    artist = Artist.objects.get(id="art-1")
    assert artist.name == "Artist 1"
    assert artist.updated_at > first_written
    assert Payee.objects.get(id="art-1").name == "Artist 1"
    assert Release.objects.get().title == "Album (Deluxe)"


def test_posted_splits_replace_the_previous_ones(distro_a: APIClient) -> None:
    distro_a.post(URL, SPEC_EXAMPLE, format="json")

    distro_a.post(URL, track(splits=[split("art-1", "0.5", "artist"), split("pub-1", "0.5")]), format="json")

    assert splits_of("USRC17607839") == {"art-1": Decimal("0.5"), "pub-1": Decimal("0.5")}
    assert Payee.objects.filter(id="lbl-1").exists()  # payees outlive the splits that named them


@pytest.mark.parametrize("splits", [None, []], ids=["absent", "empty-list"])
def test_a_track_without_splits_stores_none_and_the_artist_is_still_a_payee(
    distro_a: APIClient, splits: list | None
) -> None:
    body = track(splits=None)
    if splits is not None:
        body["splits"] = splits
    response = distro_a.post(URL, body, format="json")

    assert response.status_code == 200
    assert not Split.objects.exists()
    artist_payee = Payee.objects.get()
    assert (artist_payee.id, artist_payee.kind, artist_payee.artist_id) == ("art-1", "artist", "art-1")


def test_an_update_without_splits_clears_them(distro_a: APIClient) -> None:
    distro_a.post(URL, SPEC_EXAMPLE, format="json")

    distro_a.post(URL, track(splits=None), format="json")

    assert splits_of("USRC17607839") == {}


@pytest.mark.parametrize("send_null", [False, True], ids=["absent", "null"])
def test_release_is_optional(distro_a: APIClient, send_null: bool) -> None:
    body = track(release=None, splits=None)
    if send_null:
        body["release"] = None

    response = distro_a.post(URL, body, format="json")

    assert response.status_code == 200
    assert Track.objects.get().release is None
    assert not Release.objects.exists()


def test_an_array_creates_and_updates_in_one_request(distro_a: APIClient) -> None:
    distro_a.post(URL, numbered(1), format="json")

    response = distro_a.post(URL, [numbered(1, title="New title"), numbered(2), numbered(3)], format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"]) == (2, 1)
    assert sorted(body["isrcs"]) == ["QZKPX2600001", "QZKPX2600002", "QZKPX2600003"]
    assert Track.objects.get(isrc="QZKPX2600001").title == "New title"
    assert Artist.objects.count() == 1


def test_a_batch_of_1000_tracks_is_accepted(distro_a: APIClient) -> None:
    response = distro_a.post(URL, [numbered(n, artist=f"art-{n % 10}") for n in range(1000)], format="json")

    assert response.status_code == 200
    assert response.json()["created"] == 1000
    assert Track.objects.count() == 1000
    assert Artist.objects.count() == 10


def test_isrcs_are_normalised(distro_a: APIClient) -> None:
    response = distro_a.post(URL, track(isrc="us-rc1-76-07839"), format="json")

    assert response.json()["isrcs"] == ["USRC17607839"]
    assert Track.objects.get().isrc == "USRC17607839"
    assert distro_a.get(f"{URL}/us-rc1-76-07839").status_code == 200


def test_trailing_zeros_beyond_six_places_are_accepted_when_exact(distro_a: APIClient) -> None:
    body = track(splits=[split("art-1", "0.8000000", "artist"), split("lbl-1", "0.20")])

    response = distro_a.post(URL, body, format="json")

    assert response.status_code == 200, response.json()
    assert splits_of("USRC17607839") == {"art-1": Decimal("0.8"), "lbl-1": Decimal("0.2")}


def test_shares_with_six_decimal_places_that_sum_to_one_are_exact(distro_a: APIClient) -> None:
    thirds = [split("art-1", "0.333334", "artist"), split("lbl-1", "0.333333"), split("pub-1", "0.333333")]

    response = distro_a.post(URL, track(splits=thirds), format="json")

    assert response.status_code == 200
    assert sum(splits_of("USRC17607839").values()) == 1


# --- refused: nothing stored ---------------------------------------------------------

INVALID_TRACKS = [
    pytest.param({"isrc": "USRC1760783"}, "isrc", id="isrc-11-characters"),
    pytest.param({"isrc": "USRC176078390"}, "isrc", id="isrc-13-characters"),
    pytest.param({"isrc": "1SRC17607839"}, "isrc", id="isrc-digit-country"),
    pytest.param({"isrc": "USRC1760783X"}, "isrc", id="isrc-letter-in-code"),
    pytest.param({"isrc": "US RC17607839"}, "isrc", id="isrc-space"),
    pytest.param({"isrc": ""}, "isrc", id="isrc-empty"),
    pytest.param({"isrc": 17607839}, "isrc", id="isrc-number"),
    pytest.param({"isrc": None}, "isrc", id="isrc-missing"),
    pytest.param({"title": None}, "title", id="title-missing"),
    pytest.param({"title": "   "}, "title", id="title-blank"),
    pytest.param({"title": "a\x00b"}, "title", id="title-control-character"),
    pytest.param({"title": "x" * 301}, "title", id="title-too-long"),
    pytest.param({"duration_ms": 0}, "duration_ms", id="duration-zero"),
    pytest.param({"duration_ms": "215000"}, "duration_ms", id="duration-string"),
    pytest.param({"duration_ms": 215000.5}, "duration_ms", id="duration-float"),
    pytest.param({"artist": None}, "artist", id="artist-missing"),
    pytest.param({"artist": "art-1"}, "artist", id="artist-string"),
    pytest.param({"artist": {"name": "Artist One"}}, "artist.id", id="artist-id-missing"),
    pytest.param({"artist": {"id": "art 1", "name": "A"}}, "artist.id", id="artist-id-space"),
    pytest.param({"artist": {"id": "a" * 65, "name": "A"}}, "artist.id", id="artist-id-too-long"),
    pytest.param({"artist": {"id": "art-1", "name": ""}}, "artist.name", id="artist-name-empty"),
    pytest.param({"artist": {"id": "art-1", "name": "A", "email": "x"}}, "artist.email", id="artist-extra"),
    pytest.param({"release": {"upc": "123", "title": "Album"}}, "release.upc", id="upc-short"),
    pytest.param({"release": {"upc": "abcdefghijkl", "title": "Album"}}, "release.upc", id="upc-letters"),
    pytest.param({"release": {"upc": "\u0661" * 12, "title": "Album"}}, "release.upc", id="upc-arabic"),
    pytest.param({"release": {"upc": 602537000001, "title": "Album"}}, "release.upc", id="upc-number"),
    pytest.param({"release": {"upc": "00602537000001"}}, "release.title", id="release-title-missing"),
    pytest.param(
        {"release": {"upc": "00602537000001", "title": "A", "kind": "x"}}, "release.kind", id="rel-kind"
    ),
    pytest.param({"release": "00602537000001"}, "release", id="release-string"),
    pytest.param({"splits": "art-1"}, "splits", id="splits-string"),
    pytest.param({"splits": ["art-1"]}, "splits[0]", id="split-string"),
    pytest.param({"splits": [split("art-1", "1", "manager")]}, "splits[0].payee.kind", id="kind-unknown"),
    pytest.param({"splits": [{"share": "1"}]}, "splits[0].payee", id="payee-missing"),
    pytest.param({"splits": [{**split("lbl-1", "1"), "note": "x"}]}, "splits[0].note", id="split-extra"),
    pytest.param({"genre": "pop"}, "genre", id="unknown-field"),
]


@pytest.mark.parametrize(("overrides", "field"), INVALID_TRACKS)
def test_an_invalid_track_is_a_400_naming_the_field(
    distro_a: APIClient, overrides: dict[str, Any], field: str
) -> None:
    response = distro_a.post(URL, track(**overrides), format="json")

    assert response.status_code == 400
    [rejection] = response.json()["rejected"]
    assert rejection["index"] == 0
    assert field in rejection["errors"], rejection["errors"]
    assert nothing_stored()


@pytest.mark.parametrize(
    ("splits", "field", "message"),
    [
        ([split("art-1", "0.5", "artist"), split("lbl-1", "0.4")], "splits", "exactly 1"),
        ([split("art-1", "0.5", "artist"), split("lbl-1", "0.6")], "splits", "add up to 1.1"),
        (
            [split("art-1", "0.6666667", "artist"), split("lbl-1", "0.3333333")],
            "splits[0].share",
            "6 decimal",
        ),
        ([split("art-1", 0.8, "artist"), split("lbl-1", 0.2)], "splits[0].share", "strings"),
        ([split("art-1", "1.5", "artist")], "splits[0].share", "at most 1"),
        ([split("art-1", "0", "artist"), split("lbl-1", "1")], "splits[0].share", "more than 0"),
        ([split("art-1", "-0.2", "artist"), split("lbl-1", "1.2")], "splits[0].share", "more than 0"),
        ([split("art-1", "4/5", "artist"), split("lbl-1", "0.2")], "splits[0].share", "decimal"),
        ([split("lbl-1", "0.5"), split("lbl-1", "0.5")], "splits", "only once"),
        # Past Decimal's 28 significant digits: each rounds to 0.5, the sum to exactly 1.
        (
            [
                split("art-1", "0.500000000000000000000000000001", "artist"),
                split("lbl-1", "0.499999999999999999999999999999"),
            ],
            "splits[0].share",
            "6 decimal places",
        ),
        ([split("art-1", "1." + "0" * 17_000, "artist")], "splits[0].share", "10 digits after"),
        ([split("art-1", "1" * 16, "artist")], "splits[0].share", "15 digits before"),
    ],
    ids=[
        "sum-0.9",
        "sum-1.1",
        "seven-places",
        "json-floats",
        "over-1",
        "zero",
        "negative",
        "fraction",
        "dup-payee",
        "thirty-places-summing-to-1",
        "17000-trailing-zeros",
        "16-integer-digits",
    ],
)
def test_bad_shares_are_a_400(distro_a: APIClient, splits: list[dict], field: str, message: str) -> None:
    response = distro_a.post(URL, track(splits=splits), format="json")

    assert response.status_code == 400
    errors = response.json()["rejected"][0]["errors"]
    assert field in errors, errors
    assert message in errors[field][0]
    assert nothing_stored()


def test_one_bad_track_in_a_batch_stores_none_of_them(distro_a: APIClient) -> None:
    batch = [numbered(1), numbered(2, duration_ms=-1), numbered(3)]

    response = distro_a.post(URL, batch, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert [(r["index"], r["isrc"]) for r in body["rejected"]] == [(1, "QZKPX2600002")]
    assert nothing_stored()


def test_the_same_isrc_twice_in_a_batch_is_a_400(distro_a: APIClient) -> None:
    response = distro_a.post(
        URL, [numbered(1), numbered(2), numbered(1, isrc="qz-kpx-26-00001")], format="json"
    )

    assert response.status_code == 400
    [rejection] = response.json()["rejected"]
    assert rejection["index"] == 2
    assert "index 0" in rejection["errors"]["isrc"][0]
    assert nothing_stored()


def test_items_that_are_not_objects_are_a_400(distro_a: APIClient) -> None:
    response = distro_a.post(URL, [numbered(1), 7, None], format="json")

    assert response.status_code == 400
    assert [r["index"] for r in response.json()["rejected"]] == [1, 2]
    assert nothing_stored()


def test_more_than_1000_tracks_is_a_400(distro_a: APIClient) -> None:
    response = distro_a.post(URL, [numbered(n) for n in range(1001)], format="json")

    assert response.status_code == 400
    assert "1,000" in response.json()["detail"]
    assert nothing_stored()


def test_an_id_used_as_artist_and_as_label_in_one_batch_is_a_400(distro_a: APIClient) -> None:
    batch = [numbered(1, artist="art-1"), numbered(2, artist="art-2", splits=[split("art-1", "1", "label")])]

    response = distro_a.post(URL, batch, format="json")

    assert response.status_code == 400
    assert response.json()["rejected"][0]["index"] == 1
    assert nothing_stored()


def test_an_existing_artist_id_cannot_become_a_label_payee(distro_a: APIClient) -> None:
    distro_a.post(URL, numbered(1, artist="art-1"), format="json")

    response = distro_a.post(
        URL, numbered(2, artist="art-2", splits=[split("art-1", "1", "label")]), format="json"
    )

    assert response.status_code == 400
    assert "splits[0].payee.kind" in response.json()["rejected"][0]["errors"]
    assert not Track.objects.filter(isrc="QZKPX2600002").exists()
    assert Payee.objects.get(id="art-1").kind == "artist"


def test_an_existing_label_id_cannot_become_an_artist(distro_a: APIClient) -> None:
    distro_a.post(URL, numbered(1, artist="art-1", splits=[split("lbl-1", "1")]), format="json")

    response = distro_a.post(URL, numbered(2, artist="lbl-1"), format="json")

    assert response.status_code == 400
    assert "artist.id" in response.json()["rejected"][0]["errors"]
    assert not Artist.objects.filter(id="lbl-1").exists()
    assert not Track.objects.filter(isrc="QZKPX2600002").exists()


# --- one distributor cannot touch another's catalog ----------------------------------


@pytest.mark.usefixtures("a_owns_the_spec_track")
def test_b_cannot_update_a_track_of_a(distro_b: APIClient) -> None:
    response = distro_b.post(URL, track(title="Hijacked", splits=None, release=None), format="json")

    assert response.status_code == 403
    assert "isrc" in response.json()["rejected"][0]["errors"]
    stored = Track.objects.get()
    assert stored.title == "Song"
    assert stored.distributor is not None
    assert stored.distributor.name == "Distro A"
    assert splits_of("USRC17607839") == {"art-1": Decimal("0.8"), "lbl-1": Decimal("0.2")}


@pytest.mark.usefixtures("a_owns_the_spec_track")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (numbered(1, artist="art-1"), "artist.id"),
        (numbered(1, artist="lbl-1"), "artist.id"),
        (numbered(1, artist="b-1", splits=[split("b-1", "0.5", "artist"), split("lbl-1", "0.5")]),
         "splits[1].payee.id"),
        (numbered(1, artist="b-1", splits=[split("b-1", "0.5", "artist"), split("art-1", "0.5", "artist")]),
         "splits[1].payee.id"),
        (numbered(1, artist="b-1", release={"upc": "00602537000001", "title": "Mine"}), "release.upc"),
    ],
    ids=["a-artist-as-artist", "a-label-as-artist", "a-label-in-splits", "a-artist-in-splits", "a-release"],
)  # fmt: skip
def test_b_cannot_use_ids_that_belong_to_a(distro_b: APIClient, body: dict[str, Any], field: str) -> None:
    response = distro_b.post(URL, [numbered(2, artist="b-2"), body], format="json")

    assert response.status_code == 403
    body = response.json()
    assert [r["index"] for r in body["rejected"]] == [1]
    assert field in body["rejected"][0]["errors"]
    assert list(Track.objects.values_list("isrc", flat=True)) == ["USRC17607839"]
    assert set(Artist.objects.values_list("id", flat=True)) == {"art-1"}
    assert Release.objects.get().title == "Album"
    assert Payee.objects.get(id="lbl-1").name == "Label"


def test_distributors_cannot_use_platform_managed_artists(distro_a: APIClient) -> None:
    ArtistFactory(id="art-platform", distributor=None)

    response = distro_a.post(URL, numbered(1, artist="art-platform"), format="json")

    assert response.status_code == 403
    assert not Track.objects.exists()


@pytest.mark.usefixtures("a_owns_the_spec_track")
def test_b_can_neither_read_nor_list_a_tracks(distro_a: APIClient, distro_b: APIClient) -> None:
    distro_b.post(URL, numbered(1, artist="b-1"), format="json")

    assert distro_b.get(f"{URL}/USRC17607839").status_code == 404
    assert distro_b.get(f"{URL}/USRC17607839").json() == {"detail": "No Track matches the given query."}
    assert [t["isrc"] for t in distro_b.get(URL).json()] == ["QZKPX2600001"]
    assert [t["isrc"] for t in distro_a.get(URL).json()] == ["USRC17607839"]


@pytest.mark.usefixtures("a_owns_the_spec_track")
def test_admins_see_and_change_every_catalog(admin_api: APIClient, distro_b: APIClient) -> None:
    distro_b.post(URL, numbered(1, artist="b-1"), format="json")

    listed = admin_api.get(URL).json()
    detail = admin_api.get(f"{URL}/USRC17607839")
    updated = admin_api.post(URL, track(title="Fixed by support"), format="json")

    assert sorted(t["isrc"] for t in listed) == ["QZKPX2600001", "USRC17607839"]
    assert detail.status_code == 200
    assert updated.status_code == 200
    stored = Track.objects.get(isrc="USRC17607839")
    assert stored.title == "Fixed by support"
    assert stored.distributor is not None
    assert stored.distributor.name == "Distro A"


def test_unknown_and_invalid_isrcs_are_404(distro_a: APIClient) -> None:
    TrackFactory(isrc="QZKPX0000001", distributor=Distributor.objects.get(name="Distro A"))

    assert distro_a.get(f"{URL}/QZKPX0000001").status_code == 200
    assert distro_a.get(f"{URL}/QZKPX0000002").status_code == 404
    assert distro_a.get(f"{URL}/not-an-isrc").status_code == 404


def test_the_track_list_pages_by_isrc_with_a_next_link(distro_a: APIClient) -> None:
    distro_a.post(URL, [numbered(n) for n in range(5)], format="json")

    first = distro_a.get(URL, {"limit": 2})
    rest = distro_a.get(URL, {"after": first.json()[-1]["isrc"], "limit": 10})

    assert [t["isrc"] for t in first.json()] == ["QZKPX2600000", "QZKPX2600001"]
    assert 'rel="next"' in first["Link"] and "after=QZKPX2600001" in first["Link"]
    assert [t["isrc"] for t in rest.json()] == [f"QZKPX26{n:05d}" for n in range(2, 5)]
    assert "Link" not in rest
    assert distro_a.get(URL, {"limit": 0}).status_code == 400
