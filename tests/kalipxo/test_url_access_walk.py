"""Every URL of the service, called by every kind of caller: who may see and do what.

The table ACCESS below names, for each URL pattern and method, the callers that get
through (a 2xx or a 3xx that is not a redirect to the login page); every other caller must
be turned away (401, 403, 404, or the login page). The walk takes its URLs from the
URLconf itself, so a new URL pattern without an entry in the table fails
`test_every_url_pattern_is_in_the_table`: a new endpoint cannot ship unprotected by
accident. The Django admin (its own staff-only login) is whitelisted as a whole.
"""

import copy
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path
from rest_framework.test import APIClient

from accounts.claims import issue_code
from accounts.models import ClaimCode, ClaimRequest
from artists.models import ApiClient, Artist, PortalAccount, Work
from artists.payees import payee_row
from artists.tokens import api_client_create
from kalipxo import urls as root_urls
from kalipxo.months import add_months
from ledger import accounts
from ledger.adjustments import AdjustmentIn, adjustment_record
from ledger.models import Adjustment
from messaging.models import Report
from messaging.services import artist_message_send, listener_report
from payments.batches import batch_approve, batch_create
from payments.models import Method, PaymentBatch, Verification
from payments.verification import MethodIn, VerificationIn, verification_record
from payouts.models import PayoutRun
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.holds import hold_decide
from payouts.run.start import payout_run_start
from streams.fans import fan_id
from streams.models import Listener, StreamEvent
from streams.revenue import revenue_records_ingest
from tests.factories import ArtistFactory, DistributorFactory, TrackFactory

pytestmark = pytest.mark.django_db(transaction=True)

# --- callers -------------------------------------------------------------------------

ANON = "anonymous"
WRONG = "wrong-token"
INGEST = "ingest"
BILLING = "billing"
DIST_A = "distributor-a"
DIST_B = "distributor-b"
ARTIST_A = "artist-a"  # token bound to distributor A's artist art-a
ARTIST_B = "artist-b"  # token bound to another artist (distributor B's art-b)
ADMIN = "admin"
STAFF = "staff-session"
STAFF_NO_CSRF = "staff-session-without-csrf-token"
ARTIST_WEB = "artist-a-session"  # a portal login of art-a
DIST_WEB = "distributor-a-session"  # a portal login of distributor A

CALLERS = (ANON, WRONG, INGEST, BILLING, DIST_A, DIST_B, ARTIST_A, ARTIST_B, ADMIN, STAFF, STAFF_NO_CSRF,
           ARTIST_WEB, DIST_WEB)  # fmt: skip
EVERYONE = frozenset(CALLERS)
ADMINS = frozenset({ADMIN, STAFF, STAFF_NO_CSRF})
SEES_ART_A = ADMINS | {ARTIST_A, DIST_A, ARTIST_WEB, DIST_WEB}
OWNS_CATALOG_A = ADMINS | {DIST_A, DIST_WEB}
SESSIONS = frozenset({STAFF, STAFF_NO_CSRF, ARTIST_WEB, DIST_WEB})

# --- the table -------------------------------------------------------------------------

ISRC_A = "QZKPX2600501"
ISRC_B = "QZKPX2600502"
GET, POST, PUT = "GET", "POST", "PUT"


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    query: str = ""
    body: Any = None  # JSON body of an unsafe method; callers allowed get a 2xx with it


def event_body() -> dict[str, Any]:
    return {
        "event_id": f"walk-{uuid.uuid4()}", "listener": "LW", "isrc": ISRC_A,
        "started_at": "2026-10-03T12:00:00Z", "duration_ms": 183000, "country": "US", "tier": "premium",
    }  # fmt: skip


THIS_MONTH = f"{datetime.now(UTC):%Y-%m}"
REVENUE = {"id": "walk-inv-1", "listener": "LW", "month": THIS_MONTH, "source": "subscription",
           "plan": "premium", "country": "US", "gross": "9.99", "tax": "0.00", "fees": "0.00"}  # fmt: skip
TRACK_A = {"isrc": ISRC_A, "title": "Renamed by its owner", "duration_ms": 200_000,
           "artist": {"id": "art-a", "name": "Ada"}}  # fmt: skip
WORK_A = {"id": "wrk-a", "title": "Retitled by its owner", "recordings": [{"isrc": ISRC_A, "share": "1"}],
          "writers": [{"payee": {"id": "art-a", "kind": "artist", "name": "Ada"}, "share": "1"}]}  # fmt: skip

# A console form, sent form-encoded rather than as JSON.
FORM_ACCOUNT = (
    "form",
    {"holder": "art-a", "legal_name": "Ada", "method": "paypal", "paypal_email": "ada@example.com"},
)

# (URL pattern as in the URLconf, method) -> who gets through. Unsafe methods never get
# through a session without a CSRF token, so STAFF_NO_CSRF is dropped from them below.
ACCESS: dict[tuple[str, str], Rule] = {
    # API: catalog (a distributor sees and changes only its own; B may list its own catalog)
    ("api/v1/catalog/tracks", GET): Rule(OWNS_CATALOG_A | {DIST_B}),
    ("api/v1/catalog/tracks", POST): Rule(OWNS_CATALOG_A, body=TRACK_A),
    ("api/v1/catalog/tracks/<str:isrc>", GET): Rule(OWNS_CATALOG_A),
    ("api/v1/catalog/works", GET): Rule(OWNS_CATALOG_A | {DIST_B}),
    ("api/v1/catalog/works", POST): Rule(OWNS_CATALOG_A, body=WORK_A),
    ("api/v1/catalog/works/<ext:work_id>", GET): Rule(OWNS_CATALOG_A),
    # API: ingestion
    ("api/v1/streams", POST): Rule(ADMINS | {INGEST}, body="event"),
    ("api/v1/revenue", POST): Rule(ADMINS | {BILLING}, body=REVENUE),
    # API: an artist's money (art-a: its artist, its distributor, admins)
    ("api/v1/artists/<ext:artist_id>/earnings", GET): Rule(SEES_ART_A, query="month=" + THIS_MONTH),
    ("api/v1/artists/<ext:artist_id>/fans", GET): Rule(SEES_ART_A),
    ("api/v1/artists/<ext:artist_id>/review-requests", POST): Rule(
        ADMINS | {ARTIST_A, ARTIST_WEB}, body={"month": THIS_MONTH, "message": "Please look again."}
    ),
    # API: payout runs (admins), statements (the payee's artist and distributor too)
    ("api/v1/payout-runs", GET): Rule(ADMINS),
    ("api/v1/payout-runs", POST): Rule(ADMINS, body="run-month"),
    ("api/v1/payout-runs/<id:run_id>", GET): Rule(ADMINS),
    ("api/v1/payout-runs/<id:run_id>/holds", GET): Rule(ADMINS),
    ("api/v1/payout-runs/<id:run_id>/holds/<id:hold_id>", POST): Rule(ADMINS, body={"decision": "reject"}),
    ("api/v1/payout-runs/<id:run_id>/finalize", POST): Rule(ADMINS, body={}),
    ("api/v1/payout-runs/<id:run_id>/payouts.csv", GET): Rule(ADMINS),
    ("api/v1/payout-runs/<id:run_id>/usage.csv", GET): Rule(ADMINS),
    ("api/v1/payout-runs/<id:run_id>/statements/<ext:payee>.csv", GET): Rule(SEES_ART_A),
    # API: listeners' choices, messages and privacy (the player platform, admins); an
    # artist's messages (the artist itself and admins: not even its distributor)
    ("api/v1/listeners/<ext:listener_id>/preferences", GET): Rule(ADMINS | {INGEST}),
    ("api/v1/listeners/<ext:listener_id>/preferences", PUT): Rule(
        ADMINS | {INGEST},
        body={"display_name": "Fan One", "shown_to_artists": True, "accepts_messages": True},
    ),
    ("api/v1/listeners/<ext:listener_id>/messages", GET): Rule(ADMINS | {INGEST}),
    ("api/v1/listeners/<ext:listener_id>/messages", POST): Rule(
        ADMINS | {INGEST}, body={"artist": "art-a", "body": "Thank you!"}
    ),
    ("api/v1/listeners/<ext:listener_id>/messages/<id:message_id>/read", POST): Rule(
        ADMINS | {INGEST}, body={}
    ),
    ("api/v1/listeners/<ext:listener_id>/blocks", POST): Rule(ADMINS | {INGEST}, body={"artist": "art-b"}),
    ("api/v1/listeners/<ext:listener_id>/reports", POST): Rule(ADMINS | {INGEST}, body="report"),
    ("api/v1/listeners/<ext:listener_id>/export", GET): Rule(ADMINS | {INGEST}),
    ("api/v1/listeners/<ext:listener_id>", "DELETE"): Rule(ADMINS | {INGEST}),
    ("api/v1/artists/<ext:artist_id>/messages", GET): Rule(ADMINS | {ARTIST_A, ARTIST_WEB}),
    ("api/v1/artists/<ext:artist_id>/messages", POST): Rule(
        ADMINS | {ARTIST_A, ARTIST_WEB}, body="fan-message"
    ),
    ("api/v1/artists/<ext:artist_id>/messages/<str:fan_id>", GET): Rule(ADMINS | {ARTIST_A, ARTIST_WEB}),
    ("api/v1/artists/<ext:artist_id>/messages/<str:fan_id>/read", POST): Rule(
        ADMINS | {ARTIST_A, ARTIST_WEB}, body={}
    ),
    # API: exchange rates (admins)
    ("api/v1/fx-rates", GET): Rule(ADMINS, query="month=" + THIS_MONTH),
    ("api/v1/fx-rates", POST): Rule(
        ADMINS, body=[{"date": f"{THIS_MONTH}-01", "currency": "EUR", "rate": "1.0832"}]
    ),
    ("api/v1/fx-rates/month", GET): Rule(ADMINS, query="month=" + THIS_MONTH),
    # API: claim codes (an artist's distributor and admins)
    ("api/v1/artists/<ext:artist_id>/claim-codes", POST): Rule(OWNS_CATALOG_A, body={}),
    # Public: the calculator, the schema and its docs
    # API: deductions' inputs (a distributor reads its own agreements; admins record them)
    ("api/v1/distributors/<str:name>/agreements", GET): Rule(OWNS_CATALOG_A),
    ("api/v1/distributors/<str:name>/agreements", POST): Rule(
        ADMINS, body={"fee_rate": "0.1", "from_month": THIS_MONTH}
    ),
    ("api/v1/payees/<ext:payee_id>/tax-profile", GET): Rule(ADMINS),
    ("api/v1/payees/<ext:payee_id>/tax-profile", PUT): Rule(ADMINS, body={"form": "w9", "country": "US"}),
    # API: payments (admins; a payee's balance: whoever may see the payee)
    ("api/v1/payees/<ext:payee_id>/verification", GET): Rule(ADMINS),
    ("api/v1/payees/<ext:payee_id>/verification", PUT): Rule(ADMINS, body={"status": "unverified"}),
    ("api/v1/payees/<ext:payee_id>/balance", GET): Rule(SEES_ART_A),
    ("api/v1/distributors/<str:name>/verification", GET): Rule(ADMINS),
    ("api/v1/distributors/<str:name>/verification", PUT): Rule(ADMINS, body={"status": "unverified"}),
    ("api/v1/payment-batches", GET): Rule(ADMINS),
    ("api/v1/payment-batches", POST): Rule(ADMINS, body="run-month"),
    ("api/v1/payment-batches/<id:batch_id>", GET): Rule(ADMINS),
    ("api/v1/payment-batches/<id:batch_id>/approve", POST): Rule(ADMINS, body={}),
    ("api/v1/payment-batches/<id:batch_id>/results", POST): Rule(ADMINS, body="payment-result"),
    ("api/v1/payment-batches/<id:batch_id>/sepa.xml", GET): Rule(ADMINS),
    ("api/v1/payment-batches/<id:batch_id>/paypal.csv", GET): Rule(ADMINS),
    ("api/v1/tax-years/<id:year>/summary.csv", GET): Rule(ADMINS),
    ("api/v1/calculator", GET): Rule(EVERYONE, query="model=pro_rata&plays=1000&rate=0.004"),
    ("api/schema/", GET): Rule(EVERYONE),
    ("api/docs/", GET): Rule(EVERYONE),
    ("api/redoc/", GET): Rule(EVERYONE),
    # Pages: public ones, then logins only
    ("", GET): Rule(EVERYONE),
    ("calculator/", GET): Rule(EVERYONE),
    ("login/", GET): Rule(EVERYONE),
    ("logout/", POST): Rule(EVERYONE, body={}),
    ("password/", GET): Rule(SESSIONS),
    ("dashboard/", GET): Rule(SESSIONS),
    ("dashboard/<ext:artist_id>/", GET): Rule(ADMINS & SESSIONS | {ARTIST_WEB, DIST_WEB}),
    ("dashboard/<ext:artist_id>/payouts.csv", GET): Rule(ADMINS & SESSIONS | {ARTIST_WEB, DIST_WEB}),
    ("works/<ext:payee_id>/", GET): Rule(ADMINS & SESSIONS | {ARTIST_WEB, DIST_WEB}),
    ("account/", GET): Rule(SESSIONS),
    ("account/claim/", GET): Rule(SESSIONS),
    # An artist's team: its own logins only (staff see the dashboard, not the team)
    ("dashboard/<ext:artist_id>/team/", GET): Rule(frozenset({ARTIST_WEB})),
    ("dashboard/<ext:artist_id>/team/<id:account_id>/remove", POST): Rule(frozenset({ARTIST_WEB}), body={}),
    ("dashboard/<ext:artist_id>/team/codes/<id:code_id>/revoke", POST): Rule(
        frozenset({ARTIST_WEB}), body={}
    ),
    ("dashboard/<ext:artist_id>/identity/", GET): Rule(ADMINS & SESSIONS | {ARTIST_WEB}),
    # Its messages with fans: its own logins only
    ("dashboard/<ext:artist_id>/messages/", GET): Rule(frozenset({ARTIST_WEB})),
    ("dashboard/<ext:artist_id>/messages/<str:fan_id>/", GET): Rule(frozenset({ARTIST_WEB})),
    ("console/moderation/", GET): Rule(ADMINS & SESSIONS),
    ("console/moderation/<id:report_id>", POST): Rule(ADMINS & SESSIONS, body={}),
    ("console/claims/", GET): Rule(ADMINS & SESSIONS),
    ("console/claims/<id:claim_id>", POST): Rule(ADMINS & SESSIONS, body={}),
    ("console/payments/verifications/<id:verification_id>/document", GET): Rule(ADMINS & SESSIONS),
    ("console/", GET): Rule(ADMINS & SESSIONS),
    ("console/runs/<id:run_id>/", GET): Rule(ADMINS & SESSIONS),
    ("console/payments/", GET): Rule(ADMINS & SESSIONS),
    ("console/payments/accounts", POST): Rule(ADMINS & SESSIONS, body=FORM_ACCOUNT),
    ("console/payments/verifications/<id:verification_id>", POST): Rule(ADMINS & SESSIONS, body={}),
    ("console/payments/batches", POST): Rule(ADMINS & SESSIONS, body={}),
    ("console/payments/adjustments", POST): Rule(ADMINS & SESSIONS, body={}),
    ("console/payments/adjustments/<id:adjustment_id>/approve", POST): Rule(ADMINS & SESSIONS, body={}),
    ("console/payments/batches/<id:batch_id>/approve", POST): Rule(ADMINS & SESSIONS, body={}),
    ("console/payments/batches/<id:batch_id>/results", POST): Rule(ADMINS & SESSIONS, body={}),
}
PUBLIC = {
    "",
    "calculator/",
    "login/",
    "logout/",
    "api/v1/calculator",
    "api/schema/",
    "api/docs/",
    "api/redoc/",
}
# Django's admin (staff only; its login sends to /login/) and allauth's pages (sign-up, e-mail,
# reset, two-factor: its own rules, walked in tests/accounts/test_allauth_pages.py).
WHITELISTED_PREFIXES = ("admin/", "accounts/")


def allowed(route: str, method: str, caller: str) -> bool:
    rule = ACCESS[(route, method)]
    if method != GET and caller == STAFF_NO_CSRF:
        return False
    return caller in rule.allowed


# --- the URLconf ---------------------------------------------------------------------


def url_patterns() -> Iterator[str]:
    """Every route of the URLconf, included ones joined to their prefix."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    yield from walk(get_resolver().url_patterns, "")


def routes_without_a_rule() -> list[str]:
    routes = {route for route in url_patterns() if not route.startswith(WHITELISTED_PREFIXES)}
    return sorted(routes - {route for route, _ in ACCESS})


def test_every_url_pattern_is_in_the_table() -> None:
    missing = routes_without_a_rule()

    assert not missing, f"URL patterns without an access rule in {__name__}.ACCESS: {missing}"
    in_table = {route for route, _ in ACCESS}
    assert in_table <= set(url_patterns()), "rules for URL patterns that no longer exist"


def new_thing(request: HttpRequest) -> HttpResponse:
    return HttpResponse("unprotected")


def test_a_new_endpoint_without_a_rule_is_caught() -> None:
    urlconf = ModuleType("urls_with_a_new_endpoint")
    urlconf.urlpatterns = [*root_urls.urlpatterns, path("api/v1/new-thing", new_thing)]  # type: ignore[attr-defined]

    with override_settings(ROOT_URLCONF=urlconf):
        assert routes_without_a_rule() == ["api/v1/new-thing"]


def test_public_urls_are_public_and_only_they_are() -> None:
    public = {route for (route, _), rule in ACCESS.items() if ANON in rule.allowed}

    assert public == PUBLIC


# --- the world the walk runs in ------------------------------------------------------


@dataclass
class World:
    run: PayoutRun
    hold_id: int
    clients: dict[str, APIClient]
    batch: PaymentBatch
    message_id: int

    def url(self, route: str) -> str:
        values = {"artist_id": "art-a", "isrc": ISRC_A, "run_id": self.run.pk, "hold_id": self.hold_id,
                  "payee": "art-a", "work_id": "wrk-a", "payee_id": "art-a", "name": "Distro A",
                  "batch_id": self.batch.pk, "year": self.run.month.year,
                  "verification_id": Verification.objects.get(payee_id="art-a").pk,
                  "adjustment_id": Adjustment.objects.get().pk, "listener_id": "LF1",
                  "message_id": self.message_id, "fan_id": FAN_A,
                  "account_id": PortalAccount.objects.get(artist_id="art-a").pk,
                  "claim_id": ClaimRequest.objects.get().pk,
                  "report_id": Report.objects.get().pk,
                  "code_id": ClaimCode.objects.get().pk}  # fmt: skip

        def fill(match: re.Match[str]) -> str:
            name = match[1]
            assert name in values, f"no value for <{name}> in {route!r}: add one to World.url"
            return str(values[name])

        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)


def paid_last_month(a_track: str, b_track: str) -> PayoutRun:
    """Last month streamed by two fans and a bot, run in-process and finalized (bot rejected)."""
    first = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (first - timedelta(days=1)).replace(day=1)
    Listener.objects.bulk_create([Listener(id=name) for name in ("LF1", "LF2", "LBOT")])
    plays = [("LF1", a_track, 5), ("LF1", b_track, 5), ("LF2", a_track, 3), ("LBOT", b_track, 1_001)]
    StreamEvent.objects.bulk_create(
        StreamEvent(event_id=f"walk-{listener}-{isrc}-{n}", listener_id=listener, isrc=isrc,
                    started_at=start + timedelta(days=2, seconds=n), duration_ms=200_000,
                    country="US", tier="premium")
        for listener, isrc, count in plays for n in range(count)
    )  # fmt: skip
    revenue_records_ingest(
        items=[
            {"id": f"walk-{listener}", "listener": listener, "month": f"{start:%Y-%m}",
             "source": "subscription", "plan": "premium", "country": "US", "gross": "9.99", "tax": "0.00",
             "fees": "0.00"}
            for listener in ("LF1", "LF2")
        ]
    )  # fmt: skip
    run, _ = payout_run_start(month=start.date(), requested_by="walk", dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    for hold in run.holds.all():
        hold_decide(run_id=run.pk, hold_id=hold.pk, decision="reject", decided_by="walk", dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == PayoutRun.Status.COMPUTED, run.failure_reason
    return payout_run_finalize(run_id=run.pk, finalized_by="walk")


def paid_out(run: PayoutRun) -> PaymentBatch:
    """The month's payment batch, approved, paying art-a (verified with a bank account)."""
    payee = payee_row("art-a")
    assert payee is not None
    method = MethodIn(Method.IBAN, iban="DE89370400440532013000", holder="Ada")
    verification_record(holder=payee, data=VerificationIn("verified", "Ada", method, ""), actor="walk")
    batch, _ = batch_create(month=run.month, actor="walk-creator")
    this_month = add_months(run.month, 1)
    adjustment_record(
        data=AdjustmentIn(accounts.payable("art-a"), this_month, 100, "walk"), created_by="walk"
    )
    assert batch.payments.count() == 1
    return batch_approve(batch=batch, actor="walk-approver")


FAN_A = fan_id(artist_id="art-a", listener_id="LF1")


def conversation_started(artist: Artist) -> int:
    """LF1, who played art-a last month, accepts messages; art-a has written to it."""
    Listener.objects.filter(pk="LF1").update(accepts_messages=True)
    message, _ = artist_message_send(artist=artist, handle=FAN_A, body="Thanks for listening!")
    return message.pk


def bearer(role: str, **scope: str) -> APIClient:
    _, token = api_client_create(name=f"walk-{role}-{uuid.uuid4().hex[:6]}", role=role, **scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def session(*, csrf: bool = True, **user: Any) -> APIClient:
    account = user.pop("account", {})
    login = get_user_model().objects.create_user(username=f"walk-{uuid.uuid4().hex[:8]}", **user)
    if account:
        PortalAccount.objects.create(user=login, **account)
    client = APIClient(enforce_csrf_checks=not csrf)
    client.force_login(login)
    return client


def with_document(verification: Verification) -> None:
    verification.document.save("walk.pdf", ContentFile(b"%PDF-1.4 walk"), save=False)
    verification.document_name, verification.document_type = "passport.pdf", "application/pdf"
    verification.save()


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


@pytest.fixture
def world() -> World:
    """Distributors A and B with an artist and a track each, a work of A, last month paid,
    and a client for every kind of caller."""
    dist_a, dist_b = DistributorFactory.create(name="Distro A"), DistributorFactory.create(name="Distro B")
    art_a = ArtistFactory(id="art-a", name="Ada", distributor=dist_a)
    art_b = ArtistFactory(id="art-b", name="Bram", distributor=dist_b)
    TrackFactory(isrc=ISRC_A, artist=art_a)
    TrackFactory(isrc=ISRC_B, artist=art_b)
    Work.objects.create(id="wrk-a", title="Ada's song", distributor=dist_a)
    run = paid_last_month(ISRC_A, ISRC_B)
    hold = run.holds.get()
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer kx_not-a-real-token")
    clients = {
        ANON: APIClient(),
        WRONG: wrong,
        INGEST: bearer(ApiClient.Role.INGEST),
        BILLING: bearer(ApiClient.Role.BILLING),
        DIST_A: bearer(ApiClient.Role.DISTRIBUTOR, distributor_name="Distro A"),
        DIST_B: bearer(ApiClient.Role.DISTRIBUTOR, distributor_name="Distro B"),
        ARTIST_A: bearer(ApiClient.Role.ARTIST, artist_id="art-a"),
        ARTIST_B: bearer(ApiClient.Role.ARTIST, artist_id="art-b"),
        ADMIN: bearer(ApiClient.Role.ADMIN),
        STAFF: session(is_staff=True),
        STAFF_NO_CSRF: session(csrf=False, is_staff=True),
        ARTIST_WEB: session(account={"artist": Artist.objects.get(pk="art-a")}),
        DIST_WEB: session(account={"distributor": dist_a}),
    }
    assert set(clients) == EVERYONE
    for client in clients.values():
        client.raise_request_exception = False
    message_id = conversation_started(Artist.objects.get(pk="art-a"))
    claimant = get_user_model().objects.create_user(username="walk-claimant")
    ClaimRequest.objects.create(user=claimant, artist=Artist.objects.get(pk="art-b"), note="It is me")
    issue_code(artist=Artist.objects.get(pk="art-a"), role="viewer", issued_by="walk")
    listener_report(listener_id="LF1", message_id=message_id, reason="walk")
    batch = paid_out(run)
    with_document(Verification.objects.get(payee_id="art-a"))
    return World(run=run, hold_id=hold.pk, clients=clients, batch=batch, message_id=message_id)


# --- the walk --------------------------------------------------------------------------


def outcome(response: Any) -> str:
    """ "ok" (got through), "denied" (turned away) or the status code (anything else)."""
    code = response.status_code
    if code in (401, 403, 404):
        return "denied"
    if code in (301, 302, 303) and "/login/" in response.get("Location", ""):
        return "denied"
    if 200 <= code < 400:
        return "ok"
    return str(code)


def call(world: World, caller: str, method: str, url: str, body: Any) -> Any:
    """One request, its effects rolled back so that every caller finds the same world."""
    client = world.clients[caller]
    cookies = copy.deepcopy(client.cookies)  # a logout must not log the next call out
    with transaction.atomic():
        if method == GET:
            response = client.get(url)
        else:
            if body == "event":
                body = event_body()
            elif body == "run-month":
                body = {"month": f"{world.run.month:%Y-%m}"}
            elif body == "payment-result":
                body = [{"reference": world.batch.payments.get().reference, "status": "paid"}]
            elif body == "report":
                body = {"message": world.message_id, "reason": "Not what I signed up for."}
            elif body == "fan-message":
                body = {"fan_id": FAN_A, "body": f"A new song is out {uuid.uuid4().hex[:6]}"}
            if isinstance(body, tuple):
                response = client.post(url, body[1])
            else:
                data = b"" if body is None else _json(body)
                response = client.generic(method, url, data, "application/json")  # type: ignore[arg-type]
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


def test_who_may_see_what(world: World) -> None:
    wrong: list[str] = []
    for (route, method), rule in ACCESS.items():
        url = world.url(route) + (f"?{rule.query}" if rule.query else "")
        for caller in CALLERS:
            response = call(world, caller, method, url, rule.body)
            expected = "ok" if allowed(route, method, caller) else "denied"
            got = outcome(response)
            if got != expected:
                wrong.append(
                    f"{method} /{route} as {caller}: expected {expected}, got {response.status_code} "
                    f"{getattr(response, 'content', b'')[:120]!r}"
                )
    assert not wrong, f"{len(wrong)} calls disagree with the table:\n" + "\n".join(wrong)


def test_unsafe_methods_a_url_does_not_take_are_never_answered(world: World) -> None:
    """DELETE and PUT on every API URL: turned away, or 405 for callers who got through."""
    wrong: list[str] = []
    api_routes = sorted({route for route, _ in ACCESS if route.startswith("api/")})
    for route in api_routes:
        url = world.url(route)
        for caller in CALLERS:
            for method in ("DELETE", "PUT"):
                if (route, method) in ACCESS:
                    continue
                response = call(world, caller, method, url, {})
                code = response.status_code
                public = route in PUBLIC
                ok = code in (401, 403, 404, 405) and (
                    public or caller not in (ANON, WRONG) or code in (401, 403)
                )
                if not ok:
                    wrong.append(f"{method} /{route} as {caller}: {code}")
    assert not wrong, "\n".join(wrong)


def test_static_files_are_public(anon_api: APIClient) -> None:
    response = anon_api.get("/static/frontend/common.js")

    assert response.status_code == 200
