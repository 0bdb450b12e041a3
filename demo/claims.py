"""A demo claim waiting in the console: a signed-up login (verified address, no artist yet)
asks to claim an unclaimed artist with links, so Claims has something to decide."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from accounts.claims import ClaimRefused, request_claim
from accounts.models import ClaimRequest
from artists.models import Artist
from demo.management.commands.create_demo_logins import Command as DemoLogins

CLAIMANT = "newcomer"
ADDRESS = "newcomer@example.com"


def demo_claim_write(*, password: str) -> str:
    """A note for the load's summary. Leaves a demo that has the claim already as it is."""
    if ClaimRequest.objects.filter(user__username=CLAIMANT).exists():
        return "claims: the demo claim is there already"
    top = DemoLogins._top_artist()  # the demo's artist login's: not the one claimed
    artist = (
        Artist.objects.filter(accounts__isnull=True)
        .exclude(pk=getattr(top, "pk", None))
        .order_by("-id")
        .first()
    )
    if artist is None:
        return "claims: no unclaimed artist"
    users = get_user_model().objects
    user = users.filter(username=CLAIMANT).first() or users.create_user(CLAIMANT, ADDRESS, password)
    EmailAddress.objects.get_or_create(user=user, email=ADDRESS, defaults={"verified": True, "primary": True})
    try:
        request_claim(
            user=user,
            artist=artist,
            links=f"https://{artist.id}.example/about\nhttps://social.example/@{artist.id}",
            note=f"I am {artist.name}; my manager can confirm by phone.",
        )
    except ClaimRefused as refused:
        return f"claims: {refused.message}"
    return f'claims: login "{CLAIMANT}" asks to claim {artist.name} (console → Claims)'
