"""An artist's request that an admin look at held streams of a month."""

from datetime import date

from payouts.models import ReviewRequest


def review_request_create(*, artist_id: str, month: date, message: str, requested_by: str) -> ReviewRequest:
    return ReviewRequest.objects.create(
        artist_id=artist_id, month=month, message=message, requested_by=requested_by[:200]
    )
