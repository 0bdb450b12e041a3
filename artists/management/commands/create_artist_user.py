"""`python manage.py create_artist_user ARTIST_ID USERNAME [--password P | --password-stdin]`."""

import secrets
import sys
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from artists.models import Artist, PortalAccount


class Command(BaseCommand):
    help = (
        "Create a dashboard login for an artist. Without a password option a strong one is "
        "generated and printed alone on the last line; the artist can change it at /password/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("artist_id", help="The artist's id, e.g. art-0077.")
        parser.add_argument("username", help="The new login's username.")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--password", help="Use this password (checked by the password validators).")
        group.add_argument(
            "--password-stdin", action="store_true", help="Read the password from the first line of stdin."
        )
        parser.add_argument("--email", default="", help="Optional e-mail address of the login.")

    def handle(self, *args: Any, **options: Any) -> None:
        artist = Artist.objects.filter(pk=options["artist_id"]).first()
        if artist is None:
            raise CommandError(f"No artist with id {options['artist_id']!r}.")
        users = get_user_model()
        username = options["username"].strip()
        if not username:
            raise CommandError("The username must not be empty.")
        if users.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A login named {username!r} already exists; pick another username.")

        generated = not (options["password"] or options["password_stdin"])
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = options["password"] or secrets.token_urlsafe(15)
        user = users(username=username, email=options["email"])
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc

        with transaction.atomic():
            user.set_password(password)
            user.save()
            PortalAccount.objects.create(user=user, artist=artist)
        self.stderr.write(f"Created login {username!r} for artist {artist.name} ({artist.id}).")
        if generated:
            self.stderr.write("Its generated password (give it to the artist; it is not stored in clear):")
            self.stdout.write(password)
