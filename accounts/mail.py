"""The e-mail the accounts side sends (through Django's e-mail backend: the console on the
embedded default, SMTP with EMAIL_URL)."""

from datetime import datetime

from django.core.mail import send_mail


def send_invitation(
    *, to: str, artist_name: str, code: str, expires_at: datetime, invited_by: str, url: str
) -> None:
    send_mail(
        subject=f"Kalipxo: {invited_by} invites you to {artist_name}",
        message=(
            f"{invited_by} invites you to see {artist_name} on Kalipxo.\n\n"
            f"Sign up or log in, then claim the artist with this code:\n\n    {code}\n\n"
            f"{url}\n\nThe code works once and expires on {expires_at:%d %b %Y}. "
            "If you did not expect this, ignore it."
        ),
        from_email=None,
        recipient_list=[to],
    )
