"""Reading an artist's verification or tax profile makes no payee row (a read writes nothing)."""

import pytest
from rest_framework.test import APIClient

from artists.models import Payee
from tests.factories import ArtistFactory

pytestmark = pytest.mark.django_db


def test_reads_of_an_artist_paid_without_splits_write_nothing(admin_api: APIClient) -> None:
    artist = ArtistFactory(id="art-plain", name="Plain Artist")
    verification = admin_api.get(f"/api/v1/payees/{artist.id}/verification")
    assert verification.status_code == 200
    assert verification.json()["status"] == "unverified" and verification.json()["payee"] == artist.id
    tax = admin_api.get(f"/api/v1/payees/{artist.id}/tax-profile")
    assert tax.status_code == 200 and tax.json()["form"] == "none"
    assert not Payee.objects.filter(pk=artist.id).exists()
    assert admin_api.get("/api/v1/payees/nobody/verification").status_code == 404
    assert admin_api.get("/api/v1/payees/nobody/tax-profile").status_code == 404
