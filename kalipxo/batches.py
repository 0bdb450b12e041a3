"""Request bodies that hold one item or an array of items."""

from typing import Any

from rest_framework.exceptions import ValidationError


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
