"""Every page in real Chromium: the app is served by `streamlit run`, each page is opened, the
script is let finish, and no error may be on screen. Screenshots land in the test's tmp dir."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.app_fixtures import PROJECT, pristine_sample
from tests.tools import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
METRIC, CHART, TABLE = "[data-testid='stMetric']", "[data-testid='stVegaLiteChart']", "[data-testid='stDataFrame']"
# page: (URL path, the least number of each element it must show once drawn)
PAGES: dict[str, tuple[str, dict[str, int]]] = {
    "overview": ("", {METRIC: 4, CHART: 1}),
    "explore": ("explore", {METRIC: 3, CHART: 2, TABLE: 1}),
    "explore_linked": ("explore?group_by=alloc:business_unit&grain=week&period=last_month", {METRIC: 3, CHART: 2}),
    "allocation": ("allocation", {METRIC: 3, CHART: 2, TABLE: 3}),
    "unit_economics": ("unit_economics", {METRIC: 4, CHART: 4, TABLE: 1}),  # unit cost, cost, metric, waterfall
    "data": ("data", {TABLE: 3}),  # loaded, freshness, rates
    "forecast": ("forecast", {METRIC: 4, CHART: 1}),
    "anomalies": ("anomalies", {}),
    "rightsizing": ("rightsizing", {METRIC: 4, CHART: 2}),  # tiles, the what-if and one resource's utilisation
    "commitments": ("commitments", {METRIC: 3, CHART: 1, TABLE: 1}),
    "showback": ("showback", {METRIC: 4, TABLE: 1}),  # tiles and the owners' summary
}
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return int(sock.getsockname()[1])


def wait_for_health(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=1) as reply:
                if reply.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer on port {port} within {timeout:.0f}s")


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium: skipped without it on a developer's machine, required under CI."""
    return str(require_chromium())


@pytest.fixture(scope="module")
def server(chromium: str, sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("server")
    log = folder / "streamlit.log"
    # The server opens its database read-write, and DuckDB lets one process do that: it gets its
    # own copy, since the app tests in this process may hold the session's sample open.
    db = pristine_sample(folder / "browser.duckdb")
    env = {**os.environ, "FINOPS_DB": str(db), "FINOPS_RULES": str(PROJECT / "data" / "allocation.yaml")}
    with streamlit_server(env, log) as address:
        yield address


@contextlib.contextmanager
def streamlit_server(env: dict[str, str], log: Path, port: int | None = None) -> Iterator[str]:
    """`streamlit run app.py` in `env`, its output to `log`: its address, once it answers (on `port`, when
    the caller has to know it beforehand, as sign-in's redirect URI does)."""
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_health(port, process)
        yield f"http://localhost:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_script(page: Page) -> None:
    """Streamlit marks its root element: connected, then the script not running any more."""
    page.wait_for_timeout(250)
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=60_000
    )
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=60_000
    )
    page.locator("[data-testid='stSkeleton']").first.wait_for(state="detached", timeout=30_000)
    page.wait_for_timeout(500)  # let Vega draw


def test_every_page_opens_in_chromium_without_an_error(chromium: str, server: str, tmp_path: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1800})
            for name, (path, least) in PAGES.items():
                page.goto(f"{server}/{path}")
                wait_for_script(page)
                page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
                errors = page.locator(ERRORS)
                assert errors.count() == 0, f"{name}: {errors.first.inner_text()}"
                assert page.get_by_text("FinOps Lens").count() or page.title() == "FinOps Lens"
                for element, count in least.items():
                    assert page.locator(element).count() >= count, (name, element)
        finally:
            browser.close()


def test_the_overview_prints_every_tile_in_full_on_a4(chromium: str, server: str, tmp_path: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server)
            wait_for_script(page)
            page.emulate_media(media="print")
            page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
            page.wait_for_timeout(500)
            page.screenshot(path=str(tmp_path / "overview-print.png"), full_page=True)
            assert not page.locator("[data-testid='stSidebar']").is_visible()  # no paper for the sidebar
            for label in ("Month to date", "Last full month", "Forecast, month end", "Allocated", "Open anomalies"):
                assert page.locator("[data-testid='stMetricLabel']", has_text=label).first.is_visible(), label
            # No tile's figure or label cut short: each fits the width it is given.
            clipped = page.eval_on_selector_all(
                "[data-testid='stMetricValue'] *, [data-testid='stMetricLabel'] *",
                "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)",
            )
            assert clipped == []
            # The whole page prints, not one screenful of Streamlit's scrolling shell.
            assert page.locator(CHART).last.is_visible()
            pdf = page.pdf(format="A4", landscape=True, print_background=True)
            (tmp_path / "overview.pdf").write_bytes(pdf)
            assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
            pages = [int(n) for n in re.findall(rb"/Count (\d+)", pdf)]
            assert pages and 1 <= max(pages) <= 6, pages  # the whole page, on a few sheets
        finally:
            browser.close()
