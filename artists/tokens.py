"""API tokens: made once, shown once, stored as a SHA-256 digest."""

import hashlib
import secrets

from django.db import transaction

from artists.models import ApiClient, Artist, Distributor

TOKEN_PREFIX = "kx_"  # noqa: S105 - a marker, not a secret


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast unsalted digest is enough to make a stolen
    # table useless; a slow password hash would only slow every API request down.
    return hashlib.sha256(token.encode()).hexdigest()


def api_client_by_token(token: str) -> ApiClient | None:
    """The active client a token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return (
        ApiClient.objects.filter(token_hash=_digest(token), revoked_at__isnull=True)
        .select_related("distributor", "artist")
        .first()
    )


@transaction.atomic
def api_client_create(
    *, name: str, role: str, distributor_name: str | None = None, artist_id: str | None = None
) -> tuple[ApiClient, str]:
    """Create a client and return it with its token (the only time the token exists in clear)."""
    if role not in ApiClient.Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ApiClient.Role.values)}.")
    distributor = None
    artist = None
    if role == ApiClient.Role.DISTRIBUTOR:
        if not distributor_name:
            raise ValueError("A distributor client needs --distributor NAME.")
        distributor, _ = Distributor.objects.get_or_create(name=distributor_name)
    elif distributor_name:
        raise ValueError("--distributor only applies to the distributor role.")
    if role == ApiClient.Role.ARTIST:
        if not artist_id:
            raise ValueError("An artist client needs --artist ID.")
        artist = Artist.objects.filter(pk=artist_id).first()
        if artist is None:
            raise ValueError(f"No artist with id {artist_id!r}.")
    elif artist_id:
        raise ValueError("--artist only applies to the artist role.")
    if ApiClient.objects.filter(name=name).exists():
        raise ValueError(f"A client named {name!r} already exists.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name,
        role=role,
        distributor=distributor,
        artist=artist,
        token_prefix=token[:10],
        token_hash=_digest(token),
    )
    return client, token
