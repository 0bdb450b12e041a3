"""The Django admin shows messages read-only; a report's moderation is its only change."""

from typing import Any

import pytest

from messaging.models import Report
from tests.messaging.conftest import World, fan

pytestmark = pytest.mark.django_db

PAGES = ["conversation", "report", "block", "artistmessaging", "duplicaterefusal"]


def test_every_messaging_page_opens_and_a_moderator_decides_a_report(world: World, admin_client: Any) -> None:
    sent = world.send(fan("L1")).json()
    assert world.platform.post("/api/v1/listeners/L1/reports", {"message": sent["id"], "reason": "Spam"},
                               format="json").status_code == 201  # fmt: skip
    assert (
        world.platform.post("/api/v1/listeners/L1/blocks", {"artist": "art-o"}, format="json").status_code
        == 201
    )
    report = Report.objects.get()
    assert report.message is not None

    for page in PAGES:
        assert admin_client.get(f"/admin/messaging/{page}/").status_code == 200, page
        assert admin_client.get(f"/admin/messaging/{page}/add/").status_code == 403, page
    conversation = admin_client.get(f"/admin/messaging/conversation/{report.message.conversation_id}/change/")
    assert conversation.status_code == 200 and b"Thanks for listening!" in conversation.content
    page = admin_client.get(f"/admin/messaging/report/{report.pk}/change/")
    assert page.status_code == 200 and b"Thanks for listening!" in page.content

    decided = admin_client.post(
        f"/admin/messaging/report/{report.pk}/change/",
        {"status": "upheld", "moderator_note": "Warned the artist.", "evidence": "rewritten"},
    )

    assert decided.status_code == 302, decided.content[:500]
    report.refresh_from_db()
    # Nothing is decided or rewritten here: decisions go through the console's moderation.
    assert (report.status, report.moderator_note, report.evidence) == (
        "open", "", "Thanks for listening!"
    )  # fmt: skip
    assert admin_client.post(f"/admin/messaging/report/{report.pk}/delete/").status_code == 403
