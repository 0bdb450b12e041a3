"""Load a sanctions list in the OFAC SDN CSV format; it is in force for screening from now on."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payments.sanctions import SanctionsFileError, sanctions_list_load


class Command(BaseCommand):
    help = "Load a sanctions list (OFAC SDN CSV: sdn.csv, optionally with its alt.csv aliases)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="sdn.csv (ent_num,SDN_Name,SDN_Type,...)")
        parser.add_argument(
            "--aliases", help="alt.csv of the same list (ent_num,alt_num,alt_type,alt_name,...)"
        )
        parser.add_argument(
            "--list-version", dest="list_version", default="", help="A label, e.g. the list's date."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(options["file"])] + ([Path(options["aliases"])] if options.get("aliases") else [])
        files = []
        for path in paths:
            if not path.is_file():
                raise CommandError(f"No file {path}.")
            files.append((path.name, path.read_bytes()))
        try:
            loaded = sanctions_list_load(
                files=files, version=options["list_version"], loaded_by="load_sanctions_list"
            )
        except SanctionsFileError as exc:
            raise CommandError(f"{exc} Nothing was loaded.") from exc
        self.stdout.write(
            f"Loaded {loaded.entries} names as {loaded.version!r}; screening uses it from now on."
        )
