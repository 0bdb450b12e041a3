"""Hostile input on every endpoint that reads a body or a query string.

Huge strings, deep nesting, NaN/Infinity literals, broken encodings, duplicated keys, wrong
content types, wrong types and out-of-range numbers always get a 4xx JSON answer that says
what is wrong, never a 500, and a refused request stores nothing (docs/rules.md §4: "bad input
never gets a 500").
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from artists.models import ApiClient, Artist, Payee, RecordingLink, Release, Track, Work, WorkShare
from payouts.models import Hold, PayoutRun, ReviewRequest
from payouts.policy import RunPolicy
from streams.models import IngestBatch, Listener, RevenueRecord, StreamEvent
from tests.conftest import ApiFactory
from tests.factories import ArtistFactory, DistributorFactory

pytestmark = pytest.mark.django_db

MB = 1_000_000
HUGE = "a" * MB
DEEP = 10_000
RAW = "\u0000raw\u0000"  # placeholder replaced by raw JSON text in `with_raw`


def dumps(value: Any) -> bytes:
    """The stdlib's encoder: unlike orjson it writes integers beyond 64 bits (2**70)."""
    return json.dumps(value).encode()


def with_raw(valid: dict[str, Any], key: str, raw: bytes) -> bytes:
    """`valid` as JSON with the value of `key` replaced by raw bytes (NaN, bad UTF-8...)."""
    return dumps({**valid, key: RAW}).replace(dumps(RAW), raw)


# --- what each endpoint accepts --------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A POST endpoint, who may call it, a body it accepts, and the kinds of its fields."""

    name: str
    role: str
    path: str
    valid: dict[str, Any]
    fields: dict[str, str] = field(default_factory=dict)  # name -> kind (see ATTACKS)


EVENT = {
    "event_id": "ev-1", "listener": "L1", "isrc": "USRC17607839", "started_at": "2026-10-03T12:00:00Z",
    "duration_ms": 183000, "country": "US", "tier": "premium", "device": "d-77",
}  # fmt: skip
RECORD = {
    "id": "inv-1", "listener": "L1", "month": "2026-10", "source": "subscription", "plan": "premium",
    "country": "US", "gross": "14.99", "tax": "0.00", "fees": "0.00",
}  # fmt: skip
TRACK = {
    "isrc": "USRC17607839", "title": "Song", "duration_ms": 215000,
    "artist": {"id": "art-new", "name": "Artist New"},
    "release": {"upc": "00602537000001", "title": "Album"},
    "splits": [{"payee": {"id": "art-new", "kind": "artist", "name": "Artist New"}, "share": "1"}],
}  # fmt: skip

WORK = {
    "id": "wrk-1", "iswc": "T-034.524.680-1", "title": "Song",
    "writers": [{"payee": {"id": "wri-1", "kind": "writer", "name": "Writer One"}, "share": "1",
                 "ipi": "00000000000"}],
}  # fmt: skip

TARGETS = [
    Target("streams", ApiClient.Role.INGEST, "/api/v1/streams", EVENT, {
        "event_id": "id", "listener": "id", "isrc": "id", "started_at": "time", "duration_ms": "int",
        "country": "id", "tier": "id", "device": "id",
    }),
    Target("revenue", ApiClient.Role.BILLING, "/api/v1/revenue", RECORD, {
        "id": "id", "listener": "id", "month": "month", "source": "id", "plan": "id", "country": "id",
        "gross": "amount", "tax": "amount", "fees": "amount",
    }),
    Target("catalog", ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/tracks", TRACK, {
        "isrc": "id", "title": "text", "duration_ms": "int", "artist": "object", "release": "object",
        "splits": "list",
    }),
    Target("works", ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/works", WORK, {
        "id": "id", "iswc": "id", "title": "text", "writers": "list", "recordings": "list",
    }),
    Target("payout-run", ApiClient.Role.ADMIN, "/api/v1/payout-runs", {"month": "2026-10"},
           {"month": "month"}),
    Target("hold-decision", ApiClient.Role.ADMIN, "/api/v1/payout-runs/{run}/holds/{hold}",
           {"decision": "release"}, {"decision": "id"}),
    Target("review-request", ApiClient.Role.ARTIST, "/api/v1/artists/art-a/review-requests",
           {"month": "2026-10", "message": "Please look at these streams."},
           {"month": "month", "message": "text"}),
    # Finalize takes no fields; a body, if any, must be an empty JSON object.
    Target("finalize", ApiClient.Role.ADMIN, "/api/v1/payout-runs/{computed}/finalize", {}),
]  # fmt: skip

# Values no field of its kind accepts. Integers beyond 64 bits, -0.0 and NaN-like strings
# are the classic parser traps; a 1 MB string must not be echoed back.
COMMON = {
    "huge-string": HUGE,
    "overflow-2**70": 2**70,
    "negative-zero": -0.0,
    "array-of-nulls": [None, None],
    "object": {},
    "true": True,
}
ATTACKS: dict[str, dict[str, Any]] = {
    "id": {**COMMON, "number": 12345, "nul": "a\x00b", "blank": " ", "rtl-override": "a\u202eb"},
    "text": {**COMMON, "number": 12345, "nul": "a\x00b", "blank": "  "},
    "time": {**COMMON, "number": 1_790_000_000, "nul": "2026-10-03T12:00:00Z\x00",
             "year-0": "0000-01-01T00:00:00Z", "far-future": "9999-12-31T23:59:59-01:00",
             "naive": "2026-10-03T12:00:00"},
    "int": {**COMMON, "number-as-string": "183000", "float": 183000.5, "negative": -1, "nan-string": "NaN"},
    "amount": {**COMMON, "number": 14.99, "nan": "NaN", "infinity": "Infinity", "-infinity": "-Infinity",
               "negative-zero-string": "-0.00", "exponent": "1e3", "hex": "0x10", "arabic-digits": "١٤.٩٩",
               "sub-cent": "14.999", "too-large": "1" * 40},
    "month": {**COMMON, "number": 202610, "nan": "NaN", "month-13": "2026-13", "a-day": "2026-10-01",
              "arabic-digits": "٢٠٢٦-١٠", "nul": "2026-10\x00"},
    "object": {**COMMON, "string": "x", "number": 1, "unknown-field": {"id": "a", "name": "b", "x": 1}},
    "list": {**COMMON, "string": "x", "shares-nan": [{"payee": {"id": "p", "kind": "label", "name": "P"},
                                                      "share": "NaN"}],
             "share-negative-zero": [{"payee": {"id": "p", "kind": "label", "name": "P"}, "share": "-0"}]},
}  # fmt: skip


def generic_bodies(valid: dict[str, Any]) -> dict[str, tuple[bytes, str]]:
    """Bodies that are wrong whatever the endpoint: (bytes, content type) by case name."""
    first = next(iter(valid), "x")
    sample = dict(valid) or {"x": 1}
    good = dumps(sample)
    json_type = "application/json"
    return {
        "empty": (b"", json_type),
        "whitespace": (b" \r\n\t ", json_type),
        "null": (b"null", json_type),
        "string": (b'"hello"', json_type),
        "number": (b"42", json_type),
        "huge-number": (str(2**70).encode(), json_type),
        "array-of-nulls": (b"[null, null, null]", json_type),
        "array-of-arrays": (b"[[], [[]]]", json_type),
        "deep-arrays": (b"[" * DEEP + b"]" * DEEP, json_type),
        "deep-objects": (b'{"a":' * DEEP + b"1" + b"}" * DEEP, json_type),
        "deep-in-a-field": (with_raw(sample, first, b"[" * DEEP + b"]" * DEEP), json_type),
        "nested-just-under-the-parser-limit": (with_raw(sample, first, b"[" * 1020 + b"]" * 1020), json_type),
        "nan-literal": (with_raw(sample, first, b"NaN"), json_type),
        "infinity-literal": (with_raw(sample, first, b"Infinity"), json_type),
        "minus-infinity-literal": (with_raw(sample, first, b"-Infinity"), json_type),
        "number-overflowing-a-double": (with_raw(sample, first, b"1e999"), json_type),
        "invalid-utf8": (with_raw(sample, first, b'"\xff\xfe\xfd"'), json_type),
        "overlong-utf8": (with_raw(sample, first, b'"\xc0\xaf"'), json_type),
        "lone-surrogate": (with_raw(sample, first, b'"\\ud800"'), json_type),
        "utf16-with-bom": (good.decode().encode("utf-16"), "application/json; charset=utf-16"),
        "utf16-le-without-bom": (good.decode().encode("utf-16-le"), json_type),
        "utf8-bom": (b"\xef\xbb\xbf" + good, json_type),
        # Last value wins in every JSON parser, so this body would otherwise be accepted as valid.
        "duplicated-key": (b'{"' + first.encode() + b'": "other",' + good[1:], json_type),
        "duplicated-key-nested": (with_raw(sample, first, b'{"a": 1, "a": 2}'), json_type),
        "huge-key": (dumps({**sample, HUGE: 1}), json_type),
        "truncated": (good[:-1], json_type),
        "trailing-garbage": (good + b" x", json_type),
        "two-documents": (good + good, json_type),
        "single-quotes": (str(sample).encode(), json_type),
        "comment": (b"/* note */" + good, json_type),
        "plain-text": (good, "text/plain"),
        "form": (b"month=2026-10&decision=release", "application/x-www-form-urlencoded"),
        "multipart": (b"--xx\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--xx--\r\n",
                      "multipart/form-data; boundary=xx"),
        "xml": (b"<event/>", "application/xml"),
        "no-content-type": (good, ""),
        "json-with-a-bogus-parameter": (good, "application/json; charset=ebcdic"),
    }  # fmt: skip


def field_bodies(target: Target) -> dict[str, tuple[bytes, str]]:
    cases = {}
    for name, kind in target.fields.items():
        for attack, value in ATTACKS[kind].items():
            cases[f"{name}={attack}"] = (dumps({**target.valid, name: value}), "application/json")
    return cases


def cases() -> Iterator[Any]:
    for target in TARGETS:
        bodies = {**generic_bodies(target.valid), **field_bodies(target)}
        if target.name == "finalize":  # no body, or {}, is its valid body; a field is wrong
            del bodies["empty"]
            bodies["a-field"] = (b'{"month": "2026-10"}', "application/json")
        for case, (body, content_type) in bodies.items():
            yield pytest.param(target, body, content_type, id=f"{target.name}:{case}")


# --- the world the requests land in ----------------------------------------------------


@dataclass
class World:
    run: PayoutRun  # in review, with one pending hold
    hold: Hold
    computed: PayoutRun  # computed, not finalized
    clients: dict[str, APIClient]

    def path(self, template: str) -> str:
        return template.format(run=self.run.pk, hold=self.hold.pk, computed=self.computed.pk)


@pytest.fixture
def world(api_as: ApiFactory) -> World:
    """An artist of 'Distro One', a run in review with a pending hold, a computed run, clients."""
    ArtistFactory(id="art-a", distributor=DistributorFactory(name="Distro One"))
    policy = RunPolicy.from_settings().to_data()
    run = PayoutRun.objects.create(month="2026-09-01", status=PayoutRun.Status.REVIEW, policy=policy)
    listener = Listener.objects.create(id="L-held")
    hold = Hold.objects.create(run=run, listener=listener, rules=["streams_per_day"], reason="Too many plays")
    computed = PayoutRun.objects.create(month="2026-08-01", status=PayoutRun.Status.COMPUTED, policy=policy)
    clients: dict[str, APIClient] = {
        ApiClient.Role.INGEST: api_as(ApiClient.Role.INGEST),
        ApiClient.Role.BILLING: api_as(ApiClient.Role.BILLING),
        ApiClient.Role.DISTRIBUTOR: api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro One"),
        ApiClient.Role.ADMIN: api_as(ApiClient.Role.ADMIN),
        ApiClient.Role.ARTIST: api_as(ApiClient.Role.ARTIST, artist="art-a"),
    }
    for client in clients.values():
        client.raise_request_exception = False  # a 500 must show as a 500, not an exception
    return World(run=run, hold=hold, computed=computed, clients=clients)


def stored() -> dict[str, Any]:
    """Everything a request to these endpoints could write."""
    return {
        "events": StreamEvent.objects.count(),
        "batches": IngestBatch.objects.count(),
        "listeners": Listener.objects.count(),
        "revenue": RevenueRecord.objects.count(),
        "tracks": Track.objects.count(),
        "artists": Artist.objects.count(),
        "payees": Payee.objects.count(),
        "releases": Release.objects.count(),
        "works": (Work.objects.count(), WorkShare.objects.count(), RecordingLink.objects.count()),
        "runs": sorted(PayoutRun.objects.values_list("pk", "status")),
        "decided holds": Hold.objects.exclude(decision=None).count(),
        "review requests": ReviewRequest.objects.count(),
    }


def messages(data: Any) -> Iterator[str]:
    """Every non-empty string in an answer (where the messages are)."""
    if isinstance(data, str) and data.strip():
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from messages(value)
    elif isinstance(data, list):
        for value in data:
            yield from messages(value)


def send(client: APIClient, method: str, path: str, body: bytes, content_type: str, **extra: Any) -> Any:
    """A request with exactly these bytes as its body."""
    return client.generic(method, path, body, content_type, **extra)  # type: ignore[arg-type]


def assert_json_4xx(response: Any, what: str) -> None:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]!r}"
    assert response["Content-Type"] == "application/json", f"{what}: {response['Content-Type']}"
    assert any(messages(json.loads(response.content))), f"{what}: no message in {response.content[:300]!r}"
    assert len(response.content) < 64_000, f"{what}: the answer echoes the input ({len(response.content)} B)"


# --- POST bodies -----------------------------------------------------------------------


@pytest.mark.parametrize(("target", "body", "content_type"), list(cases()))
def test_a_hostile_body_is_a_4xx_with_a_message_and_stores_nothing(
    world: World, target: Target, body: bytes, content_type: str
) -> None:
    before = stored()

    response = send(world.clients[target.role], "POST", world.path(target.path), body, content_type)

    assert_json_4xx(response, f"{target.name} {body[:60]!r}")
    assert stored() == before


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_the_valid_body_of_each_case_is_accepted(world: World, target: Target) -> None:
    """The hostile cases above are variations of a body the endpoint does accept."""
    if target.name == "payout-run":
        pytest.skip("starting a run computes it; test_run_api covers it")
    response = world.clients[target.role].post(world.path(target.path), target.valid, format="json")

    assert response.status_code < 300, response.content[:500]


def test_a_duplicated_key_is_named_in_the_answer(world: World) -> None:
    body = b'{"event_id": "a", "event_id": "b", "listener": "L1"}'

    ingest = world.clients[ApiClient.Role.INGEST]

    response = send(ingest, "POST", "/api/v1/streams", body, "application/json")

    assert response.status_code == 400
    assert "'event_id'" in response.json()["detail"]


@pytest.mark.parametrize(
    ("content_type", "status"), [("application/json", 400), ("application/json; charset=UTF-16", 415)]
)
def test_a_body_that_is_not_utf8_is_told_to_be(world: World, content_type: str, status: int) -> None:
    body = json.dumps(EVENT).encode("utf-16")

    response = send(world.clients[ApiClient.Role.INGEST], "POST", "/api/v1/streams", body, content_type)

    assert response.status_code == status
    assert "UTF-8" in response.json()["detail"]


def test_charset_utf8_is_welcome(world: World) -> None:
    body = json.dumps(EVENT).encode()

    response = send(
        world.clients[ApiClient.Role.INGEST],
        "POST",
        "/api/v1/streams",
        body,
        "application/json; charset=UTF-8",
    )

    assert response.status_code == 202


def test_negative_zero_as_a_json_integer_is_zero(world: World) -> None:
    """`-0` is the integer 0 in JSON (RFC 8259 has one integer zero); `-0.0` is a float, refused."""
    ingest = world.clients[ApiClient.Role.INGEST]
    body = dumps({**EVENT, "duration_ms": RAW}).replace(dumps(RAW), b"-0")

    response = send(ingest, "POST", "/api/v1/streams", body, "application/json")

    assert response.status_code == 202
    assert StreamEvent.objects.get().duration_ms == 0


def test_a_batch_with_one_hostile_event_keeps_the_good_ones(world: World) -> None:
    """Streams are per-event (docs/rules.md §4): the bad event is reported, the good one stored."""
    events = [
        EVENT,
        {**EVENT, "event_id": "ev-2", "listener": HUGE},
        {**EVENT, "event_id": "ev-3", "x": [None]},
    ]

    response = world.clients[ApiClient.Role.INGEST].post("/api/v1/streams", events, format="json")

    assert response.status_code == 202
    answer = response.json()
    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejected"]] == [1, 2]
    assert len(response.content) < 2_000


# --- query strings and path parameters ------------------------------------------------

QUERY_VALUES = [
    "%FF", "%C0%AF", "%00", "a%00b", "%ED%A0%80", "NaN", "Infinity", "-Infinity", "-0", "-0.0", "1e999",
    str(2**70), "99999999999999999999999999999999", "-1", "0x10", "+5", "%D9%A3", "%EF%BC%91", " 1", "1%0A",
    "%C2%B2", "1%C2%B2", "9" * 5000,
    "", "[]", "{}", "null", "true", "1.5", "a" * MB,
]  # fmt: skip
PATH_VALUES = [v for v in QUERY_VALUES if v and v != "a" * MB] + ["a" * 10_000, "%2E%2E", "%252F"]

# (role, URL with X where the hostile value goes)
QUERY_URLS = [
    (ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/tracks?limit=X"),
    (ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/tracks?after=X"),
    (ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/tracks?limit=1&limit=X"),
    (ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/works?limit=X"),
    (ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/works?after=X"),
    (ApiClient.Role.ARTIST, "/api/v1/artists/art-a/earnings?month=X"),
    (ApiClient.Role.ARTIST, "/api/v1/artists/art-a/fans?month=X"),
    (ApiClient.Role.ARTIST, "/api/v1/artists/art-a/fans?limit=X"),
    (ApiClient.Role.ADMIN, "/api/v1/payout-runs?X=X"),
    (None, "/api/v1/calculator?model=X"),
    *[(None, f"/api/v1/calculator?model=user_centric&{p}=X")
      for p in ("price", "listener_streams", "artist_streams")],
    *[(None, f"/api/v1/calculator?model=pro_rata&plays=1000&{p}=X") for p in ("plays", "rate")],
    *[(None, f"/api/v1/calculator?model=progressive&{p}=X")
      for p in ("plays", "base", "base_plays", "curve_plays", "floor_ratio", "exponent", "rate", "curve")],
]  # fmt: skip
PATH_URLS = [
    (ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/tracks/X"),
    (ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/works/X"),
    (ApiClient.Role.ARTIST, "/api/v1/artists/X/earnings"),
    (ApiClient.Role.DISTRIBUTOR, "/api/v1/artists/X/fans"),
    (ApiClient.Role.ARTIST, "/api/v1/artists/X/review-requests"),
    (ApiClient.Role.ADMIN, "/api/v1/payout-runs/X"),
    (ApiClient.Role.ADMIN, "/api/v1/payout-runs/{computed}/statements/X.csv"),
    (ApiClient.Role.ADMIN, "/api/v1/payout-runs/X/holds"),
]


def check_get(world: World, role: str | None, url: str, values: list[str]) -> list[str]:
    client = world.clients[role] if role else APIClient()
    client.raise_request_exception = False
    failures = []
    for value in values:
        path, _, query = world.path(url).replace("X", value).partition("?")
        method = "POST" if path.endswith("review-requests") else "GET"
        response = send(client, method, path, b"{}", "application/json", QUERY_STRING=query)
        what = f"{method} {url} X={value[:40]!r}"
        if response.status_code >= 500:
            failures.append(f"{what}: {response.status_code} {response.content[:200]!r}")
        elif response.status_code >= 400:
            try:
                assert_json_4xx(response, what)
            except AssertionError as exc:
                failures.append(str(exc))
    return failures


@pytest.mark.parametrize(("role", "url"), QUERY_URLS, ids=[u for _, u in QUERY_URLS])
def test_hostile_query_parameters_never_get_a_500(world: World, role: str | None, url: str) -> None:
    failures = check_get(world, role, url, QUERY_VALUES)

    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("role", "url"), PATH_URLS, ids=[u for _, u in PATH_URLS])
def test_hostile_path_parameters_never_get_a_500(world: World, role: str | None, url: str) -> None:
    failures = check_get(world, role, url, PATH_VALUES)

    assert not failures, "\n".join(failures)


# Every whole-number query parameter: (role, path, the other parameters, the parameter, a
# value it accepts).
CALCULATOR = "/api/v1/calculator"
USER_CENTRIC = {"model": "user_centric", "price": "14.99", "listener_streams": "10", "artist_streams": "1"}
PROGRESSIVE = {"model": "progressive"}
WHOLE_NUMBER_PARAMETERS = [
    pytest.param(ApiClient.Role.ARTIST, "/api/v1/artists/art-a/fans", {}, "limit", "10", id="fans-limit"),
    pytest.param(ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/tracks", {}, "limit", "10", id="tracks-limit"),
    pytest.param(ApiClient.Role.DISTRIBUTOR, "/api/v1/catalog/works", {}, "limit", "10", id="works-limit"),
    pytest.param(None, CALCULATOR, USER_CENTRIC, "listener_streams", "10", id="calculator-listener_streams"),
    pytest.param(None, CALCULATOR, USER_CENTRIC, "artist_streams", "1", id="calculator-artist_streams"),
    pytest.param(
        None, CALCULATOR, {"model": "pro_rata", "rate": "0.004"}, "plays", "10", id="pro_rata-plays"
    ),
    pytest.param(None, CALCULATOR, PROGRESSIVE, "plays", "10", id="progressive-plays"),
    pytest.param(None, CALCULATOR, PROGRESSIVE, "base_plays", "10", id="progressive-base_plays"),
    pytest.param(None, CALCULATOR, PROGRESSIVE, "curve_plays", "50000000", id="progressive-curve_plays"),
]
NOT_ASCII_DIGITS = {
    "superscript-two": "²",  # str.isdigit() takes it, int() does not
    "digit-then-superscript": "1²",
    "arabic-indic": "١",  # int() reads these as 1 and 10
    "fullwidth": "１０",
    "more-digits-than-int-reads": "9" * 5000,
    "leading-space": " 1",
    "plus-sign": "+1",
}


@pytest.mark.parametrize(("role", "path", "others", "name", "valid"), WHOLE_NUMBER_PARAMETERS)
@pytest.mark.parametrize("value", list(NOT_ASCII_DIGITS.values()), ids=list(NOT_ASCII_DIGITS))
def test_whole_number_parameters_take_ascii_digits_only(
    world: World, role: str | None, path: str, others: dict[str, str], name: str, valid: str, value: str
) -> None:
    client = world.clients[role] if role else APIClient()

    response = client.get(path, {**others, name: value})

    assert response.status_code == 400, response.content[:300]
    assert name in response.json()
    assert_json_4xx(response, f"{path} {name}={value[:10]!r}")


@pytest.mark.parametrize(("role", "path", "others", "name", "valid"), WHOLE_NUMBER_PARAMETERS)
def test_whole_number_parameters_written_in_ascii_digits_are_read(
    world: World, role: str | None, path: str, others: dict[str, str], name: str, valid: str
) -> None:
    client = world.clients[role] if role else APIClient()

    response = client.get(path, {**others, name: valid})

    assert response.status_code == 200, response.content[:300]


def test_a_calculator_answer_never_shows_negative_zero() -> None:
    query = "model=user_centric&price=-0&listener_streams=10&artist_streams=1"

    response = APIClient().get(f"/api/v1/calculator?{query}")

    assert response.status_code in (200, 400)
    assert b'"-0' not in response.content


@pytest.mark.parametrize("path", ["/dashboard/a%00b/", "/dashboard/?artist=%00", "/console/runs/1/?x=%00"])
def test_a_nul_in_a_page_url_is_a_400(client: Any, admin_user: Any, path: str) -> None:
    """PostgreSQL text cannot hold a NUL: refused before any view queries with it."""
    client.force_login(admin_user)
    url, _, query = path.partition("?")

    response = client.get(url, QUERY_STRING=query)

    assert response.status_code == 400
    assert b"NUL" in response.content


def test_a_duplicated_key_deep_in_a_full_batch_is_found(world: World) -> None:
    """The check covers every body, whatever its size: here the 1,000th event of a batch."""
    events = [dumps({**EVENT, "event_id": f"ev-{i}"}) for i in range(999)]
    events.append(b'{"event_id": "ev-last", "tier": "free", ' + dumps(EVENT)[1:])
    body = b"[" + b",".join(events) + b"]"

    response = send(world.clients[ApiClient.Role.INGEST], "POST", "/api/v1/streams", body, "application/json")

    assert response.status_code == 400
    assert "'event_id'" in response.json()["detail"]
    assert not StreamEvent.objects.exists()
