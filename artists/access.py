"""Who may see and change what. Every API view asks here, never decides on its own."""

from dataclasses import dataclass
from typing import Any

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from artists.models import ApiClient, PortalAccount

# The role of a web login for a writer or publisher (a payee paid for musical works). It
# has no API token role: such a login sees its own pages and downloads its statements.
PAYEE_ROLE = "payee"


@dataclass(frozen=True)
class Actor:
    """The caller of a request, whether it came with a token or a logged-in session."""

    role: str
    name: str
    distributor_id: int | None = None
    artist_id: str | None = None
    payee_id: str | None = None
    is_authenticated: bool = True  # lets DRF treat an Actor as request.user
    is_staff: bool = False
    # A viewer login of an artist sees its pages and data but acts for it in nothing
    # (writing to fans, inviting, identity): those are its owners'.
    viewer: bool = False

    @classmethod
    def for_api_client(cls, client: ApiClient) -> "Actor":
        return cls(
            role=client.role,
            name=client.name,
            distributor_id=client.distributor_id,
            artist_id=client.artist_id,
            is_staff=client.role == ApiClient.Role.ADMIN,
        )

    @classmethod
    def for_user(cls, user: Any) -> "Actor | None":
        """Session users: staff act as admins; portal accounts as their artist or distributor."""
        if not getattr(user, "is_authenticated", False):
            return None
        if user.is_staff:
            return cls(role=ApiClient.Role.ADMIN, name=user.get_username(), is_staff=True)
        account = getattr(user, "portal_account", None)
        if account is None:
            return None
        if account.artist_id:
            return cls(
                role=ApiClient.Role.ARTIST,
                name=user.get_username(),
                artist_id=account.artist_id,
                viewer=account.role == PortalAccount.Role.VIEWER,
            )
        if account.distributor_id:
            return cls(
                role=ApiClient.Role.DISTRIBUTOR,
                name=user.get_username(),
                distributor_id=account.distributor_id,
            )
        if account.payee_id:
            return cls(role=PAYEE_ROLE, name=user.get_username(), payee_id=account.payee_id)
        return None

    @property
    def is_admin(self) -> bool:
        return self.role == ApiClient.Role.ADMIN


def actor_of(request: Request) -> Actor | None:
    user = request.user
    if isinstance(user, Actor):
        return user
    return Actor.for_user(user)


def require_actor(request: Request) -> Actor:
    """The caller, in views whose permission class has already admitted one."""
    actor = actor_of(request)
    if actor is None:
        raise NotAuthenticated()
    return actor


def allow_roles(*roles: str) -> type[BasePermission]:
    """A DRF permission class admitting only the given roles (admins always)."""
    allowed = frozenset(roles) | {ApiClient.Role.ADMIN}

    class RolePermission(BasePermission):
        message = f"This endpoint is for the {', '.join(sorted(allowed))} role(s)."

        def has_permission(self, request: Request, view: Any) -> bool:
            actor = actor_of(request)
            return actor is not None and actor.role in allowed

    RolePermission.__name__ = f"Allow{''.join(r.title() for r in sorted(allowed))}"
    return RolePermission


def can_view_payee(actor: Actor, *, payee_id: str, payee_distributor_id: int | None) -> bool:
    """A payee's pages: admins, the payee's own login (an artist's payee is the artist's id),
    and the distributor it belongs to."""
    if actor.is_admin:
        return True
    if actor.role == PAYEE_ROLE:
        return actor.payee_id == payee_id
    if actor.role == ApiClient.Role.ARTIST:
        return actor.artist_id == payee_id
    if actor.role == ApiClient.Role.DISTRIBUTOR:
        return payee_distributor_id is not None and payee_distributor_id == actor.distributor_id
    return False


def can_view_artist(actor: Actor, *, artist_id: str, artist_distributor_id: int | None) -> bool:
    if actor.is_admin:
        return True
    if actor.role == ApiClient.Role.ARTIST:
        return actor.artist_id == artist_id
    if actor.role == ApiClient.Role.DISTRIBUTOR:
        return artist_distributor_id is not None and artist_distributor_id == actor.distributor_id
    return False
