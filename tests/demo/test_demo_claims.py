"""The demo's waiting claim: a signed-up login asks for an unclaimed artist, once."""

import pytest
from django.test import Client

from accounts.models import ClaimRequest
from demo.claims import demo_claim_write
from tests.factories import ArtistFactory

pytestmark = pytest.mark.django_db


def test_the_demo_has_one_claim_waiting_and_its_login_works() -> None:
    ArtistFactory.create_batch(3)
    assert "asks to claim" in demo_claim_write(password="kalipxo-demo")
    assert "there already" in demo_claim_write(password="kalipxo-demo")
    claim = ClaimRequest.objects.get()
    assert claim.status == "pending" and claim.links and claim.note
    response = Client().post("/login/", {"username": "newcomer@example.com", "password": "kalipxo-demo"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
