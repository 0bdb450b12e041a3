"""Serializers that document the request and response shapes in the OpenAPI schema.

Validation of the bulk endpoints happens in `streams.ingest` and `streams.revenue`
(plain functions, fast for large batches); these classes only describe the contract.
"""

from rest_framework import serializers


class StreamEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(
        max_length=64,
        help_text="Unique per play; the same play again is a duplicate. An id already used for another "
        "play (listener, ISRC, duration_ms or started_at as an instant) is rejected; the stored event stays.",
    )
    listener = serializers.CharField(max_length=64)
    isrc = serializers.CharField(min_length=12, max_length=12)
    started_at = serializers.DateTimeField(help_text="ISO 8601 with time zone; at most 5 minutes ahead.")
    duration_ms = serializers.IntegerField(min_value=0)
    country = serializers.CharField(min_length=2, max_length=2)
    tier = serializers.CharField(help_text="A plan name, e.g. premium or free.")
    device = serializers.CharField(required=False, allow_null=True, max_length=128)


class StreamRejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    event_id = serializers.CharField(allow_null=True)
    # django-stubs types Serializer.errors; this is a field of the documented response.
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]


class StreamIngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = StreamRejectionSerializer(many=True)


class RevenueRecordSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100, help_text="Idempotency key, e.g. the invoice id.")
    listener = serializers.CharField(max_length=64)
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="YYYY-MM, at most next month (UTC).")
    source = serializers.ChoiceField(choices=["subscription", "ads"])  # type: ignore[assignment]
    plan = serializers.CharField()
    country = serializers.CharField(min_length=2, max_length=2)
    gross = serializers.CharField(
        help_text='Decimal string, e.g. "14.99": at most the currency\'s decimal places, and at most 15 '
        "digits before the point and 10 after it as written (trailing zeros included)."
    )
    tax = serializers.CharField(help_text='Decimal string, e.g. "0.00"; written as gross is.')
    fees = serializers.CharField(help_text='Decimal string, e.g. "0.00"; written as gross is.')


class RevenueResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
