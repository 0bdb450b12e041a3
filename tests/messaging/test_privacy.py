"""A listener's export and erasure (docs/privacy.md): personal data goes, streams and money
stay, and a finalized month adds up to the same totals before and after."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from ledger.selectors import account_balances
from messaging.models import Block, Conversation, Message, Report
from payouts.models import ArtistResult, PayeeResult, PayoutRun
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.start import payout_run_start
from payouts.verify import run_verify
from streams.models import Listener, RevenueRecord, StreamEvent
from streams.revenue import revenue_records_ingest
from tests.messaging.conftest import ISRC_M, ISRC_O, World, fan, played

pytestmark = pytest.mark.django_db


def conversation(world: World) -> dict[str, Any]:
    """L1 (Ann, shown, open to messages) hears from Mira, replies, blocks Otto, reports Mira."""
    handle = fan("L1", name="Ann", shown=True)
    sent = world.send(handle, "Hello Ann").json()
    assert world.reply("L1", "Hi Mira").status_code == 201
    assert (
        world.platform.post("/api/v1/listeners/L1/blocks", {"artist": "art-o"}, format="json").status_code
        == 201
    )
    reported = {"message": sent["id"], "reason": "Too pushy"}
    report = world.platform.post("/api/v1/listeners/L1/reports", reported, format="json")
    assert report.status_code == 201
    return sent


def test_the_export_holds_what_is_kept_about_the_listener(world: World) -> None:
    sent = conversation(world)
    revenue_records_ingest(items=[{"id": "inv-L1", "listener": "L1", "month": f"{datetime.now(UTC):%Y-%m}",
                                   "source": "subscription", "plan": "premium", "country": "US",
                                   "gross": "14.99", "tax": "1.00", "fees": "0.50"}])  # fmt: skip

    export = world.platform.get("/api/v1/listeners/L1/export").json()

    assert export["listener"] == "L1" and export["erased_at"] is None
    assert export["preferences"] == {
        "display_name": "Ann",
        "shown_to_artists": True,
        "accepts_messages": True,
    }
    assert [(m["from"], m["body"]) for m in export["messages"]] == [
        ("artist", "Hello Ann"),
        ("listener", "Hi Mira"),
    ]
    assert export["blocks"][0]["artist"] == {"id": "art-o", "name": "Otto"}
    assert export["reports"][0]["message"] == sent["id"] and export["reports"][0]["reason"] == "Too pushy"
    assert (
        sum(row["streams"] for row in export["streams"])
        == StreamEvent.objects.filter(listener_id="L1").count()
    )
    assert export["revenue"] == [{"month": f"{datetime.now(UTC):%Y-%m}", "records": 1, "gross": "14.99",
                                  "tax": "1.00", "fees": "0.50"}]  # fmt: skip


def test_erasure_removes_personal_data_and_keeps_streams(world: World, admin_api: APIClient) -> None:
    sent = conversation(world)
    streams = StreamEvent.objects.filter(listener_id="L1").count()

    assert world.platform.delete("/api/v1/listeners/L1").status_code == 204
    assert world.platform.delete("/api/v1/listeners/L1").status_code == 204  # again: harmless
    assert admin_api.delete("/api/v1/listeners/L1").status_code == 204
    assert world.platform.delete("/api/v1/listeners/nobody").status_code == 404

    listener = Listener.objects.get(pk="L1")
    assert (listener.display_name, listener.show_to_artists, listener.accepts_messages) == ("", False, False)
    assert listener.erased_at is not None
    assert not Conversation.objects.exists() and not Message.objects.exists() and not Block.objects.exists()
    report = Report.objects.get()  # moderation keeps the artist's words, not the listener
    assert (report.listener_id, report.reason, report.message_id) == (None, "", None)
    assert report.evidence == "Hello Ann" and report.artist_id == "art-m"
    assert StreamEvent.objects.filter(listener_id="L1").count() == streams

    export = world.platform.get("/api/v1/listeners/L1/export").json()
    assert (
        export["erased_at"]
        and export["messages"] == []
        and export["blocks"] == []
        and export["reports"] == []
    )
    assert export["preferences"] == {"display_name": "", "shown_to_artists": False, "accepts_messages": False}
    assert world.platform.get("/api/v1/listeners/L1/messages").json() == []
    # The erased id takes no new choices or messages; the artist cannot write to it.
    gone = world.platform.put("/api/v1/listeners/L1/preferences", {"accepts_messages": True}, format="json")
    assert gone.status_code == 410 and gone.json()["code"] == "erased"
    assert world.reply("L1").status_code == 410
    assert (
        world.platform.post("/api/v1/listeners/L1/blocks", {"artist": "art-m"}, format="json").status_code
        == 410
    )
    assert world.send(sent["fan_id"]).json()["code"] == "not_opted_in"
    assert Listener.objects.get(pk="L1").accepts_messages is False


def _finalized_last_month() -> PayoutRun:
    first = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (first - timedelta(days=1)).replace(day=1)
    days_ago = (datetime.now(UTC) - start).total_seconds() / 86400 - 2
    played("L1", ISRC_M, days_ago=days_ago, count=6)
    played("L1", ISRC_O, days_ago=days_ago, count=4)
    played("L2", ISRC_M, days_ago=days_ago, count=3)
    revenue_records_ingest(
        items=[{"id": f"inv-{who}", "listener": who, "month": f"{start:%Y-%m}", "source": "subscription",
                "plan": "premium", "country": "US", "gross": paid, "tax": "0.00", "fees": "0.00"}
               for who, paid in (("L1", "14.99"), ("L2", "9.99"))]
    )  # fmt: skip
    run, _ = payout_run_start(month=start.date(), requested_by="test", dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == PayoutRun.Status.COMPUTED, run.failure_reason
    return payout_run_finalize(run_id=run.pk, finalized_by="test")


def _totals(run: PayoutRun, world: World) -> Any:
    month = f"{run.month:%Y-%m}"
    return (
        sorted(PayeeResult.objects.filter(run=run).values_list("payee", "amount_minor", "publishing_minor")),
        sorted(ArtistResult.objects.filter(run=run).values_list("artist", "gross_exact", "streams")),
        account_balances(),
        world.artist.get("/api/v1/artists/art-m/earnings", {"month": month}).json(),
        [(f["amount"], f["streams"], f["fan_id"]) for f in world.artist.get("/api/v1/artists/art-m/fans",
                                                                              {"month": month}).json()],
        RevenueRecord.objects.filter(listener_id="L1").count(),
    )  # fmt: skip


def test_a_finalized_month_adds_up_the_same_after_an_erasure(world: World) -> None:
    run = _finalized_last_month()
    Listener.objects.filter(pk="L1").update(display_name="Ann", show_to_artists=True, accepts_messages=True)
    before = _totals(run, world)
    month = f"{run.month:%Y-%m}"
    assert "Ann" in [
        f["fan"] for f in world.artist.get("/api/v1/artists/art-m/fans", {"month": month}).json()
    ]

    assert world.platform.delete("/api/v1/listeners/L1").status_code == 204

    assert _totals(run, world) == before
    assert run_verify(run_id=run.pk).ok
    fans = world.artist.get("/api/v1/artists/art-m/fans", {"month": month}).json()
    assert len(fans) == 2 and all(f["fan"].startswith("Fan ") for f in fans) and "Ann" not in str(fans)
