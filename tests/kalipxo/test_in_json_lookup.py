"""`__in_json`: the same rows as `__in`, with the values sent as one JSON parameter."""

import pytest

from artists.models import Track
from streams.models import RevenueRecord
from tests.factories import TrackFactory

pytestmark = pytest.mark.django_db


def test_in_json_finds_what_in_finds_on_a_column_and_a_foreign_key() -> None:
    for _ in range(5):
        TrackFactory()
    tracks = list(Track.objects.order_by("isrc"))
    wanted = [tracks[0].isrc, tracks[3].isrc, "QZNONE0000000", 'it\'s "quoted"']
    assert set(Track.objects.filter(isrc__in_json=wanted)) == set(Track.objects.filter(isrc__in=wanted))
    assert {t.isrc for t in Track.objects.filter(isrc__in_json=wanted)} == {tracks[0].isrc, tracks[3].isrc}
    artists = [tracks[1].artist_id, tracks[4].artist_id]
    assert set(Track.objects.filter(artist_id__in_json=artists)) == {tracks[1], tracks[4]}
    assert not Track.objects.filter(isrc__in_json=[]).exists()
    assert not RevenueRecord.objects.filter(listener_id__in_json=["nobody"]).exists()
