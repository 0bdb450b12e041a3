"""Deciding a reported message (docs/rules.md "Messages — in this service"): a moderator
dismisses the report, or upholds it, which also suspends the artist's messaging for
`MODERATION_SUSPENSION_DAYS`. A decision is made once and says who made it."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from messaging.models import ArtistMessaging, Report


class ModerationRefused(Exception):
    pass


@transaction.atomic
def report_decide(*, report_id: int, uphold: bool, note: str, decided_by: str) -> Report:
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise ModerationRefused(f"No report {report_id}.")
    if report.status != Report.Status.OPEN:
        raise ModerationRefused(f"This report was {report.status} already.")
    report.status = Report.Status.UPHELD if uphold else Report.Status.DISMISSED
    signed = f"{decided_by} on {timezone.now():%Y-%m-%d %H:%M} UTC"
    report.moderator_note = f"{note.strip()} ({signed})" if note.strip() else signed
    report.save(update_fields=["status", "moderator_note"])
    if uphold:
        until = timezone.now() + timedelta(days=settings.MODERATION_SUSPENSION_DAYS)
        state, _ = ArtistMessaging.objects.select_for_update().get_or_create(artist_id=report.artist_id)
        if state.suspended_until is None or state.suspended_until < until:
            state.suspended_until = until
            state.save(update_fields=["suspended_until"])
    return report
