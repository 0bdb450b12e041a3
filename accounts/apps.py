from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts (sign-up, claiming an artist, identity)"

    def ready(self) -> None:
        from accounts import receivers  # registration, where Django wants it

        receivers.connect()
