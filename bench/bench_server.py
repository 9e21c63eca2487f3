"""Resident memory of the Streamlit process while it serves a large database: `streamlit run` on the
N-row sample, the Explore page opened in Chromium with several group-bys and date ranges, then the
server's current and peak RSS read from /proc.

    python -m bench.bench_server --rows 10000000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.common import PROJECT, env_with_db, peak_rss_mb, sample_db
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_health, wait_for_script

VIEWS = (
    "?group_by=ServiceName&period=last_12_months&grain=month",
    "?group_by=tag:team&group_by2=ServiceName&period=last_12_months&grain=week",
    "?group_by=SubAccountName&period=all&grain=day",
    "?group_by=tag:env&period=last_90_days",
    "?group_by=ResourceId&period=last_30_days",
    "?group_by=RegionId&group_by2=tag:app&period=all&grain=month",
)


def current_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    db = sample_db(args.rows)
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
    server = subprocess.Popen(command, cwd=PROJECT, env=env_with_db(db), stdout=subprocess.DEVNULL)
    try:
        wait_for_health(port, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for view in VIEWS:
                started = time.perf_counter()
                page.goto(f"http://localhost:{port}/{view}")
                wait_for_script(page)
                print(
                    f"{view}: page ready in {time.perf_counter() - started:.1f} s, "
                    f"server RSS {current_rss_mb(server.pid):,.0f} MB"
                )
            browser.close()
        print(f"streamlit server: RSS now {current_rss_mb(server.pid):,.0f} MB, peak {peak_rss_mb(server.pid):,.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
