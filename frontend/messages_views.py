"""An artist's messages with its fans, and the console's moderation queue (docs/rules.md
"Messages — in this service"). Fans appear by name or pseudonym, addressed by fan_id, never
by listener id. Owners write; every login of the artist reads. Thin: messaging decides."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from artists.models import Artist, PortalAccount
from frontend.account_views import own_membership
from frontend.views import staff_refusal
from messaging import moderation, rules, selectors, services
from messaging.models import Report
from streams.models import Listener

CONVERSATIONS_SHOWN = 100


def _fan(artist: Artist, handle: str) -> Listener:
    listener = services.fan_found(artist, handle)
    if listener is None:
        raise Http404("No such fan of this artist.")
    return listener


@login_required
def artist_messages(request: HttpRequest, artist_id: str) -> HttpResponse:
    account, artist = own_membership(request, artist_id)
    context = {
        "nav": "dashboard",
        "artist": artist,
        "can_write": account.role == PortalAccount.Role.OWNER,
        "conversations": selectors.artist_conversations(artist, limit=CONVERSATIONS_SHOWN),
    }
    return render(request, "frontend/messages.html", context)


def _conversation_page(
    request: HttpRequest, account: PortalAccount, artist: Artist, listener: Listener, *, draft: str = "",
    refusal: str = "", status: int = 200,
) -> HttpResponse:  # fmt: skip
    context: dict[str, Any] = {
        "nav": "dashboard",
        "artist": artist,
        "fan": selectors.fan(artist_id=artist.pk, listener=listener),
        "conversation": selectors.artist_conversation(artist, listener),
        "can_write": account.role == PortalAccount.Role.OWNER,
        "draft": draft,
        "refusal": refusal,
        "max_length": rules.MAX_BODY,
    }
    return render(request, "frontend/conversation.html", context, status=status)


@login_required
def artist_conversation(request: HttpRequest, artist_id: str, fan_id: str) -> HttpResponse:
    """One fan: the conversation so far (its replies marked read), and writing to it."""
    account, artist = own_membership(request, artist_id)
    listener = _fan(artist, fan_id)
    if request.method != "POST":
        services.artist_conversation_read(artist=artist, listener=listener)
        return _conversation_page(request, account, artist, listener)
    if account.role != PortalAccount.Role.OWNER:
        raise Http404("Only an owner writes for the artist.")
    draft = request.POST.get("body", "")
    try:
        services.artist_message_send(artist=artist, handle=fan_id, body=rules.body_check(draft))
    except rules.Refused as refused:
        detail = refused.body.get("detail") or " ".join(
            " ".join(problems) for problems in refused.body.values() if isinstance(problems, list)
        )
        return _conversation_page(request, account, artist, listener, draft=draft, refusal=detail, status=400)
    messages.success(request, "Sent.")
    return redirect("artist-conversation", artist_id=artist.pk, fan_id=fan_id)


@login_required
def console_moderation(request: HttpRequest) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    open_reports = (
        Report.objects.filter(status=Report.Status.OPEN).select_related("artist").order_by("reported_at")
    )
    decided = (
        Report.objects.exclude(status=Report.Status.OPEN).select_related("artist").order_by("-reported_at")
    )
    context = {"nav": "moderation", "reports": open_reports[:200], "decided": decided[:20]}
    return render(request, "frontend/moderation.html", context)


@login_required
@require_POST
def console_report_decide(request: HttpRequest, report_id: int) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    try:
        report = moderation.report_decide(
            report_id=report_id,
            uphold=request.POST.get("decision") == "uphold",
            note=request.POST.get("note", "")[:1000],
            decided_by=request.user.get_username(),
        )
    except moderation.ModerationRefused as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, f"Report #{report.pk} on {report.artist.name}: {report.status}.")
    return redirect("console-moderation")
