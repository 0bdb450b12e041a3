"""Fans as artists see them: a fan_id that is stable, per artist and opaque; the top fans and
the artist's conversations never show a listener id."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from kalipxo.validation import ID_RE
from streams.fans import fan_id, fan_listener
from streams.live import dispatch, updates
from tests.messaging.conftest import ISRC_O, World, fan, played

IDS = st.from_regex(ID_RE, fullmatch=True).filter(lambda s: len(s) <= 64)


@settings(max_examples=200, deadline=None)
@given(listener=IDS, artist=IDS, other=IDS)
def test_a_fan_id_round_trips_for_its_artist_only(listener: str, artist: str, other: str) -> None:
    handle = fan_id(artist_id=artist, listener_id=listener)

    assert fan_listener(artist_id=artist, handle=handle) == listener
    assert handle == fan_id(artist_id=artist, listener_id=listener)  # stable
    assert listener not in handle or len(listener) < 6  # not in clear (a short one may occur by chance)
    if other != artist:
        assert fan_listener(artist_id=other, handle=handle) is None
        assert fan_id(artist_id=other, listener_id=listener) != handle


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0), flip=st.sampled_from("AQgw-_"))
def test_an_altered_fan_id_names_no_one(position: int, flip: str) -> None:
    handle = fan_id(artist_id="art-m", listener_id="L1")
    i = position % len(handle)
    altered = handle[:i] + (flip if handle[i] != flip else "B") + handle[i + 1 :]

    assert fan_listener(artist_id="art-m", handle=altered) in (None, "L1")
    if altered[:-1] != handle[:-1]:  # the last character may carry unused bits only
        assert fan_listener(artist_id="art-m", handle=altered) is None


def test_a_fan_id_depends_on_the_secret_key() -> None:
    handle = fan_id(artist_id="art-m", listener_id="L1")
    with override_settings(SECRET_KEY="another-secret-key"):
        assert fan_id(artist_id="art-m", listener_id="L1") != handle
        assert fan_listener(artist_id="art-m", handle=handle) is None
    for junk in (None, 5, "", "=" * 30, "A" * 500, "é" * 30, "AAAAAAAAAAAAAAAAAAAAAAAA"):
        assert fan_listener(artist_id="art-m", handle=junk) is None


LISTENERS = ("LISTENER-ONE", "LISTENER-TWO", "LISTENER-THREE")


def _fans_and_messages(world: World) -> list[str]:
    """Three fans of Mira (one also of Otto) in conversation with her; their fan_ids."""
    handles = [fan(listener, name="Shown Fan" if n == 0 else "Hidden Fan", shown=n == 0)
               for n, listener in enumerate(LISTENERS)]  # fmt: skip
    played("LISTENER-ONE", ISRC_O, count=2)
    for handle in handles:
        assert world.send(handle, "Thanks!").status_code == 201
    assert world.reply("LISTENER-TWO", "You're welcome").status_code == 201
    return handles


PLAYED = (datetime.now(UTC) - timedelta(days=1)).date().replace(day=1)  # conftest.played: yesterday


@pytest.mark.django_db
def test_no_answer_an_artist_reaches_holds_a_listener_id(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "live_enabled", lambda: False)  # estimates from the database
    handles = _fans_and_messages(world)
    month = f"{PLAYED:%Y-%m}"

    fans = world.artist.get("/api/v1/artists/art-m/fans", {"month": month})
    listing = world.artist.get("/api/v1/artists/art-m/messages")
    one = world.artist.get(f"/api/v1/artists/art-m/messages/{handles[1]}")
    read = world.artist.post(f"/api/v1/artists/art-m/messages/{handles[1]}/read")
    otto = world.other_artist.get("/api/v1/artists/art-o/fans", {"month": month})

    for answer in (fans, listing, one, read, otto):
        assert answer.status_code == 200, answer.content
        assert not any(listener in answer.content.decode() for listener in LISTENERS), answer.content
    assert {f["fan_id"] for f in fans.json()} == set(handles)
    assert "Shown Fan" in {f["fan"] for f in fans.json()} and "Hidden Fan" not in fans.content.decode()
    otto_ids = {f["fan_id"] for f in otto.json()}
    assert len(otto_ids) == 1 and not otto_ids & set(handles)  # Otto's handle for LISTENER-ONE differs


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_live_top_fans_carry_fan_ids_too(world: World, live_redis: None) -> None:
    handles = _fans_and_messages(world)
    updates.rebuild_month(PLAYED)

    fans = world.artist.get("/api/v1/artists/art-m/fans", {"month": f"{PLAYED:%Y-%m}"}).json()

    assert {f["fan_id"] for f in fans} == set(handles) and len(fans) == 3
    assert not any(listener in str(fans) for listener in LISTENERS)


@pytest.mark.django_db
def test_the_artist_reads_its_conversations(world: World) -> None:
    handles = _fans_and_messages(world)

    listing = world.artist.get("/api/v1/artists/art-m/messages").json()
    assert [c["fan_id"] for c in listing] == [handles[1], handles[2], handles[0]]  # the latest first
    assert [(c["messages"], c["unread"]) for c in listing] == [(2, 1), (1, 0), (1, 0)]
    assert listing[2]["fan"] == "Shown Fan" and listing[0]["fan"].startswith("Fan ")
    assert len(world.artist.get("/api/v1/artists/art-m/messages", {"limit": "1"}).json()) == 1
    assert world.artist.get("/api/v1/artists/art-m/messages", {"limit": "0"}).status_code == 400

    one = world.artist.get(f"/api/v1/artists/art-m/messages/{handles[1]}").json()
    assert [(m["from"], m["body"], m["read"]) for m in one["messages"]] == [
        ("artist", "Thanks!", False), ("listener", "You're welcome", False)
    ]  # fmt: skip
    read = world.artist.post(f"/api/v1/artists/art-m/messages/{handles[1]}/read").json()
    assert read["marked_read"] == 1 and read["fan_id"] == handles[1]
    assert world.artist.get("/api/v1/artists/art-m/messages").json()[0]["unread"] == 0
    # The listener sees that its reply was read.
    inbox = world.platform.get("/api/v1/listeners/LISTENER-TWO/messages").json()
    assert [m["read"] for m in inbox] == [False, True]


@pytest.mark.django_db
def test_another_artists_or_a_made_up_fan_id_is_no_conversation(world: World) -> None:
    handles = _fans_and_messages(world)
    otto_handle = fan_id(artist_id="art-o", listener_id="LISTENER-ONE")
    no_talk = fan("QUIET")

    for handle in (otto_handle, handles[0][:-3] + "xyz", "nothing", no_talk):
        assert world.artist.get(f"/api/v1/artists/art-m/messages/{handle}").status_code == 404, handle
    for handle in (otto_handle, "nothing"):
        assert world.artist.post(f"/api/v1/artists/art-m/messages/{handle}/read").status_code == 404
    assert world.other_artist.get(f"/api/v1/artists/art-m/messages/{handles[0]}").status_code == 404
    assert world.platform.get(f"/api/v1/artists/art-m/messages/{handles[0]}").status_code == 403
