from django.apps import AppConfig


class ArtistsConfig(AppConfig):
    name = "artists"
    verbose_name = "Catalog and access"

    def ready(self) -> None:
        # Registers the `__in_json` lookup (kalipxo/db.py) before any query filters with it;
        # the first of the project's apps, as signals are wired in Django.
        import kalipxo.db  # noqa: F401
