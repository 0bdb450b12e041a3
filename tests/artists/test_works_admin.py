"""The Django admin shows works with their writers and linked recordings, searchable, and
changes none of them: works change through the API, where their shares are checked."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from artists.models import Payee, RecordingLink, Work, WorkShare
from tests.factories import DistributorFactory, TrackFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/artists/work/"


@pytest.fixture
def staff() -> Client:
    """A logged-in superuser."""
    client = Client()
    client.force_login(User.objects.create_superuser("ops", password="x"))
    return client


@pytest.fixture
def works() -> None:
    """wrk-1 of Distro A (writer Wanda, ISRC QZKPX0000001) and wrk-2 of Distro B."""
    a, b = DistributorFactory.create(name="Distro A"), DistributorFactory.create(name="Distro B")
    one = Work.objects.create(id="wrk-1", iswc="T-034.524.680-1", title="First song", distributor=a)
    Work.objects.create(id="wrk-2", title="Second song", distributor=b)
    wanda = Payee.objects.create(id="wri-1", kind="writer", name="Wanda", distributor=a)
    WorkShare.objects.create(work=one, payee=wanda, share="1", ipi="00000000000")
    RecordingLink.objects.create(work=one, track=TrackFactory.create(isrc="QZKPX0000001"), share="1")


def listed(staff: Client, **query: str) -> list[str]:
    response = staff.get(CHANGELIST, query)
    assert response.status_code == 200
    return [work.id for work in response.context["cl"].result_list]


@pytest.mark.usefixtures("works")
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({}, ["wrk-1", "wrk-2"]),
        ({"q": "wrk-2"}, ["wrk-2"]),
        ({"q": "second"}, ["wrk-2"]),
        ({"q": "T-034.524.680-1"}, ["wrk-1"]),
        ({"q": "wanda"}, ["wrk-1"]),
        ({"q": "wri-1"}, ["wrk-1"]),
        ({"q": "QZKPX0000001"}, ["wrk-1"]),
    ],
)
def test_works_are_found_by_id_title_iswc_writer_and_recording(
    staff: Client, query: dict[str, str], found: list[str]
) -> None:
    assert listed(staff, **query) == found


@pytest.mark.usefixtures("works")
def test_works_are_filtered_by_distributor(staff: Client) -> None:
    b = DistributorFactory.create(name="Distro B")

    assert listed(staff, distributor__id__exact=str(b.pk)) == ["wrk-2"]


@pytest.mark.usefixtures("works")
def test_a_work_shows_its_writers_and_recordings_and_cannot_be_changed(staff: Client) -> None:
    page = staff.get(f"{CHANGELIST}wrk-1/change/")
    body = page.content.decode()

    assert page.status_code == 200
    assert "Wanda" in body and "00000000000" in body and "QZKPX0000001" in body
    assert 'name="_save"' not in body
    assert staff.post(f"{CHANGELIST}wrk-1/change/", {"title": "Changed"}).status_code == 403
    assert staff.get(f"{CHANGELIST}add/").status_code == 403
    assert staff.post(f"{CHANGELIST}wrk-1/delete/", {"post": "yes"}).status_code == 403
    assert Work.objects.get(id="wrk-1").title == "First song"
