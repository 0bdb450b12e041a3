"""Headless Chromium for the browser tests and the screenshot script (Debian's chromium)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
NARROW: ViewportSize = {"width": 360, "height": 780}  # the narrowest phone a page must fit
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# A canvas counts as drawn when Chart.js owns it and some pixel is not transparent.
CANVAS_DRAWN = """(id) => {
  const canvas = document.getElementById(id);
  if (!canvas || !window.Chart || !window.Chart.getChart(canvas)) return false;
  if (!canvas.width || !canvas.height) return false;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def wait_for_charts(page: Page, *canvas_ids: str, timeout: float = 15_000) -> None:
    for canvas_id in canvas_ids:
        page.wait_for_function(CANVAS_DRAWN, arg=canvas_id, timeout=timeout)


def axe_violations(page: Page) -> list[dict[str, object]]:
    """What axe-core (the npm package) finds wrong on the page as it is now: each violation's
    rule id, impact and first offending elements. Evaluated through the browser's devtools,
    so the page's CSP (no inline scripts) does not block it."""
    page.evaluate(AXE.read_text())
    return page.evaluate(  # type: ignore[no-any-return]
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
            v => ({id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))"""
    )


def sideways_scroll(page: Page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits its viewport's width)."""
    root = "document.documentElement"
    return int(page.evaluate(f"() => {root}.scrollWidth - {root}.clientWidth"))


def fits_and_is_clean(page: Page, what: str) -> None:
    """At 360 px `what` scrolls nothing sideways and axe finds nothing; then back to desktop."""
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(100)
    assert sideways_scroll(page) == 0, f"{what} scrolls sideways at 360 px"
    assert axe_violations(page) == [], what
    page.set_viewport_size(DESKTOP)
