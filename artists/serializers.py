"""Serializers documenting the catalog contract in the OpenAPI schema (validation is in catalog.py)."""

from rest_framework import serializers


class NamedSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=300)


class PayeeSerializer(NamedSerializer):
    kind = serializers.ChoiceField(choices=["artist", "label", "publisher", "producer", "other"])


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
