"""Screenshots of every page from a running demo, for the README.

    make demo            # or scripts/demo.sh PORT, in another terminal
    .venv/bin/python -m tests.frontend.screenshots --base-url http://127.0.0.1:8000

Writes docs/screenshots/*.png. With the demo's month not yet paid, it also drives the
console: starts the run, photographs the holds queue, decides the holds (rejecting the
bot, releasing the rest), finalizes, and then photographs the dashboard with a finalized
month. Uses the demo logins ("admin"/"artist", password "kalipxo-demo").
"""

import argparse
import re
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.frontend.browser import DESKTOP, PHONE, chromium, log_in, wait_for_charts

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "kalipxo-demo"
LONG = 600_000  # ms: a full demo month computes in well under a minute, slower machines vary


def shoot(page: Page, out: Path, name: str, *, full_page: bool = True) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def public_pages(browser: Browser, base: str, out: Path) -> None:
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{base}/")
    shoot(page, out, "landing")
    page.goto(f"{base}/calculator/")
    expect(page.locator("#uc-payout")).to_have_text("$0.64")
    page.get_by_label("Your plays this month").fill("60000000")
    expect(page.locator("#pg-payout")).not_to_have_text("–")
    wait_for_charts(page, "listener-chart", "curve-chart")
    page.evaluate("document.activeElement.blur()")
    page.wait_for_timeout(800)  # let the curve's animation finish
    shoot(page, out, "calculator")
    page.goto(f"{base}/login/")
    shoot(page, out, "login", full_page=False)
    page.close()


def payout_run(browser: Browser, base: str, out: Path) -> None:
    """Start (or open) the demo month's run, photograph it, decide the holds, finalize."""
    page = browser.new_page(viewport=DESKTOP)
    page.set_default_timeout(120_000)
    log_in(page, base, "admin", PASSWORD)
    page.goto(f"{base}/console/")
    page.get_by_role("button", name="Start the payout run").click()
    page.wait_for_url(re.compile(r".*/console/runs/\d+/$"))
    status = page.locator("#run-status")
    expect(status).to_have_attribute("data-status", re.compile("review|computed|finalized"), timeout=LONG)
    if status.get_attribute("data-status") == "review":
        page.locator(".hold").first.wait_for()
        page.set_viewport_size({"width": 1280, "height": 1500})
        page.wait_for_timeout(800)
        shoot(page, out, "run-holds", full_page=False)
        # The planted bot plays far over the daily limit: reject it; release the rest.
        bot = page.locator('#holds-list .hold[data-rules~="streams_per_day"]')
        if bot.count():
            bot.first.get_by_role("button", name=re.compile("^Reject")).click()
            page.get_by_role("button", name=re.compile("^Yes, reject")).click()  # reject asks first
            page.wait_for_timeout(500)
        while page.locator("#holds-list .hold-release:not([disabled])").count():
            page.locator("#holds-list .hold-release:not([disabled])").first.click()
            page.wait_for_timeout(500)
    expect(status).to_have_attribute("data-status", re.compile("computed|finalized"), timeout=LONG)
    if status.get_attribute("data-status") == "computed":
        page.get_by_role("button", name=re.compile("^Finalize")).click()
        page.get_by_role("button", name="Yes, finalize").click()
        expect(status).to_have_attribute("data-status", "finalized", timeout=LONG)
    page.wait_for_timeout(800)
    shoot(page, out, "run")
    page.goto(f"{base}/console/")
    shoot(page, out, "console")
    page.close()


def artist_pages(browser: Browser, base: str, out: Path) -> None:
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, base, "artist", PASSWORD)
    wait_for_charts(page, "history-chart", "daily-chart", "fans-chart")
    page.wait_for_timeout(800)
    shoot(page, out, "dashboard")
    page.close()
    phone = browser.new_page(viewport={**PHONE, "height": 1400}, is_mobile=True, has_touch=True)
    log_in(phone, base, "artist", PASSWORD)
    wait_for_charts(phone, "history-chart", "daily-chart")
    phone.wait_for_timeout(800)
    shoot(phone, out, "dashboard-phone", full_page=False)
    phone.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--skip-run", action="store_true", help="do not start or finalize a payout run")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.base_url.rstrip("/")
    with chromium() as browser:
        public_pages(browser, base, args.out)
        if not args.skip_run:
            payout_run(browser, base, args.out)
        artist_pages(browser, base, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
