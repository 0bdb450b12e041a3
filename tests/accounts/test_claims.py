"""Claiming an artist: codes issued over the API (SPEC §4b), redeemed on the claim page once;
claims with evidence an admin decides in the console; an artist's owners and viewers."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ClaimCode, ClaimRequest
from artists.models import Artist, PortalAccount
from tests.accounts.helpers import link_in
from tests.conftest import ApiFactory
from tests.factories import ArtistFactory, DistributorFactory
from tests.mail import Inbox

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-Passphrase-42"


@pytest.fixture
def artist() -> Any:
    return ArtistFactory(id="art-claim", name="Mira Vale", distributor=DistributorFactory(name="dist-a"))


def logged_in(username: str, **extra: Any) -> Client:
    user = get_user_model().objects.create_user(username, password=PASSWORD, **extra)
    client = Client()
    client.force_login(user)
    return client


def issue(api: APIClient, artist_id: str, **body: Any) -> Any:
    return api.post(f"/api/v1/artists/{artist_id}/claim-codes", body or None, format="json")


# ---------------------------------------------------------------------------- the API


def test_a_distributor_issues_a_code_for_its_own_artist(api_as: ApiFactory, artist: Artist) -> None:
    response = issue(api_as("distributor", distributor="dist-a"), artist.id)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"code", "expires_at", "role", "artist"}
    assert body["role"] == "owner" and body["artist"] == artist.id
    assert body["code"].startswith("KX-")
    stored = ClaimCode.objects.get()
    assert body["code"] not in stored.code_hash  # only a hash is kept
    assert timedelta(days=13) < stored.expires_at - timezone.now() <= timedelta(days=14)


def test_another_distributors_artist_or_an_unknown_one_is_not_found(
    api_as: ApiFactory, artist: Artist
) -> None:
    other = api_as("distributor", distributor="dist-b")
    assert issue(other, artist.id).status_code == 404
    assert issue(other, "no-such-artist").status_code == 404
    assert not ClaimCode.objects.exists()


@pytest.mark.parametrize("role", ["artist", "ingest", "billing"])
def test_other_roles_cannot_issue_codes(api_as: ApiFactory, artist: Artist, role: str) -> None:
    client = api_as(role, artist=artist.id) if role == "artist" else api_as(role)
    assert issue(client, artist.id).status_code == 403
    assert APIClient().post(f"/api/v1/artists/{artist.id}/claim-codes").status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [({"role": "boss"}, "role"), ({"role": 1}, "role"), ({"roles": "owner"}, "detail"), ([1], "detail")],
)
def test_bad_bodies_are_refused_and_issue_nothing(
    admin_api: APIClient, artist: Artist, body: Any, field: str
) -> None:
    response = admin_api.post(f"/api/v1/artists/{artist.id}/claim-codes", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ClaimCode.objects.exists()


def test_an_admin_issues_a_viewer_code(admin_api: APIClient, artist: Artist) -> None:
    assert issue(admin_api, artist.id, role="viewer").json()["role"] == "viewer"


# ---------------------------------------------------------------------------- redeeming


def claim(client: Client, code: str) -> Any:
    return client.post("/account/claim/", {"action": "code", "c-code": code})


def test_a_code_links_the_login_once(admin_api: APIClient, artist: Artist) -> None:
    code = issue(admin_api, artist.id).json()["code"]
    mira = logged_in("mira")
    response = claim(mira, code.lower().replace("-", " "))  # as typed from a phone
    assert response.status_code == 302 and response["Location"] == f"/dashboard/{artist.id}/"
    account = PortalAccount.objects.get(user__username="mira")
    assert (account.artist_id, account.role) == (artist.id, "owner")
    assert mira.get(f"/dashboard/{artist.id}/").status_code == 200
    reused = claim(logged_in("sam"), code)
    assert reused.status_code == 400 and "used already" in reused.content.decode()
    assert not PortalAccount.objects.filter(user__username="sam").exists()


def test_an_expired_or_unknown_code_is_refused(admin_api: APIClient, artist: Artist) -> None:
    code = issue(admin_api, artist.id).json()["code"]
    ClaimCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client = logged_in("mira")
    assert "expired" in claim(client, code).content.decode()
    assert "No such claim code" in claim(client, "KX-AAAA-BBBB-CCCC-DDDD").content.decode()
    assert not PortalAccount.objects.exists()


def test_a_login_claims_one_artist_and_staff_claim_none(admin_api: APIClient, artist: Artist) -> None:
    first, second = (issue(admin_api, artist.id).json()["code"] for _ in range(2))
    mira = logged_in("mira")
    claim(mira, first)
    assert "already belongs" in claim(mira, second).content.decode()
    assert "Staff logins" in claim(logged_in("boss", is_staff=True), second).content.decode()
    assert ClaimCode.objects.filter(used_at__isnull=True).count() == 1


def test_the_claim_page_needs_a_login(client: Client) -> None:
    assert client.get("/account/claim/")["Location"].startswith("/login/")


# ---------------------------------------------------------------------------- claims with evidence


def test_a_claim_with_evidence_waits_for_an_admin_who_approves_it(artist: Artist) -> None:
    mira = logged_in("mira")
    body = {
        "action": "request",
        "r-artist": artist.id,
        "r-links": "https://miravale.example",
        "r-note": "It's me",
    }
    assert mira.post("/account/claim/", body).status_code == 302
    assert mira.post("/account/claim/", body).status_code == 400  # asked already
    request = ClaimRequest.objects.get()
    assert request.status == "pending"
    assert "pending" in mira.get("/account/").content.decode()
    staff = logged_in("boss", is_staff=True)
    queue = staff.get("/console/claims/").content.decode()
    assert "https://miravale.example" in queue and "It&#x27;s me" in queue
    assert staff.post(f"/console/claims/{request.pk}", {"decision": "approve"}).status_code == 302
    assert PortalAccount.objects.get(user__username="mira").role == "owner"
    assert mira.get(f"/dashboard/{artist.id}/").status_code == 200


def test_a_refusal_needs_a_reason_the_artist_reads(artist: Artist) -> None:
    mira = logged_in("mira")
    mira.post("/account/claim/", {"action": "request", "r-artist": artist.id, "r-note": "me"})
    request = ClaimRequest.objects.get()
    staff = logged_in("boss", is_staff=True)
    staff.post(f"/console/claims/{request.pk}", {"decision": "reject"})
    assert ClaimRequest.objects.get().status == "pending"
    staff.post(f"/console/claims/{request.pk}", {"decision": "reject", "reason": "No link to the artist"})
    assert ClaimRequest.objects.get().status == "rejected"
    assert "No link to the artist" in mira.get("/account/").content.decode()
    assert not PortalAccount.objects.exists()


def test_a_claim_needs_evidence_and_a_real_artist(artist: Artist) -> None:
    mira = logged_in("mira")
    assert (
        "at least one link"
        in mira.post("/account/claim/", {"action": "request", "r-artist": artist.id}).content.decode()
    )
    assert (
        "No artist with this id"
        in mira.post(
            "/account/claim/", {"action": "request", "r-artist": "nobody", "r-note": "x"}
        ).content.decode()
    )
    assert not ClaimRequest.objects.exists()


def test_only_staff_see_and_decide_claims(artist: Artist) -> None:
    mira = logged_in("mira")
    mira.post("/account/claim/", {"action": "request", "r-artist": artist.id, "r-note": "me"})
    assert mira.get("/console/claims/").status_code == 403
    assert (
        mira.post(f"/console/claims/{ClaimRequest.objects.get().pk}", {"decision": "approve"}).status_code
        == 403
    )
    assert ClaimRequest.objects.get().status == "pending"


# ---------------------------------------------------------------------------- the team


def owner_of(artist: Artist, username: str = "mira") -> Client:
    client = logged_in(username)
    PortalAccount.objects.create(
        user=get_user_model().objects.get(username=username), artist=artist, role="owner"
    )
    return client


def test_an_owner_invites_by_mail_and_the_invited_login_claims_as_viewer(artist: Artist, smtp: Inbox) -> None:
    mira = owner_of(artist)
    page = mira.post(f"/dashboard/{artist.id}/team/", {"email": "sam@band.example", "role": "viewer"})
    assert page.status_code == 200
    code = ClaimCode.objects.get()
    assert code.role == "viewer" and code.issued_by == "owner:mira" and code.sent_to == "sam@band.example"
    (mail,) = smtp.to("sam@band.example")
    assert "Mira Vale" in str(mail["Subject"])
    shown = page.context["issued"].code
    assert shown in smtp.body(mail) and shown in page.content.decode()
    assert link_in(smtp, "sam@band.example", containing="/account/claim/")
    sam = logged_in("sam")
    claim(sam, shown)
    assert PortalAccount.objects.get(user__username="sam").role == "viewer"
    team = sam.get(f"/dashboard/{artist.id}/team/").content.decode()
    assert "mira" in team and "Make an invitation code" not in team  # a viewer does not invite
    assert sam.post(f"/dashboard/{artist.id}/team/", {"role": "owner"}).status_code == 404
    assert ClaimCode.objects.count() == 1


def test_an_owner_removes_a_member_but_never_the_last_owner(artist: Artist) -> None:
    mira = owner_of(artist)
    sam_user = get_user_model().objects.create_user("sam", password=PASSWORD)
    sam = PortalAccount.objects.create(user=sam_user, artist=artist, role="viewer")
    me = PortalAccount.objects.get(user__username="mira")
    assert mira.post(f"/dashboard/{artist.id}/team/{me.pk}/remove").status_code == 302
    assert PortalAccount.objects.filter(pk=me.pk).exists()  # the last owner stays
    mira.post(f"/dashboard/{artist.id}/team/{sam.pk}/remove")
    assert not PortalAccount.objects.filter(pk=sam.pk).exists()


def test_a_viewer_cannot_remove_and_strangers_see_no_team(artist: Artist) -> None:
    owner_of(artist)
    viewer = logged_in("sam")
    PortalAccount.objects.create(
        user=get_user_model().objects.get(username="sam"), artist=artist, role="viewer"
    )
    me = PortalAccount.objects.get(user__username="mira")
    viewer.post(f"/dashboard/{artist.id}/team/{me.pk}/remove")
    assert PortalAccount.objects.filter(pk=me.pk).exists()
    assert logged_in("stranger").get(f"/dashboard/{artist.id}/team/").status_code == 404


def test_a_removed_member_takes_its_unused_codes_with_it(artist: Artist) -> None:
    mira = owner_of(artist)
    sam_user = get_user_model().objects.create_user("sam", password=PASSWORD)
    sam_account = PortalAccount.objects.create(user=sam_user, artist=artist, role="owner")
    sam = Client()
    sam.force_login(sam_user)
    sam.post(f"/dashboard/{artist.id}/team/", {"role": "owner"})
    mira.post(f"/dashboard/{artist.id}/team/", {"role": "viewer"})
    assert ClaimCode.objects.count() == 2
    mira.post(f"/dashboard/{artist.id}/team/{sam_account.pk}/remove")
    assert list(ClaimCode.objects.values_list("issued_by", flat=True)) == ["owner:mira"]


def test_an_invitation_whose_mail_fails_still_shows_the_code(artist: Artist, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1  # nobody listens
    page = owner_of(artist).post(
        f"/dashboard/{artist.id}/team/", {"email": "sam@band.example", "role": "viewer"}
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "could not be sent" in text and page.context["issued"].code in text


def test_an_owner_sees_its_unused_codes_and_revokes_one(artist: Artist, admin_api: APIClient) -> None:
    mira = owner_of(artist)
    code = issue(admin_api, artist.id, role="viewer").json()["code"]
    page = mira.get(f"/dashboard/{artist.id}/team/").content.decode()
    assert "Codes not used yet" in page and "api:" in page and code not in page  # never shown again
    stored = ClaimCode.objects.get()
    viewer = logged_in("sam")
    PortalAccount.objects.create(
        user=get_user_model().objects.get(username="sam"), artist=artist, role="viewer"
    )
    viewer.post(f"/dashboard/{artist.id}/team/codes/{stored.pk}/revoke")
    assert ClaimCode.objects.exists()  # a viewer revokes nothing
    assert mira.post(f"/dashboard/{artist.id}/team/codes/{stored.pk}/revoke").status_code == 302
    assert not ClaimCode.objects.exists()
    assert "No such claim code" in claim(logged_in("late"), code).content.decode()
