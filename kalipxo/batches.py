"""Request bodies that hold one item or an array of items."""

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


def as_batch(data: Any, *, limit: int, noun: str) -> list[Any]:
    """The items of a body that is one object or an array of objects (at most `limit`)."""
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise ValidationError({"detail": f"Send one {noun} object or an array of them."})
    if not data:
        raise ValidationError({"detail": f"The array is empty; send at least one {noun}."})
    if len(data) > limit:
        raise ValidationError(
            {"detail": f"At most {limit:,} {noun}s per request; this one has {len(data):,}. Split the batch."}
        )
    return data


def batch_from_request(request: Request, *, limit: int, noun: str) -> list[Any]:
    """`as_batch` of a request's JSON body; an empty body is refused, not read as `{}`."""
    data = request.data
    if request.stream is None:  # DRF skips the parser for a zero-length body and yields {}
        raise ValidationError({"detail": "Request body is empty; send a JSON object or array."})
    return as_batch(data, limit=limit, noun=noun)
