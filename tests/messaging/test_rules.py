"""The pure rules: the normalised text the duplicate rule compares, the body check, and the
limits' refusals with their Retry-After."""

import string
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging import rules
from messaging.rules import Refused, body_check, normalised

WORDS = st.lists(
    st.text(alphabet=string.ascii_letters + "!?,'", min_size=1, max_size=12), min_size=1, max_size=12
)
SPACES = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", min_size=1, max_size=4)
NOW = datetime(2026, 10, 3, 12, tzinfo=UTC)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_normalising_twice_changes_nothing(text: str) -> None:
    assert normalised(normalised(text)) == normalised(text)


@settings(max_examples=300, deadline=None)
@given(words=WORDS, gaps=st.lists(SPACES, min_size=13, max_size=13), lead=SPACES, trail=SPACES)
def test_case_and_spacing_do_not_matter(words: list[str], gaps: list[str], lead: str, trail: str) -> None:
    plain = " ".join(words)
    spaced = lead + "".join(word + gap for word, gap in zip(words, gaps, strict=False)) + trail

    assert (
        normalised(spaced) == normalised(plain) == normalised(plain.upper()) == normalised(plain.swapcase())
    )
    assert "  " not in normalised(spaced) and normalised(spaced) == normalised(spaced).strip()


@settings(max_examples=300, deadline=None)
@given(words=WORDS, numbers=st.lists(st.integers(min_value=0, max_value=10**12), min_size=2, max_size=2))
def test_numbers_are_masked(words: list[str], numbers: list[int]) -> None:
    text = " ".join(words)

    assert normalised(f"{text} code {numbers[0]}") == normalised(f"{text} code {numbers[1]}")
    assert normalised(f"{text} ٣٤") == normalised(f"{text} 12")  # any script's digits


DOMAINS = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]\.(com|net|example|ly|io)", fullmatch=True)
PATHS = st.from_regex(r"(/[A-Za-z0-9_.~-]{0,12}){0,3}(\?[a-z]=[0-9a-z]{1,5})?", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(
    words=WORDS,
    first=st.tuples(st.sampled_from(["https://", "http://", "www.", "", "HTTPS://WWW."]), DOMAINS, PATHS),
    second=st.tuples(st.sampled_from(["https://", "http://", "www.", ""]), DOMAINS, PATHS),
)
def test_links_are_masked(
    words: list[str], first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    text = " ".join(words)

    one, two = normalised(f"{text} {''.join(first)} now"), normalised(f"{text} {''.join(second)} now")

    assert one == two and rules.URL_MASK in one


def test_what_normalising_keeps_apart() -> None:
    assert normalised("Listen to my new song") != normalised("Listen to my old song")
    assert normalised("Ｌｉｓｔｅｎ") == normalised("listen")  # full-width forms folded
    assert normalised("li\u200bsten") == normalised("listen")  # a zero-width space is invisible
    assert normalised("Straße") == normalised("STRASSE")
    assert normalised("") == ""
    assert rules.fingerprint("Hi 1") == rules.fingerprint("hi   22") != rules.fingerprint("ho 1")


def test_the_body_check() -> None:
    assert body_check("  hi\r\nthere\r ") == "hi\nthere"
    assert body_check("é" * 1000) == "é" * 1000
    with pytest.raises(Refused) as long:
        body_check("é" * 1001)
    assert long.value.status == 400 and long.value.body["code"] == "too_long" and "body" in long.value.body
    for bad in ("", " \n ", None, 3, b"bytes", "nul\x00", "esc\x1b[0m", "del\x7f"):
        with pytest.raises(Refused) as refused:
            body_check(bad)
        assert refused.value.status == 400 and "body" in refused.value.body


def test_the_daily_limit_counts_the_window() -> None:
    starts = [NOW - timedelta(hours=23), NOW - timedelta(hours=10), NOW - timedelta(hours=1)]

    assert rules.daily_limit_refusal(starts[:2], limit=3, now=NOW) is None
    refused = rules.daily_limit_refusal(starts, limit=3, now=NOW)
    assert refused is not None and refused.status == 429 and refused.retry_after == 3600
    assert refused.body == {"code": "daily_limit", "detail": refused.body["detail"], "retry_after": 3600}


def test_duplicates_and_suspension() -> None:
    five = [NOW - timedelta(hours=h) for h in (20, 15, 10, 5, 1)]

    assert rules.duplicate_refusal(five[:4], now=NOW, suspends=False) is None
    refused = rules.duplicate_refusal(five, now=NOW, suspends=False)
    assert (
        refused is not None and refused.body["code"] == "duplicate_text" and refused.retry_after == 4 * 3600
    )
    suspending = rules.duplicate_refusal(five, now=NOW, suspends=True)
    assert suspending is not None and suspending.retry_after == 24 * 3600
    assert rules.suspended_refusal(None, now=NOW) is None
    assert rules.suspended_refusal(NOW, now=NOW) is None
    later = rules.suspended_refusal(NOW + timedelta(seconds=90.5), now=NOW)
    assert later is not None and later.status == 429 and later.retry_after == 91
