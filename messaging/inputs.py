"""The messaging endpoints' request bodies, checked: a value to use, or `Refused` (400)
naming each field to fix. Pure: no database."""

from typing import Any

from kalipxo.validation import check_id, check_int, unknown_fields
from messaging.rules import Refused, body_check, invalid
from streams.listeners import Preferences

MAX_DISPLAY_NAME = 100  # streams.Listener.display_name
MAX_REASON = 1000


def _object(data: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Refused(400, {"detail": "Send one JSON object (see /api/docs/)."})
    errors = unknown_fields(data, allowed)
    if errors:
        raise invalid(errors)
    return data


def _required(data: dict[str, Any], names: list[str]) -> None:
    missing = {name: ["Required."] for name in names if name not in data}
    if missing:
        raise invalid(missing)


def preferences_parse(data: Any) -> Preferences:
    """`{"display_name", "shown_to_artists", "accepts_messages"}`: a PUT sets all three, and a
    field left out takes its default (no name, both opt-ins off)."""
    data = _object(data, {"display_name", "shown_to_artists", "accepts_messages"})
    errors: dict[str, list[str]] = {}
    name = data.get("display_name", "")
    if name is None:
        name = ""
    if not isinstance(name, str):
        errors["display_name"] = ["A string (may be empty, or null for none)."]
    else:
        name = name.strip()
        if len(name) > MAX_DISPLAY_NAME:
            errors["display_name"] = [f"At most {MAX_DISPLAY_NAME} characters."]
        elif not name.isprintable():
            errors["display_name"] = ["Printable characters only (no control or line-break characters)."]
    flags = {}
    for flag in ("shown_to_artists", "accepts_messages"):
        value = data.get(flag, False)
        if not isinstance(value, bool):
            errors[flag] = ["true or false."]
        flags[flag] = value is True
    if errors:
        raise invalid(errors)
    return Preferences(display_name=name, **flags)


def artist_message_parse(data: Any) -> tuple[str, str]:
    """`{"fan_id", "body"}` → (fan_id, body). Whether the fan_id names a fan is the caller's."""
    data = _object(data, {"fan_id", "body"})
    _required(data, ["fan_id", "body"])
    handle = data["fan_id"]
    if not isinstance(handle, str) or not handle:
        raise invalid({"fan_id": ["A fan's fan_id, as the top-fans API gives it."]})
    return handle, body_check(data["body"])


def reply_parse(data: Any) -> tuple[str, str]:
    """`{"artist", "body"}` → (artist id, body)."""
    data = _object(data, {"artist", "body"})
    _required(data, ["artist", "body"])
    if (message := check_id(data["artist"])) is not None:
        raise invalid({"artist": [message]})
    return data["artist"], body_check(data["body"])


def block_parse(data: Any) -> str:
    """`{"artist"}` → the artist id."""
    data = _object(data, {"artist"})
    _required(data, ["artist"])
    if (message := check_id(data["artist"])) is not None:
        raise invalid({"artist": [message]})
    return str(data["artist"])


def report_parse(data: Any) -> tuple[int, str]:
    """`{"message", "reason"}` → (message id, reason). The reason may be empty."""
    data = _object(data, {"message", "reason"})
    _required(data, ["message"])
    errors: dict[str, list[str]] = {}
    message_id = data["message"]
    if (problem := check_int(message_id, minimum=1, maximum=2**63 - 1)) is not None:
        errors["message"] = [f"The id of a message you received. {problem}"]
    reason = data.get("reason", "")
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        errors["reason"] = ["A string: what is wrong with the message."]
    else:
        reason = reason.replace("\r\n", "\n").strip()
        if len(reason) > MAX_REASON:
            errors["reason"] = [f"At most {MAX_REASON:,} characters."]
        elif any(ord(ch) < 32 and ch not in "\n\t" for ch in reason) or "\x7f" in reason:
            errors["reason"] = ["Control characters are not allowed (tab and line breaks are)."]
    if errors:
        raise invalid(errors)
    return int(message_id), reason
