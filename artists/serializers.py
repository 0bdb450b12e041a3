"""Serializers documenting the catalog contract in the OpenAPI schema (validation is in
catalog.py and works.py)."""

from rest_framework import serializers

from artists.models import Payee


class NamedSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=300)


class PayeeSerializer(NamedSerializer):
    kind = serializers.ChoiceField(choices=Payee.Kind.values)


class ReleaseSerializer(serializers.Serializer):
    upc = serializers.CharField(min_length=12, max_length=14)
    title = serializers.CharField(max_length=300)


class SplitSerializer(serializers.Serializer):
    payee = PayeeSerializer()
    share = serializers.CharField(help_text='Decimal string; a track\'s shares add up to exactly "1".')


class TrackSerializer(serializers.Serializer):
    isrc = serializers.CharField(min_length=12, max_length=12)
    title = serializers.CharField(max_length=300)
    duration_ms = serializers.IntegerField(min_value=1)
    artist = NamedSerializer()
    release = ReleaseSerializer(required=False, allow_null=True)
    splits = SplitSerializer(many=True, required=False, help_text="None: 100% to the track's artist.")


class UpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    isrcs = serializers.ListField(child=serializers.CharField())


class WriterSerializer(serializers.Serializer):
    payee = PayeeSerializer()
    share = serializers.CharField(help_text='Decimal string; a work\'s shares add up to exactly "1".')
    ipi = serializers.CharField(
        required=False,
        allow_null=True,
        min_length=9,
        max_length=11,
        help_text="IPI name number: 9 to 11 digits, optional.",
    )


class RecordingLinkSerializer(serializers.Serializer):
    isrc = serializers.CharField(min_length=12, max_length=12, help_text="One of the caller's tracks.")
    share = serializers.CharField(
        help_text="Decimal string: the part of the recording's publishing money that goes to this work; "
        'a recording\'s links over all works add up to at most "1", the rest is held in mechanical suspense.'
    )


class WorkSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    iswc = serializers.CharField(
        required=False,
        allow_null=True,
        help_text='Optional; with a valid check digit: "T-034.524.680-1" or "T0345246801" '
        "(read back in the first form).",
    )
    title = serializers.CharField(max_length=300)
    writers = WriterSerializer(
        many=True, help_text="Writers and publishers; their shares add up to exactly 1."
    )
    recordings = RecordingLinkSerializer(
        many=True, required=False, help_text="Recordings of this work; none: not linked (yet)."
    )


class WorkUpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.CharField())
