"""The console page of a failed payout run: why it failed, and the way to start its month again."""

import re
from datetime import date

import pytest
from django.test import Client

from payouts.models import PayoutRun

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)


def failed_box(html: str) -> str:
    match = re.search(r'<section class="([^"]*)" id="failed".*?</section>', html, re.S)
    assert match, "no failure section"
    return match.group(0)


def test_a_failed_run_shows_its_reason_and_a_button_to_start_the_month_again(staff_client: Client) -> None:
    run = PayoutRun.objects.create(
        month=OCTOBER, policy={"minor_exponent": 2}, status="failed", failure_reason="ValueError: <bad> data"
    )
    html = staff_client.get(f"/console/runs/{run.pk}/").content.decode()
    box = failed_box(html)
    assert 'class="card section"' in box  # shown
    assert "ValueError: &lt;bad&gt; data" in box  # escaped
    assert '<button type="button" class="button" id="start-again">Start 2026-10 again</button>' in box


def test_once_started_again_the_failed_run_links_to_the_run_that_replaced_it(staff_client: Client) -> None:
    failed = PayoutRun.objects.create(month=OCTOBER, policy={"minor_exponent": 2}, status="failed")
    again = PayoutRun.objects.create(month=OCTOBER, policy={"minor_exponent": 2})
    PayoutRun.objects.create(month=date(2026, 9, 1), policy={"minor_exponent": 2})  # newer, another month
    box = failed_box(staff_client.get(f"/console/runs/{failed.pk}/").content.decode())
    assert "No reason was recorded." in box
    assert f'href="/console/runs/{again.pk}/">Open run {again.pk}, which started 2026-10 again' in box
    assert 'id="start-again"' not in box


@pytest.mark.parametrize("status", ["queued", "review", "computed", "finalized"])
def test_runs_that_did_not_fail_hide_the_failure_section(staff_client: Client, status: str) -> None:
    run = PayoutRun.objects.create(month=OCTOBER, policy={"minor_exponent": 2}, status=status)
    box = failed_box(staff_client.get(f"/console/runs/{run.pk}/").content.decode())
    assert 'class="card section hidden"' in box
