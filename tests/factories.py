"""factory_boy factories for consistent catalog and listener rows."""

import factory

from artists.models import Artist, Distributor, Payee, Release, Split, Track
from streams.models import Listener


class DistributorFactory(factory.django.DjangoModelFactory[Distributor]):
    class Meta:
        model = Distributor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Distributor {n}")


class ArtistFactory(factory.django.DjangoModelFactory[Artist]):
    class Meta:
        model = Artist

    id = factory.Sequence(lambda n: f"art-{n}")
    name = factory.Sequence(lambda n: f"Artist {n}")
    distributor = factory.SubFactory(DistributorFactory)


class PayeeFactory(factory.django.DjangoModelFactory[Payee]):
    class Meta:
        model = Payee

    id = factory.Sequence(lambda n: f"pay-{n}")
    kind = Payee.Kind.LABEL
    name = factory.Sequence(lambda n: f"Label {n}")
    distributor = factory.SubFactory(DistributorFactory)


class ReleaseFactory(factory.django.DjangoModelFactory[Release]):
    class Meta:
        model = Release

    upc = factory.Sequence(lambda n: f"{n:012d}")
    title = factory.Sequence(lambda n: f"Album {n}")
    distributor = factory.SubFactory(DistributorFactory)


class TrackFactory(factory.django.DjangoModelFactory[Track]):
    class Meta:
        model = Track

    isrc = factory.Sequence(lambda n: f"QZKPX{n:07d}")
    title = factory.Sequence(lambda n: f"Song {n}")
    duration_ms = 200_000
    artist = factory.SubFactory(ArtistFactory)
    distributor = factory.SelfAttribute("artist.distributor")


class SplitFactory(factory.django.DjangoModelFactory[Split]):
    class Meta:
        model = Split

    track = factory.SubFactory(TrackFactory)
    payee = factory.SubFactory(PayeeFactory)
    share = "1"


class ListenerFactory(factory.django.DjangoModelFactory[Listener]):
    class Meta:
        model = Listener

    id = factory.Sequence(lambda n: f"L{n}")
