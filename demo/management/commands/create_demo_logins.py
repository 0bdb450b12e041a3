"""Demo logins: an admin, an artist account for the demo's most-streamed artist, and a
writer account for the songwriter with the most works."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count

from artists.models import Artist, Payee, PortalAccount, Track
from streams.models import StreamEvent

DEMO_PASSWORD = "kalipxo-demo"  # noqa: S105 - printed by the demo command; demo databases only


class Command(BaseCommand):
    help = 'Create the demo logins "admin", "artist" and "writer" (password "kalipxo-demo"). Idempotent.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        admin, created = users.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"}
        )
        if created:
            admin.set_password(options["password"])
            admin.save()
        artist = self._top_artist()
        if artist is None:
            raise CommandError("No artists yet; run `manage.py load_demo_data` first.")
        user = _portal_user("artist", options["password"])
        PortalAccount.objects.update_or_create(
            user=user, defaults={"artist": artist, "distributor": None, "payee": None}
        )
        message = f'Demo logins ready: "admin", "artist" (artist {artist.name}, {artist.id})'
        writer = (
            Payee.objects.filter(kind=Payee.Kind.WRITER)
            .annotate(works=Count("work_shares"))
            .order_by("-works", "id")
            .first()
        )
        if writer is not None:
            user = _portal_user("writer", options["password"])
            PortalAccount.objects.update_or_create(
                user=user, defaults={"artist": None, "distributor": None, "payee": writer}
            )
            message += f' and "writer" (songwriter {writer.name}, {writer.id})'
        self.stdout.write(message + ".")

    @staticmethod
    def _top_artist() -> Artist | None:
        top = StreamEvent.objects.values("isrc").annotate(plays=Count("id")).order_by("-plays").first()
        if top is not None:
            track = Track.objects.filter(isrc=top["isrc"]).select_related("artist").first()
            if track is not None:
                return track.artist
        return Artist.objects.order_by("id").first()


def _portal_user(username: str, password: str) -> Any:
    """The demo user of that name, with the demo password when it is new."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_password(password)
        user.save()
    return user
