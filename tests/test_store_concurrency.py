"""Readers and writers at once on one store (issue 18, items 1 and 4): while the app serves (a real
`streamlit run` visited in Chromium, and AppTest sessions in this process), 3 `ingest` and 3
`showback` commands start together, as cron would start them. None fails, the totals afterwards
are the sums of the input files, every reader saw a whole state (the one before, or the one after
some set of whole ingests), and the app shows the new data at its next rerun, without a restart.
Two writers queue: the second waits FINOPS_LOCK_TIMEOUT seconds, then names the holder."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from streamlit.testing.v1 import AppTest

from analytics.ingest.run import ingest_paths
from analytics.store import StoreError, reader, writing
from tests.app_fixtures import PROJECT, new_app
from tests.realdata import FOCUS_SAMPLE, REALDATA
from tests.store_checks import CENT, State, cli, csv_total, file_state, leftovers, store_state, write_focus
from tests.test_browser import CHROMIUM_ARGS, ERRORS, streamlit_server, wait_for_script
from tests.tools import require_chromium

pytestmark = pytest.mark.slow

AWS_CUR = REALDATA / "aws-cur" / "cur-legacy-anonymous.csv"
AZURE_ACTUAL = REALDATA / "azure" / "ea-actual-small.csv"
EXPLORE_ALL_BILLED = "explore?metric=billed&period=all"
SHOWBACK_MONTH = "2024-09"  # the month of the export the store holds before the ingests


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, State]:
    """Three exports of three formats, none replacing another's billing periods, with their totals
    computed from the files (the billed cost column of each format)."""
    generated = write_focus(
        tmp_path_factory.mktemp("exports") / "store-test-cloud.csv", 3000, seed=18, month="2025-01", account="acct-c"
    )
    return {
        AWS_CUR: file_state(AWS_CUR, "lineItem/UnblendedCost"),
        AZURE_ACTUAL: file_state(AZURE_ACTUAL, "Cost"),
        generated: file_state(generated),
    }


def new_store(folder: Path) -> Path:
    """A store holding the FOCUS sample export, as the app would serve it before the night's cron."""
    with writing(folder) as con:
        ingest_paths(con, [str(FOCUS_SAMPLE)])
    return folder


def whole_states(before: State, loads: list[State]) -> dict[tuple[Decimal, int, int], str]:
    """Every state a reader may see: before, plus any set of whole loads (they run in any order)."""
    states = {}
    for size in range(len(loads) + 1):
        for chosen in itertools.combinations(range(len(loads)), size):
            total = sum((loads[i] for i in chosen), before)
            states[total.cents] = "+".join(str(i) for i in chosen) or "before"
    assert len({billed for billed, _, _ in states}) == len(states), "two states with one total: the test cannot tell"
    return states


def shown_total(text: str) -> Decimal:
    """'$1,234.56' as on the Explore page's first tile."""
    assert re.fullmatch(r"-?\$[\d,]+\.\d\d", text), text
    return Decimal(text.replace("$", "").replace(",", ""))


class Readers:
    """Readers running while the writers do, each noting what it saw: this process's own read-only
    connections (a new one each time), and `query --format json` commands one after another."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.snapshots: list[tuple[Decimal, int, int]] = []
        self.queries: list[Decimal] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._sample), threading.Thread(target=self._query)]

    def __enter__(self) -> Readers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.snapshots.append(store_state(self.folder).cents)
            except Exception as exc:  # noqa: BLE001 - reported by the test, with what failed
                self.errors.append(f"reader connection: {exc!r}")
            time.sleep(0.1)

    def _query(self) -> None:
        while not self._stop.is_set():
            run = cli("query", "--db", str(self.folder), "--format", "json", "--metric", "billed", env=self.env)
            try:
                assert run.returncode == 0, f"exit {run.returncode}"
                [row] = json.loads(run.stdout)
                self.queries.append(Decimal(str(row["cost"])).quantize(CENT))
            except Exception as exc:  # noqa: BLE001 - reported by the test, with what failed
                self.errors.append(f"query: {exc!r}: {run.stdout[-300:]} {run.stderr[-300:]}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """`streamlit run app.py` on a new store: (its address, the store, the environment it runs in)."""
    require_chromium()
    folder = new_store(tmp_path / "store")
    # Every process, the app's included, applies the same rules file (FINOPS_RULES, set for the
    # tests): one with other rules would re-apply its own at every open, a write each time. The
    # long wait keeps a loaded machine from turning the queue of six writers into a failure.
    env = {**os.environ, "FINOPS_DB": str(folder), "FINOPS_LOCK_TIMEOUT": "300"}
    with streamlit_server(env, tmp_path / "streamlit.log") as address:
        yield address, folder, env


def cron_job(args: list[str], folder: Path, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """`python -m analytics ARGS --db FOLDER` started as cron starts it, its output to LOG.out/.err."""
    with log.with_suffix(".out").open("w") as out, log.with_suffix(".err").open("w") as err:
        command = [sys.executable, "-m", "analytics", *args, "--db", str(folder)]
        return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=out, stderr=err), log


def browser_total(page: Page) -> Decimal:
    wait_for_script(page)
    errors = page.locator(ERRORS)
    assert errors.count() == 0, errors.first.inner_text()
    return shown_total(page.locator("[data-testid='stMetricValue']").first.inner_text())


COUNT_RUNS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    window.finopsRuns = 0;
    new MutationObserver(() => {
        if (app.getAttribute("data-test-script-state") === "running") window.finopsRuns += 1;
    }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""


def rerun(page: Page) -> Decimal:
    """The visitor's session runs the page again (Streamlit's R key), as after any click; its total
    once that run has ended."""
    runs = page.evaluate("window.finopsRuns")
    page.locator("[data-testid='stMain']").focus()
    page.keyboard.press("r")
    page.wait_for_function(f"window.finopsRuns > {runs}", timeout=30_000)
    return browser_total(page)


def app_total(at: AppTest) -> Decimal:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return shown_total(at.metric[0].value)


@pytest.mark.browser
def test_cron_ingests_and_showbacks_run_while_the_app_serves_and_every_reader_sees_a_whole_state(
    served: tuple[str, Path, dict[str, str]],
    exports: dict[Path, State],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, folder, env = served
    monkeypatch.setenv("FINOPS_DB", str(folder))
    before = file_state(FOCUS_SAMPLE)
    after = sum(exports.values(), before)
    valid = whole_states(before, list(exports.values()))
    valid_billed = {billed for billed, _, _ in valid}
    assert store_state(folder).cents == before.cents

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1200})
            page.goto(f"{url}/{EXPLORE_ALL_BILLED}")
            shown = [browser_total(page)]
            page.evaluate(COUNT_RUNS)
            assert shown[0] == before.billed.quantize(CENT)
            at = new_app({"metric": "billed", "period": "all"})
            in_app = [app_total(at)]
            assert in_app[0] == before.billed.quantize(CENT)

            # Cron: three loads and three monthly packs, all at once.
            pack = ["showback", "--month", SHOWBACK_MONTH, "--by", "ProviderName", "--out"]
            cron = [["ingest", str(path)] for path in exports]
            cron += [[*pack, str(tmp_path / f"{i}.xlsx")] for i in range(3)]
            writers = [cron_job(args, folder, env, tmp_path / f"cron-{i}") for i, args in enumerate(cron)]
            with Readers(folder, env) as readers:
                # Meanwhile the visitor and the AppTest session rerun their page, again and again.
                while any(w.poll() is None for w, _ in writers):
                    in_app.append(app_total(at))
                    shown.append(rerun(page))
                    time.sleep(0.5)  # leave the writers some of the two cores
                codes = [w.wait(timeout=300) for w, _ in writers]
            # The next rerun, without a restart, shows every load.
            shown.append(rerun(page))
            in_app.append(app_total(at))
        finally:
            browser.close()

    outputs = [
        (w.args, code, log.with_suffix(".out").read_text(), log.with_suffix(".err").read_text())
        for (w, log), code in zip(writers, codes, strict=True)
    ]
    for args, code, out, err in outputs:
        assert code == 0, (args, out, err)
        assert "Traceback" not in err, (args, err)
    assert store_state(folder).cents == after.cents
    listed = cli("sources", "--db", str(folder), "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    by_file = {entry["source"]: entry for entry in json.loads(listed.stdout)}
    assert set(by_file) == {str(FOCUS_SAMPLE), *map(str, exports)}
    for path, state in {FOCUS_SAMPLE: before, **exports}.items():
        assert by_file[str(path)]["rows"] == state.rows, path
        assert by_file[str(path)]["totals"] == {"USD": float(state.billed.quantize(CENT))}, path
    effective, _ = csv_total(FOCUS_SAMPLE, "EffectiveCost")  # every charge of that export is in the month
    for args, _, out, _ in outputs:
        if args[3] == "showback":
            assert f"3 owners, {effective.quantize(CENT)} USD (EffectiveCost)" in out, out
            assert "ties out" in out and Path(args[args.index("--out") + 1]).stat().st_size > 0
    con = reader(folder)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT output) FROM showback_packs").fetchone() == (3, 3)
    finally:
        con.close()
    assert leftovers(folder) == []

    assert readers.errors == []
    assert readers.snapshots and readers.queries
    assert [s for s in readers.snapshots if s not in valid] == []
    assert [q for q in readers.queries if q not in valid_billed] == []
    assert [t for t in shown + in_app if t not in valid_billed] == []
    assert readers.snapshots[-1] == after.cents
    assert shown[-1] == in_app[-1] == after.billed.quantize(CENT)
    assert "Traceback" not in (tmp_path / "streamlit.log").read_text()


HOLDER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from analytics.store import writing
with writing(sys.argv[2], note="holder") as con:
    print("holding", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def hold(folder: Path, tmp_path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds the store for `seconds`, once it has printed `holding`."""
    script = tmp_path / "holder.py"
    script.write_text(HOLDER, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(script), str(PROJECT), str(folder), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "holding"
    return process


def test_a_second_writer_waits_then_fails_naming_the_holder_when_the_lock_timeout_is_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = new_store(tmp_path / "store")
    before = store_state(folder)
    holder = hold(folder, tmp_path, 60)
    try:
        monkeypatch.setenv("FINOPS_LOCK_TIMEOUT", "0.8")
        started = time.monotonic()
        with pytest.raises(StoreError) as refused, writing(folder):
            pytest.fail("the store was written while another process held it")
        assert time.monotonic() - started >= 0.8
        message = str(refused.value)
        assert f"pid {holder.pid} " in message and "holder.py" in message, message
        assert "waited 0.8 s" in message and "FINOPS_LOCK_TIMEOUT" in message and "\n" not in message
        # The same from the command line: one line, exit 2, and nothing loaded.
        run = cli("ingest", str(AZURE_ACTUAL), "--db", str(folder), env={**os.environ, "FINOPS_LOCK_TIMEOUT": "0.5"})
        assert run.returncode == 2, run.stderr
        assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1, run.stderr
        assert f"pid {holder.pid} " in run.stderr and "holder.py" in run.stderr
    finally:
        holder.kill()
        holder.wait()
    assert store_state(folder) == before
    assert leftovers(folder) == []


def test_a_second_writer_waits_for_the_first_and_then_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = new_store(tmp_path / "store")
    holder = hold(folder, tmp_path, 1.5)
    monkeypatch.setenv("FINOPS_LOCK_TIMEOUT", "60")
    started = time.monotonic()
    with writing(folder) as con:
        waited = time.monotonic() - started
        ingest_paths(con, [str(AZURE_ACTUAL)])
    assert holder.wait() == 0
    assert waited >= 1.0
    assert store_state(folder).cents == (file_state(FOCUS_SAMPLE) + file_state(AZURE_ACTUAL, "Cost")).cents
