"""The Overview as an executive sees it, in real Chromium: one 1440x900 screen holds the headline
tiles, the forecast-against-budget line and the 13-month trend, top movers right after; printed it
fits two A4 landscape pages with no heading left alone at a page's foot. The screenshot and the
PDF are kept in tests/artifacts/."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from pypdf import PdfReader

from tests import test_browser
from tests.app_fixtures import PROJECT
from tests.test_browser import CHART, CHROMIUM_ARGS, METRIC, wait_for_script

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = PROJECT / "tests" / "artifacts"
# The app served by `streamlit run` on the session's sample, as in tests/test_browser.py.
chromium, server = test_browser.chromium, test_browser.server
VIEWPORT = {"width": 1440, "height": 900}
# The first-start panel (st.status) or its progress bar.
PROGRESS = "[data-testid='stExpander'], [data-testid='stProgress']"


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not drawn"
    return box


def test_one_1440x900_screen_holds_the_tiles_the_budget_line_and_the_trend(chromium: str, server: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(server)
            wait_for_script(page)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "overview-1440x900.png"))
            tiles = page.locator(METRIC)
            assert tiles.count() >= 4
            for i in range(4):
                box = tiles.nth(i).bounding_box()
                assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], (i, box)
            line = _box(page, "[data-testid='stMarkdown']:has-text('projected')")
            assert line["y"] + line["height"] <= VIEWPORT["height"], line
            trend = _box(page, f".st-key-overview-trend {CHART}")
            assert trend["y"] + trend["height"] <= VIEWPORT["height"], trend
            # Top movers follow at once: their heading starts within a short scroll of the trend.
            movers = _box(page, "[data-testid='stHeading']:has-text('Top movers')")
            assert movers["y"] - (trend["y"] + trend["height"]) < 80, (movers, trend)
            # The "Explore this spend" links under the tiles sit on one line.
            links = page.locator("[data-testid='stPageLink']", has_text="Explore this spend")
            tops = {round(b["y"]) for i in range(links.count()) if (b := links.nth(i).bounding_box())}
            assert len(tops) == 1, tops
        finally:
            browser.close()


def test_the_overview_prints_on_two_a4_landscape_pages_with_no_heading_stranded(chromium: str, server: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(server)
            wait_for_script(page)
            headings = [
                h.strip()
                for h in page.locator("[data-testid='stMain'] [data-testid='stHeading']").all_inner_texts()
                if h.strip()
            ]
            page.emulate_media(media="print")
            page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
            page.wait_for_timeout(800)
            pdf = page.pdf(format="A4", landscape=True, print_background=True)
        finally:
            browser.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "overview-print.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 2, len(reader.pages)
    texts = [" ".join((p.extract_text() or "").split()) for p in reader.pages]
    assert len(headings) >= 4, headings
    for heading in headings:
        on = [i for i, text in enumerate(texts) if heading in text]
        assert on, f"{heading!r} is not printed"
        text = texts[on[0]]
        after = text[text.index(heading) + len(heading) :].strip()
        assert after, f"{heading!r} ends page {on[0] + 1}: its content is on the next page"


@pytest.fixture
def fresh_server(chromium: str, tmp_path: Path) -> Iterator[str]:
    """`streamlit run` on a database that does not exist yet: a first start."""
    port = test_browser.free_port()
    env = {**os.environ, "FINOPS_DB": str(tmp_path / "fresh" / "finops.duckdb")}
    env["FINOPS_RULES"] = str(PROJECT / "data" / "allocation.yaml")
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
    with (tmp_path / "streamlit.log").open("w") as out:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        test_browser.wait_for_health(port, process)
        yield f"http://localhost:{port}"
    finally:
        process.terminate()  # the build is a daemon thread of this process: it stops with it
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_first_visit_shows_progress_within_a_second(chromium: str, fresh_server: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(fresh_server, wait_until="commit")
            # Seconds since the navigation began, by the page's own clock: first when Streamlit's page
            # has loaded and connected (its own bundle, nothing of ours), then when our progress shows.
            connected = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
            page.locator(connected).wait_for(state="attached", timeout=30_000)
            ready = page.evaluate("performance.now()") / 1000
            page.locator(PROGRESS).first.wait_for(state="visible", timeout=30_000)
            shown = page.evaluate("performance.now()") / 1000
            page.screenshot(path=str(ARTIFACTS / "first-start-progress.png"))
            timing = f"connected {ready:.2f} s, progress {shown:.2f} s after the visit began"
            assert shown - ready <= 1.0, timing  # the app draws within a second of its first run
            page.get_by_text("First start: building a sample dataset").wait_for(state="visible", timeout=60_000)
            page.locator("[data-testid='stProgress']").first.wait_for(state="visible", timeout=10_000)
        finally:
            browser.close()
