"""`python manage.py create_api_client NAME --role ROLE [--distributor NAME] [--artist ID]`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from artists.models import ApiClient
from artists.tokens import api_client_create


class Command(BaseCommand):
    help = "Create an API client and print its bearer token (alone, on the last line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="A unique name for the client, e.g. 'player-eu'.")
        parser.add_argument("--role", required=True, choices=ApiClient.Role.values)
        parser.add_argument("--distributor", help="Distributor name (distributor role; created if new).")
        parser.add_argument("--artist", help="Artist id the token is bound to (artist role).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client, token = api_client_create(
                name=options["name"],
                role=options["role"],
                distributor_name=options["distributor"],
                artist_id=options["artist"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        scope = client.distributor or client.artist_id or "platform"
        self.stderr.write(f"Created {client.role} client {client.name!r} ({scope}). Store the token now:")
        self.stdout.write(token)
