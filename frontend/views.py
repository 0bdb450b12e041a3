"""The pages. Thin: decide who may see what (artists.access), gather data (the frontend and
payouts selector modules), render. Interactive parts talk to the JSON API from the page scripts."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.adapter import home_url
from accounts.login import finish_login, two_factor_missing
from artists.access import Actor, can_view_artist, can_view_payee
from artists.models import Artist, Payee
from frontend import (
    console_selectors,
    dashboard_selectors,
    payments_selectors,
    selectors,
    settlement_selectors,
    works_selectors,
)
from frontend.forms import LoginForm, PasswordForm
from kalipxo.months import add_months, month_name
from kalipxo.validation import parse_month
from messaging import selectors as message_selectors
from payouts import artist_selectors
from payouts import selectors as run_selectors
from payouts.statements import SafeWriter


def _actor(request: HttpRequest) -> Actor | None:
    return Actor.for_user(request.user)


def _forbidden(request: HttpRequest, heading: str, message: str) -> HttpResponse:
    return render(request, "frontend/error.html", {"heading": heading, "message": message}, status=403)


# ---------------------------------------------------------------------------- public


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/landing.html", {"nav": "landing"})


def calculator(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/calculator.html", {"nav": "calculator"})


class LoginView(auth_views.LoginView):
    template_name = "frontend/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    extra_context = {"nav": "login"}

    def get_default_redirect_url(self) -> str:
        return home_url(self.request.user)

    def form_valid(self, form: Any) -> HttpResponse:
        # Without a safe ?next=, allauth asks home_url once the user is logged in.
        return finish_login(self.request, form.get_user(), redirect_url=self.get_redirect_url() or None)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "frontend/password_change.html"
    form_class = PasswordForm
    extra_context = {"nav": "password"}

    def get_success_url(self) -> str:
        messages.success(self.request, "Your password has been changed.")
        return home_url(self.request.user)


# ---------------------------------------------------------------------------- artist dashboard


def _visible_artist(actor: Actor, artist_id: str) -> Artist:
    """The artist, if this actor may see it; otherwise 404, so ids of others are not confirmed."""
    artist = Artist.objects.filter(pk=artist_id).first()
    if artist is None or not can_view_artist(
        actor, artist_id=artist.id, artist_distributor_id=artist.distributor_id
    ):
        raise Http404("No such artist that you may see.")
    return artist


@login_required
def dashboard_home(request: HttpRequest) -> HttpResponse:
    """An artist's own dashboard; staff and distributors first pick an artist."""
    actor = _actor(request)
    if actor is None:  # signed up, no artist yet: claim one
        return redirect("account-claim")
    if actor.artist_id:
        return redirect("artist-dashboard", artist_id=actor.artist_id)
    if actor.payee_id:
        return redirect("payee-works", payee_id=actor.payee_id)
    chosen = request.GET.get("artist")
    if chosen:
        return redirect("artist-dashboard", artist_id=_visible_artist(actor, chosen).id)
    page = request.GET.get("page", "1")
    picker = console_selectors.artist_picker(
        actor, query=request.GET.get("q", ""), page=int(page) if page.isdigit() else 1
    )
    return render(request, "frontend/artist_picker.html", {"nav": "dashboard", "picker": picker})


def _month_param(request: HttpRequest, name: str = "month") -> date | None:
    raw = request.GET.get(name)
    if not raw:
        return None
    parsed = parse_month(raw)
    return None if isinstance(parsed, str) else parsed


@login_required
def payee_works(request: HttpRequest, payee_id: str) -> HttpResponse:
    """A writer's or publisher's works, this month's estimate of them and its statements."""
    actor = _actor(request)
    payee = Payee.objects.filter(pk=payee_id).first()
    artist = None if payee else Artist.objects.filter(pk=payee_id).first()
    if artist is not None:  # an artist with no payee row yet: its own payee id, no works
        payee = Payee(
            id=artist.id, kind=Payee.Kind.ARTIST, name=artist.name, distributor_id=artist.distributor_id
        )
    if (
        actor is None
        or payee is None
        or not can_view_payee(actor, payee_id=payee.id, payee_distributor_id=payee.distributor_id)
    ):
        raise Http404("No such payee that you may see.")
    data = works_selectors.works_data(payee=payee)
    return render(request, "frontend/works.html", {"nav": "dashboard", "data": data})


@login_required
def artist_dashboard(request: HttpRequest, artist_id: str) -> HttpResponse:
    actor = _actor(request)
    if actor is None:
        raise Http404("No such artist that you may see.")
    artist = _visible_artist(actor, artist_id)
    data = dashboard_selectors.dashboard_data(artist=artist)
    final_months = [row["month"] for row in data["final_months"]]
    chosen = _month_param(request)
    detail_month = selectors.month_key(chosen) if chosen else None
    if detail_month not in final_months:
        detail_month = None
    settle_month = detail_month or (final_months[0] if final_months else None)
    final = (
        settlement_selectors.final_month_details(
            artist_id=artist.id, month=selectors.month_from_key(settle_month)
        )
        if settle_month
        else {"tracks": [], "chain": None, "chain_note": None}
    )
    this_month = selectors.month_from_key(data["month"])
    hold_months = [this_month, add_months(this_month, -1), add_months(this_month, -2)]
    holds = settlement_selectors.artist_holds(artist_id=artist.id, months=hold_months)
    member = actor.artist_id == artist.id
    can_write = member and not actor.viewer  # its owners write to fans
    writable = (
        message_selectors.writable_fans(artist, [f["fan_id"] for f in data["fans"]]) if can_write else set()
    )
    context = {
        "nav": "dashboard",
        "data": data,
        "artist": artist,
        "can_pick": not actor.artist_id,
        "can_request_review": member,
        "member": member,
        "can_write": can_write,
        "writable": writable,
        "unread_messages": message_selectors.artist_unread(artist) if member else 0,
        "picker_artists": selectors.visible_artists(actor) if not actor.artist_id else [],
        "detail_month": detail_month,
        "settle_month": settle_month,
        "settle_month_name": (month_name(selectors.month_from_key(settle_month)) if settle_month else None),
        "open_tracks": (
            []
            if detail_month
            else dashboard_selectors.open_month_tracks(artist_id=artist.id, month=this_month)
        ),
        "final": final,
        "holds": holds,
        "statements": artist_selectors.artist_statements(artist.id),
        "money": payments_selectors.payee_money(
            Payee.objects.filter(pk=artist.id).first(), payee_id=artist.id
        ),
        "page_data": {
            "artist": artist.id,
            "month": data["month"],
            "earnings": data["earnings"],
            "last": data["last"],
            "history": data["history"],
            "daily": data["daily"],
            "fans": data["fans"],
            "pace": data["pace"],
            "comparison": {key: data["comparison"][key] for key in ("user_centric", "pro_rata")},
            "review_outcomes": settlement_selectors.review_outcomes(
                months=sorted({hold["month"] for hold in holds}), final_months=final_months
            ),
            "poll_seconds": 4,
            # Where "Write" beside a top fan leads (owners only): this + its fan_id + "/".
            "conversation_base": reverse("artist-messages", args=[artist.id]) if can_write else "",
            "writable": sorted(writable),
        },
    }
    return render(request, "frontend/dashboard.html", context)


@login_required
def artist_payouts_csv(request: HttpRequest, artist_id: str) -> HttpResponse:
    """The artist's finalized months as CSV: one row per month."""
    actor = _actor(request)
    if actor is None:
        raise Http404("No such artist that you may see.")
    artist = _visible_artist(actor, artist_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kalipxo-payouts-{artist.id}.csv"'
    writer = SafeWriter(response)  # no formula injection in a spreadsheet
    columns = [
        "month",
        "run_id",
        "gross",
        "amount",
        "streams",
        "listeners",
        "pro_rata_amount",
        "progressive_amount",
    ]
    writer.writerow(["artist", *columns])
    for row in dashboard_selectors.final_months(artist_id=artist.id):
        writer.writerow([artist.id, *(row.get(column, "") for column in columns)])
    return response


# ---------------------------------------------------------------------------- payout console


def staff_refusal(request: HttpRequest) -> HttpResponse | None:
    """Staff only; and a console action (every POST: they decide, verify or pay) only with
    two-factor on (docs/rules.md "Accounts")."""
    actor = _actor(request)
    if actor is None or not actor.is_admin:
        return _forbidden(request, "Staff only", "The payout console is for Kalipxo staff.")
    if request.method == "POST" and two_factor_missing(request):
        return render(request, "frontend/two_factor_needed.html", status=403)
    return None


@login_required
def console(request: HttpRequest) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    window = selectors.run_window()
    return render(
        request,
        "frontend/console.html",
        {
            "nav": "console",
            "runs": console_selectors.runs_with_labels(run_selectors.runs_overview()),
            "status_labels": console_selectors.status_labels(),
            "review_requests": run_selectors.open_review_requests(),
            "suspense": run_selectors.suspense_held(),
            "default_month": window["max_month"],
            "window": window,
        },
    )


@login_required
def console_run(request: HttpRequest, run_id: int) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    detail = run_selectors.run_detail(run_id)
    if detail is None:
        raise Http404("No such payout run.")
    holds = console_selectors.hold_rows(run_id)
    return render(
        request,
        "frontend/run.html",
        {
            "nav": "console",
            "run": detail,
            "status_label": console_selectors.status_label(detail["status"]),
            "status_labels": console_selectors.status_labels(),
            **console_selectors.run_page(run_id, request.GET),
            "replaced_by": run_selectors.run_replacing(run_id),
            "period": selectors.month_period(selectors.month_from_key(detail["month"])),
            "holds": holds,
            "page_data": {"run": run_id, "titles": selectors.hold_track_titles(holds)},
        },
    )
