"""Fans as an artist sees them: a name (the display name of a listener who opted in, or a
stable pseudonym) and a `fan_id`, never the listener id (docs/rules.md §2 Messages).

A `fan_id` is the listener id encrypted with AES-SIV, a deterministic authenticated cipher,
under a key derived from SECRET_KEY, with the artist id as associated data, in base64url:

- stable: the same (artist, listener) always gives the same handle, so an artist may keep it;
- per artist: two artists get unrelated handles for one listener and cannot match their fans;
- opaque: only the server can turn it back into a listener id, and a handle that was altered,
  made up or issued to another artist does not decrypt (`fan_listener` answers None).

Changing SECRET_KEY changes every handle (and every pseudonym): artists then see new ones.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from streams.models import Listener

KEY_INFO = b"kalipxo fan_id v1"
PURPOSE = b"fan_id"
# base64url without padding of a 16-byte tag and a listener id of 1 to 64 bytes (UTF-8 of up
# to 64 characters: the ids are ASCII, kalipxo.validation.ID_RE).
FAN_ID_RE = re.compile(r"[A-Za-z0-9_-]{23,120}")


@functools.lru_cache(maxsize=4)
def _cipher(secret: str) -> AESSIV:
    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=KEY_INFO).derive(secret.encode())
    return AESSIV(key)


def fan_id(*, artist_id: str, listener_id: str) -> str:
    """The opaque handle of `listener_id` for `artist_id`."""
    sealed = _cipher(settings.SECRET_KEY).encrypt(listener_id.encode(), [PURPOSE, artist_id.encode()])
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def fan_listener(*, artist_id: str, handle: object) -> str | None:
    """The listener id a `fan_id` issued to `artist_id` stands for, or None for anything else
    (not a string, altered, another artist's, or made with another SECRET_KEY)."""
    if not isinstance(handle, str) or not FAN_ID_RE.fullmatch(handle):
        return None
    try:
        sealed = base64.urlsafe_b64decode(handle + "=" * (-len(handle) % 4))
        plain = _cipher(settings.SECRET_KEY).decrypt(sealed, [PURPOSE, artist_id.encode()])
        return plain.decode("utf-8")
    except (binascii.Error, ValueError, InvalidTag, UnicodeDecodeError):
        return None


def fan_ids(*, artist_id: str, listener_ids: list[str]) -> dict[str, str]:
    return {listener: fan_id(artist_id=artist_id, listener_id=listener) for listener in listener_ids}


def fan_name(listener_id: str, display_name: str, shown: bool) -> str:
    """The display name of a fan who opted in, otherwise a stable pseudonym.

    The pseudonym is a keyed hash, so it is stable across months and artists but cannot
    be turned back into a listener id by anyone without the secret key.
    """
    if shown and display_name:
        return display_name
    digest = hmac.new(settings.SECRET_KEY.encode(), listener_id.encode(), hashlib.sha256).hexdigest()
    return f"Fan {digest[:8].upper()}"


def fan_names(listener_ids: list[str]) -> dict[str, str]:
    rows = Listener.objects.filter(id__in=listener_ids).values_list("id", "display_name", "show_to_artists")
    names = {listener: fan_name(listener, name, shown) for listener, name, shown in rows}
    return {listener: names.get(listener, fan_name(listener, "", False)) for listener in listener_ids}
