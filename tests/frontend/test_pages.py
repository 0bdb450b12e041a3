"""The pages through HTTP: who may open what, what they show, and the strict CSP they run under."""

import re
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from frontend import dashboard_selectors, selectors
from kalipxo.months import (
    add_months,
    current_month,
    month_end,
    month_name,
    month_start,
    same_point_last_month,
)
from kalipxo.urls import handler500
from payouts.models import PayoutRun, ReviewRequest
from payouts.reviews import review_request_create
from streams.live import dispatch, updates
from streams.models import StreamEvent
from tests.factories import ArtistFactory
from tests.frontend.conftest import PASSWORD

pytestmark = pytest.mark.django_db


class ScriptAudit(HTMLParser):
    """Collects <script> tags and style attributes, to prove the page needs no unsafe-inline."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.script_sources: list[str] = []
        self.style_attributes = 0
        self.style_tags = 0
        self.handlers = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            if values.get("src"):
                self.script_sources.append(values["src"] or "")
            elif values.get("type") != "application/json":
                self.inline_scripts += 1
        if tag == "style":
            self.style_tags += 1
        if "style" in values:
            self.style_attributes += 1
        self.handlers += sum(1 for name in values if name.startswith("on"))


def audit(html: str) -> ScriptAudit:
    parser = ScriptAudit()
    parser.feed(html)
    return parser


def assert_strict_page(response: Any) -> ScriptAudit:
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    found = audit(response.content.decode())
    assert found.inline_scripts == 0
    assert found.style_attributes == 0
    assert found.style_tags == 0
    assert found.handlers == 0
    assert all(src.startswith("/static/") for src in found.script_sources), found.script_sources
    return found


# ---------------------------------------------------------------------------- public pages


def test_landing_page_is_public_and_links_calculator_and_login(client: Client) -> None:
    response = client.get("/")
    assert_strict_page(response)
    html = response.content.decode()
    assert 'href="/calculator/"' in html
    assert 'href="/login/"' in html


def test_calculator_is_public_and_loads_chart_js_from_our_static_files(client: Client) -> None:
    response = client.get("/calculator/")
    found = assert_strict_page(response)
    assert "/static/vendor/chart.js/chart.umd.min.js" in found.script_sources
    html = response.content.decode()
    for name in ("price", "listener_streams", "artist_streams", "plays", "base", "base_plays",
                 "curve_plays", "floor_ratio", "exponent"):  # fmt: skip
        assert re.search(rf'<label for="{name}">', html), f"input {name} has no label"


def test_chart_js_is_served_by_the_app(client: Client) -> None:
    response = client.get("/static/vendor/chart.js/chart.umd.min.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert b"Chart" in body[:5000]


def test_api_docs_keep_working_without_the_strict_policy(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_admin_login_page_is_the_login_page(client: Client) -> None:
    response = client.get("/admin/login/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/login/?next=")
    assert "script-src 'self'" in response["Content-Security-Policy"]


# ---------------------------------------------------------------------------- login


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/dashboard/art-a/", "/console/", "/console/runs/1/", "/password/"]
)
def test_anonymous_visitors_are_sent_to_the_login_page(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_login_page_has_labelled_fields(client: Client) -> None:
    response = client.get("/login/")
    assert_strict_page(response)
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html


def test_artist_logs_in_and_lands_on_their_own_dashboard(
    client: Client, catalog: dict, make_user: Any
) -> None:
    make_user("ada", artist=catalog["artists"][0])
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/")["Location"] == "/dashboard/art-a/"


def test_staff_log_in_to_the_console(client: Client, make_user: Any) -> None:
    make_user("boss", is_staff=True)
    response = client.post("/login/", {"username": "boss", "password": PASSWORD})
    assert response["Location"] == "/console/"


def test_login_honours_a_safe_next_and_ignores_another_host(
    client: Client, catalog: dict, make_user: Any
) -> None:
    make_user("ada", artist=catalog["artists"][0])
    response = client.post("/login/", {"username": "ada", "password": PASSWORD, "next": "/calculator/"})
    assert response["Location"] == "/calculator/"
    client.post("/logout/")
    response = client.post(
        "/login/", {"username": "ada", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/dashboard/"


def test_wrong_password_shows_an_error(client: Client, make_user: Any) -> None:
    make_user("wrongpw-user")
    response = client.post("/login/", {"username": "wrongpw-user", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(artist_client: Client) -> None:
    response = artist_client.post("/logout/")
    assert response.status_code == 302
    assert artist_client.get("/dashboard/").status_code == 302


def test_password_change(client: Client, catalog: dict, make_user: Any) -> None:
    make_user("ada", artist=catalog["artists"][0])
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    page = client.get("/password/")
    assert_strict_page(page)
    new = "an-even-longer-passphrase-77"
    response = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    client.post("/logout/")
    assert client.login(username="ada", password=new)


def test_password_change_errors_are_tied_to_their_inputs(artist_client: Client) -> None:
    response = artist_client.post(
        "/password/", {"old_password": "not-it", "new_password1": "x", "new_password2": "y"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_old_password_error' in html


# ---------------------------------------------------------------------------- dashboard access


def test_artist_sees_their_dashboard(artist_client: Client) -> None:
    response = artist_client.get("/dashboard/art-a/")
    assert_strict_page(response)
    html = response.content.decode()
    assert "Ada Lantern" in html
    assert "Estimate" in html
    assert 'id="dashboard-data"' in html


@pytest.mark.parametrize("other", ["art-b", "art-c", "no-such-artist"])
def test_artist_cannot_open_another_artists_dashboard(artist_client: Client, other: str) -> None:
    assert artist_client.get(f"/dashboard/{other}/").status_code == 404
    assert artist_client.get(f"/dashboard/{other}/payouts.csv").status_code == 404


def test_artist_cannot_pick_another_artist_either(artist_client: Client) -> None:
    response = artist_client.get("/dashboard/?artist=art-b")
    assert response["Location"] == "/dashboard/art-a/"


def test_artist_cannot_open_the_console(artist_client: Client) -> None:
    assert artist_client.get("/console/").status_code == 403
    assert artist_client.get("/console/runs/1/").status_code == 403


def test_distributor_login_sees_only_its_own_artists(client: Client, catalog: dict, make_user: Any) -> None:
    north, _ = catalog["distributors"]
    client.force_login(make_user("north-ops", distributor=north))
    picker = client.get("/dashboard/")
    assert picker.status_code == 200
    html = picker.content.decode()
    assert "Ada Lantern" in html and "Bram Harbor" in html
    assert "Cleo Orchard" not in html
    assert client.get("/dashboard/?artist=art-b")["Location"] == "/dashboard/art-b/"
    assert client.get("/dashboard/art-b/").status_code == 200
    assert client.get("/dashboard/art-c/").status_code == 404
    assert client.get("/console/").status_code == 403


def test_staff_pick_any_artist(staff_client: Client, catalog: dict) -> None:
    picker = staff_client.get("/dashboard/")
    assert picker.status_code == 200
    assert "Cleo Orchard" in picker.content.decode()
    response = staff_client.get("/dashboard/art-c/")
    assert response.status_code == 200
    assert 'id="artist-picker"' in response.content.decode()


def test_a_login_linked_to_nobody_is_sent_to_claim_an_artist(client: Client, make_user: Any) -> None:
    client.force_login(make_user("loner"))
    response = client.get("/dashboard/", follow=True)
    assert response.redirect_chain == [("/account/claim/", 302)]
    assert "Claim your artist profile" in response.content.decode()


# ---------------------------------------------------------------------------- dashboard content


def test_dashboard_figures_equal_the_earnings_api(artist_client: Client) -> None:
    page = artist_client.get("/dashboard/art-a/")
    api = artist_client.get("/api/v1/artists/art-a/earnings").json()
    data = page.context["page_data"]["earnings"]
    for field in ("amount", "gross", "streams", "listeners", "per_stream", "pro_rata_amount"):
        assert data[field] == api[field], field
    html = page.content.decode()
    assert f'<p class="big-figure" id="est-amount">${Decimal(api["amount"]):,}</p>' in html
    assert f'<dd id="est-streams">{api["streams"]:,}</dd>' in html
    assert api["streams"] > 0


def test_dashboard_tracks_show_streams_and_the_artists_share_after_splits(artist_client: Client) -> None:
    page = artist_client.get("/dashboard/art-a/")
    tracks = {row["isrc"]: row for row in page.context["open_tracks"]}
    assert set(tracks) == {"QZKPX2600101", "QZKPX2600102"}
    split_track = tracks["QZKPX2600102"]
    assert split_track["split"] == "75.0"
    qualifying = sum(row["streams"] for row in tracks.values())
    assert qualifying == page.context["data"]["earnings"]["streams"]


def test_streams_per_day_cover_the_month_so_far(artist_client: Client) -> None:
    data = artist_client.get("/dashboard/art-a/").context["data"]
    days = data["daily"]
    assert days[0]["day"].endswith("-01")
    assert len(days) == data["day"]
    assert sum(d["streams"] for d in days) == data["earnings"]["streams"]


def test_fans_are_named_only_when_they_opted_in(artist_client: Client) -> None:
    fans = artist_client.get("/dashboard/art-a/").context["data"]["fans"]
    names = {fan["fan"] for fan in fans}
    assert {"fan0", "fan2"} <= names
    assert not names & {"fan1", "fan3", "LT0", "LT1", "LT2", "LT3"}


def test_the_three_models_are_compared_with_a_reason(artist_client: Client) -> None:
    comparison = artist_client.get("/dashboard/art-a/").context["data"]["comparison"]
    assert set(comparison) >= {"user_centric", "pro_rata", "progressive", "why", "progressive_note"}
    # Nobody is near 500,000 plays: every play is worth the base value, as pro-rata pays.
    assert comparison["progressive"]["amount"] == comparison["pro_rata"]["amount"]
    assert "500,000" in comparison["progressive_note"]


def test_history_has_twelve_months_ending_with_this_months_estimate(artist_client: Client) -> None:
    history = artist_client.get("/dashboard/art-a/").context["data"]["history"]
    assert len(history) == 12
    assert history[-1]["status"] == "estimate"
    assert history[-1]["month"] == selectors.month_key(current_month())


def _text_of(html: str, element_id: str) -> str:
    """The text of the element with this id, tags dropped and white space collapsed."""
    found = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, element_id
    return " ".join(re.sub(r"<[^>]+>", "", found[2]).split())


def test_the_progressive_note_states_what_the_two_figures_on_the_page_show(artist_client: Client) -> None:
    html = artist_client.get("/dashboard/art-a/").content.decode()
    progressive, pro_rata = _text_of(html, "cmp-pg"), _text_of(html, "cmp-pr")
    note = _text_of(html, "cmp-why")
    assert progressive == pro_rata
    assert f"pays what pro-rata pays ({progressive})" in note


@pytest.mark.parametrize(
    ("progressive", "pro_rata", "says", "never"),
    [
        ("12.34", "12.31", "pays you $0.03 more than pro-rata", "pays what pro-rata pays"),
        ("12.30", "12.31", "pays you $0.01 less than pro-rata", "pays what pro-rata pays"),
        ("12.31", "12.31", "pays what pro-rata pays ($12.31)", "more than"),
    ],
)
def test_the_progressive_note_never_claims_equal_figures_that_differ(
    progressive: str, pro_rata: str, says: str, never: str
) -> None:
    # Nobody past the base plays: the note used to say "exactly what pro-rata pays" whatever
    # the two amounts were.
    quiet_month = dashboard_selectors.ProgressiveComparison(
        Fraction(0), artist_plays=10, top_plays=40, base_plays=500_000
    )
    note = dashboard_selectors.progressive_note(quiet_month, progressive=progressive, pro_rata=pro_rata)
    assert says in note
    assert never not in note


def _plays_last_month(listener: str, isrc: str, times: list[datetime]) -> None:
    StreamEvent.objects.bulk_create(
        StreamEvent(
            event_id=f"lm-{uuid.uuid4()}", listener_id=listener, isrc=isrc, started_at=at,
            duration_ms=200_000, country="US", tier="premium",
        )
        for at in times
    )  # fmt: skip


def test_this_month_is_paced_against_the_same_point_of_last_month(artist_client: Client) -> None:
    now = datetime.now(UTC)
    previous = add_months(current_month(now), -1)
    point = same_point_last_month(now)
    start = month_start(previous)
    before = [start + (point - start) / 2] * 4
    after = [point + (month_end(previous) - point) / 2] * 3 if point < month_end(previous) else []
    _plays_last_month("LT0", "QZKPX2600101", before + after)
    if dispatch.live_enabled():
        updates.rebuild_month(previous)

    html = artist_client.get("/dashboard/art-a/").content.decode()
    now_api = artist_client.get("/api/v1/artists/art-a/earnings").json()
    last_api = artist_client.get(f"/api/v1/artists/art-a/earnings?month={previous:%Y-%m}").json()
    streams = now_api["streams"]
    # Against the 4 plays by the same point, not the 7 of the whole month.
    change = (Decimal(streams - 4) * 100 / 4).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert _text_of(html, "pace-change") == f"{'+' if change > 0 else ''}{change}%".replace("-", "−")
    projected = (Decimal(last_api["amount"]) * streams / 4).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )
    assert _text_of(html, "pace-projected") == f"${projected:,}"
    note = _text_of(html, "pace-note")
    assert f"{streams:,} streams so far, against 4 by the same point of {month_name(previous)}" in note
    assert f"${Decimal(last_api['amount']):,}" in note
    assert "estimate" in _text_of(html, "pace-note")


def test_with_no_plays_by_the_same_point_last_month_there_is_no_pace(artist_client: Client) -> None:
    html = artist_client.get("/dashboard/art-a/").content.decode()
    assert _text_of(html, "pace-change") == "–"
    assert _text_of(html, "pace-projected") == "–"
    assert "there is no pace or projection yet" in _text_of(html, "pace-note")


def test_a_whole_month_is_compared_only_between_two_final_months() -> None:
    rows = [
        {"month": "2026-10", "month_name": "October 2026", "amount": "12.00"},
        {"month": "2026-09", "month_name": "September 2026", "amount": "10.00"},
    ]
    assert (
        dashboard_selectors.finals_change(rows)
        == "October 2026 paid you $12.00, +20.0% against September 2026 ($10.00)."
    )
    assert dashboard_selectors.finals_change(rows[:1]) is None
    assert dashboard_selectors.finals_change([rows[0], {**rows[1], "month": "2026-08"}]) is None


def test_days_without_plays_are_on_the_daily_axis_at_zero(artist_client: Client) -> None:
    data = artist_client.get("/dashboard/art-a/").context["data"]
    today = datetime.now(UTC).date()
    expected = [f"{today.replace(day=day):%Y-%m-%d}" for day in range(1, today.day + 1)]
    assert [d["day"] for d in data["daily"]] == expected
    played = {e.started_at.date() for e in StreamEvent.objects.filter(duration_ms__gte=30_000)}
    for day in data["daily"]:
        if date.fromisoformat(day["day"]) not in played:
            assert day["streams"] == 0


def test_the_bound_note_is_shown_only_from_half_a_cent(artist_client: Client) -> None:
    html = artist_client.get("/dashboard/art-a/").content.decode()
    bound = Decimal(artist_client.get("/api/v1/artists/art-a/earnings").json().get("bound", "0"))
    hidden = re.search(r'<p class="small muted" id="est-bound"( hidden)?>', html)
    assert hidden is not None
    assert bool(hidden[1]) == (bound < Decimal("0.005"))


def test_payout_history_csv_has_a_header_row(artist_client: Client) -> None:
    response = artist_client.get("/dashboard/art-a/payouts.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0].startswith("artist,month,run_id,gross,amount")


# ---------------------------------------------------------------------------- console


def test_console_is_for_staff(staff_client: Client) -> None:
    response = staff_client.get("/console/")
    assert_strict_page(response)
    html = response.content.decode()
    assert '<label for="run-month">' in html


def test_console_lists_open_review_requests_with_their_months_run(staff_client: Client) -> None:
    artist = ArtistFactory.create(name="Nadia Vale")
    october, september = date(2026, 10, 1), date(2026, 9, 1)
    run = PayoutRun.objects.create(month=october, policy={"minor_exponent": 2})
    review_request_create(
        artist_id=artist.id, month=october, message="Fans <b>are</b> real", requested_by="nadia"
    )
    review_request_create(artist_id=artist.id, month=september, message="No run yet", requested_by="nadia")
    done = review_request_create(artist_id=artist.id, month=october, message="Old one", requested_by="nadia")
    ReviewRequest.objects.filter(pk=done.pk).update(resolved_at=timezone.now())

    html = staff_client.get("/console/").content.decode()
    table = html[html.index('id="reviews-table"') :]
    rows = re.findall(r"<tr>\s*<td><time.*?</tr>", table, re.S)
    assert len(rows) == 2  # the resolved request is gone
    assert "Fans &lt;b&gt;are&lt;/b&gt; real" in rows[0] and "2026-10" in rows[0]
    assert f'href="/console/runs/{run.pk}/"' in rows[0]
    assert "No run yet" in rows[1] and "/console/runs/" not in rows[1]
    assert "/admin/payouts/reviewrequest/" in rows[1]


def test_console_says_when_no_review_request_is_open(staff_client: Client) -> None:
    assert "No open review requests." in staff_client.get("/console/").content.decode()


def test_unknown_run_is_a_404(staff_client: Client) -> None:
    assert staff_client.get("/console/runs/987654/").status_code == 404


# ---------------------------------------------------------------------------- Django admin


def test_an_admin_creates_an_artist_login_in_the_django_admin(
    client: Client, catalog: dict, make_user: Any
) -> None:
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    page = client.get("/admin/auth/user/add/")
    assert "Dashboard access" in page.content.decode()
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "bram-login",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "portal_account-TOTAL_FORMS": "1",
            "portal_account-INITIAL_FORMS": "0",
            "portal_account-MIN_NUM_FORMS": "0",
            "portal_account-MAX_NUM_FORMS": "1",
            "portal_account-0-artist": "art-b",
            "portal_account-0-role": "owner",  # the select's default, as a browser sends it
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    artist = Client()
    artist.post("/login/", {"username": "bram-login", "password": PASSWORD})
    assert artist.get("/dashboard/")["Location"] == "/dashboard/art-b/"


def test_a_missing_page_is_a_page_of_the_site_and_the_api_answers_json(client: Client) -> None:
    """Not Django's bare "Not Found": the site's own page, with a way back; the API keeps JSON."""
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    text = page.content.decode()
    assert "<h1>Page not found</h1>" in text and 'href="/"' in text and 'class="site-header"' in text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["detail"].startswith("Not found.")


def test_a_server_error_page_says_nothing_was_stored() -> None:
    """The 500 page stands alone (no site template that could fail again while rendering)."""
    answer = handler500(RequestFactory().get("/dashboard/"))
    assert answer.status_code == 500
    assert "nothing was stored" in answer.content.decode() and "{%" not in answer.content.decode()
