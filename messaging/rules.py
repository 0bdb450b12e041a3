"""The messaging rules as pure functions: the limits, the refusals with their codes and HTTP
statuses, a message body's check and the normalised text the duplicate rule compares
(docs/rules.md §2 Messages and "Messages")."""

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

MAX_BODY = 1000  # characters (code points), after trimming the ends
RECENT_FAN = timedelta(days=90)
WINDOW = timedelta(hours=24)  # the rolling window of every limit
DUPLICATE_FANS = 5  # the same text to this many fans is allowed, to one more refused
REFUSALS_TO_SUSPEND = 3
SUSPENSION = timedelta(hours=24)

NOT_OPTED_IN = "not_opted_in"
NOT_A_RECENT_FAN = "not_a_recent_fan"
DAILY_LIMIT = "daily_limit"
DUPLICATE_TEXT = "duplicate_text"
SUSPENDED = "suspended"
BLOCKED = "blocked"
TOO_LONG = "too_long"
NO_CONVERSATION = "no_conversation"  # a listener's reply with nothing to reply to
ERASED = "erased"  # a listener whose personal data was erased

STATUS = {
    NOT_OPTED_IN: 403,
    NOT_A_RECENT_FAN: 403,
    BLOCKED: 403,
    TOO_LONG: 400,
    DAILY_LIMIT: 429,
    DUPLICATE_TEXT: 429,
    SUSPENDED: 429,
    NO_CONVERSATION: 409,
    ERASED: 410,
}


@dataclass
class Refused(Exception):
    """Why nothing was stored: the HTTP status, the JSON body, and when to retry (seconds)."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None


def refusal(code: str, detail: str, *, retry_after: int | None = None, **extra: Any) -> Refused:
    """A refusal by its code; one to retry later says when, as `retry_after` (seconds) in the
    body and in the Retry-After header."""
    timing = {} if retry_after is None else {"retry_after": retry_after}
    return Refused(STATUS[code], {"code": code, "detail": detail, **timing, **extra}, retry_after)


def invalid(errors: dict[str, list[str]]) -> Refused:
    return Refused(400, errors)


def seconds_until(moment: datetime, now: datetime) -> int:
    """A Retry-After: whole seconds from `now` to `moment`, at least 1."""
    return max(1, math.ceil((moment - now).total_seconds()))


# Control characters other than tab and line breaks are refused: PostgreSQL cannot store NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def body_check(value: Any, *, name: str = "body") -> str:
    """The body to store (ends trimmed, line breaks as \\n), or Refused: 400 naming `name`,
    with the code `too_long` over MAX_BODY characters."""
    if not isinstance(value, str) or not value.strip():
        raise invalid({name: ["Required: the message text, a non-empty string."]})
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if _CONTROL.search(text):
        raise invalid({name: ["Control characters are not allowed (tab and line breaks are)."]})
    if len(text) > MAX_BODY:
        detail = (
            f"A message is at most {MAX_BODY:,} characters; this one has {len(text):,}. Nothing was sent."
        )
        raise Refused(
            STATUS[TOO_LONG],
            {"code": TOO_LONG, "detail": detail, name: [f"At most {MAX_BODY:,} characters."]},
        )
    return text


# A URL: a scheme, or "www.", or a bare domain (name dots, a 2+ letter top-level label), with
# whatever follows up to the next space.
_URL = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.)\S*"
    r"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?![\w-])(?:[/?#:]\S*)?",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
URL_MASK = "<url>"
DIGIT_MASK = "0"


def normalised(text: str) -> str:
    """The text as the duplicate rule compares it: compatibility forms folded (NFKC),
    invisible format characters (zero-width spaces, ...) dropped, case-folded, every run of
    digits masked, URLs masked, whitespace collapsed to one space, ends trimmed.

    Digits go before URLs, so "bit.ly/a1" and "bit.ly/b2" are one masked URL each; the masks
    hold no digit, letter of a URL or space, so normalising again changes nothing.
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = unicodedata.normalize("NFKC", text.casefold())
    text = _DIGITS.sub(DIGIT_MASK, text)
    text = _URL.sub(f" {URL_MASK} ", text)
    return _SPACE.sub(" ", text).strip()


def fingerprint(text: str) -> str:
    """What the duplicate rule stores and counts: SHA-256 of the normalised text."""
    return hashlib.sha256(normalised(text).encode("utf-8")).hexdigest()


def daily_limit_refusal(starts: list[datetime], *, limit: int, now: datetime) -> Refused | None:
    """`starts`: when the artist's conversations of the last 24 hours began, oldest first."""
    if len(starts) < limit:
        return None
    # Room again once enough of them have left the window for one more.
    retry = seconds_until(starts[len(starts) - limit] + WINDOW, now)
    return refusal(
        DAILY_LIMIT,
        f"An artist may start at most {limit} new conversations in any 24 hours; try again in "
        f"{retry} s. Nothing was sent.",
        retry_after=retry,
    )


def duplicate_refusal(last_sent: list[datetime], *, now: datetime, suspends: bool) -> Refused | None:
    """`last_sent`: per other fan, when the artist last sent it this text in the last 24 hours,
    oldest first. `suspends`: this refusal is the one that suspends the artist."""
    if len(last_sent) < DUPLICATE_FANS:
        return None
    retry = seconds_until(last_sent[len(last_sent) - DUPLICATE_FANS] + WINDOW, now)
    detail = (
        f"The same text (ignoring case, spacing, numbers and links) went to {len(last_sent)} fans in "
        f"the last 24 hours; at most {DUPLICATE_FANS} may get it. Write to this fan in your own words."
    )
    if suspends:
        retry = seconds_until(now + SUSPENSION, now)
        detail += (
            f" This is the {REFUSALS_TO_SUSPEND}rd such refusal in 24 hours: messaging is suspended "
            f"for {SUSPENSION.total_seconds() / 3600:.0f} hours."
        )
    return refusal(DUPLICATE_TEXT, detail + " Nothing was sent.", retry_after=retry)


def suspended_refusal(until: datetime | None, *, now: datetime) -> Refused | None:
    if until is None or until <= now:
        return None
    retry = seconds_until(until, now)
    return refusal(
        SUSPENDED,
        f"Messaging is suspended until {until.isoformat()} after {REFUSALS_TO_SUSPEND} duplicate-text "
        "refusals in 24 hours. Nothing was sent.",
        retry_after=retry,
        suspended_until=until.isoformat(),
    )
