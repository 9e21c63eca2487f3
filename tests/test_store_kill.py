"""A kill -9 at any moment of an ingest leaves the store as it was, or as a clean finish would have,
and the next process that opens it leaves no file of the killed one behind (issue 18, item 3).

The random rounds kill `python -m analytics ingest` at seeded moments spread over its write (from
the moment it holds the store to a little past its usual end); the pinned cases kill it at the
steps of a publication where a crash is most harmful, from inside the process itself."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analytics.ingest.run import ingest_paths
from analytics.store import snapshots, writing
from tests.app_fixtures import PROJECT
from tests.realdata import FOCUS_SAMPLE
from tests.store_checks import State, cli, file_state, leftovers, store_state, write_focus

pytestmark = pytest.mark.slow

ROWS = 50_000  # about a second of writing on 2 shared cores
ROUNDS = 4
SEED = 1804


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="module")
def big(files: Path) -> Path:
    return write_focus(files / "big.csv", ROWS, seed=SEED, month="2025-03", account="acct-kill")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one real export, copied for each round."""
    folder = tmp_path_factory.mktemp("base") / "store"
    with writing(folder) as con:
        ingest_paths(con, [str(FOCUS_SAMPLE)])
    return folder


def fresh(base: Path, folder: Path) -> Path:
    shutil.copytree(base, folder)
    return folder


def ingest(big: Path, folder: Path, temp: Path | None = None) -> subprocess.Popen[bytes]:
    """The ingest command in a new process; `temp`: its temp folder (TMPDIR), to see what it leaves there."""
    command = [sys.executable, "-m", "analytics", "ingest", str(big), "--db", str(folder)]
    env = dict(os.environ)
    if temp is not None:
        temp.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(temp)
    return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_write(process: subprocess.Popen[bytes], folder: Path) -> float:
    """Until the process holds the store (its work folder appears) or ends; when that was."""
    work = folder / snapshots.WORK / snapshots.process_name(process.pid)
    deadline = time.monotonic() + 120
    while not work.exists() and process.poll() is None:
        assert time.monotonic() < deadline, "the ingest never started writing"
        time.sleep(0.002)
    return time.monotonic()


def after_next_open(folder: Path) -> list[str]:
    """The next process opens the store (a read command); what is left in the folder then."""
    listed = cli("sources", "--db", str(folder))
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    return leftovers(folder)


def assert_usable(folder: Path, big: Path, after: State, load: bool = True) -> None:
    """A writer gets the store at once (the kernel released the killed one's lock), and loading the
    file again ends where a clean finish ends: nothing of the killed attempt counts as loaded."""
    with writing(folder, timeout=5, publish=load) as con:
        if load:
            ingest_paths(con, [str(big)])
    if load:
        assert store_state(folder).cents == after.cents


@pytest.fixture(scope="module")
def states(base: Path, big: Path) -> tuple[State, State]:
    before = file_state(FOCUS_SAMPLE)
    after = before + file_state(big)
    assert store_state(base).cents == before.cents
    return before, after


def test_an_ingest_killed_at_random_moments_leaves_the_store_before_or_after_and_nothing_behind(
    base: Path, big: Path, states: tuple[State, State], tmp_path: Path
) -> None:
    before, after = states
    # A clean run first: how long it writes, and that it ends in the state computed from the files.
    clean = fresh(base, tmp_path / "clean")
    process = ingest(big, clean)
    started = wait_for_write(process, clean)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    writes = time.monotonic() - started
    assert store_state(clean).cents == after.cents

    rnd = random.Random(SEED)
    seen: list[tuple[float, str, bool]] = []
    for round_ in range(ROUNDS):
        # One moment per slice of the write, the last slice reaching past its usual end.
        delay = writes * 1.2 * (round_ + rnd.random()) / ROUNDS
        folder = fresh(base, tmp_path / f"round-{round_}")
        temp = tmp_path / f"temp-{round_}"
        process = ingest(big, folder, temp)
        wait_for_write(process, folder)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        code = process.returncode
        # Whatever the process had in hand (its staged copy of the file too) is in the store's work
        # folder, which the next process removes: nothing is left in the system's temp folder.
        assert sorted(p.name for p in temp.iterdir()) == [], (round_, delay)
        left = leftovers(folder)  # what the killed process left, before anyone opens the store
        assert after_next_open(folder) == [], (round_, delay, left)
        state = store_state(folder)
        assert state.cents in (before.cents, after.cents), (round_, delay, state)
        if code == 0:
            assert state.cents == after.cents, (round_, delay, state)
        outcome = "after" if state.cents == after.cents else "before"
        # Loading again is checked once, on a store left as before (the slow half of the check).
        assert_usable(folder, big, after, load=outcome == "before" and all(o == "after" for _, o, _ in seen))
        seen.append((round(delay, 3), outcome, bool(left)))
    # The rounds killed it mid-write (leaving files to tidy and the store as before), not only after.
    assert any(outcome == "before" and left for _, outcome, left in seen), seen


# Kills from inside the ingest process at the steps of a publication (snapshots.publish): the file
# is patched before `python -m analytics ingest` runs, and kills its own process at that step.
KILLER = """
import os, shutil, signal, sys
sys.path.insert(0, sys.argv[1])
from analytics import cli
from analytics.store import snapshots
step = sys.argv[2]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if step == "copying":  # the current generation half copied into the work folder
    def copyfile(src, dst):
        with open(src, "rb") as source, open(dst, "wb") as target:
            target.write(source.read(os.path.getsize(src) // 2))
        die()
    snapshots.shutil.copyfile = copyfile
elif step == "between-renames":  # the new generation in place, the new manifest staged, not renamed
    fsync = snapshots._fsync
    def staged(path):
        fsync(path)
        if path.name.startswith(snapshots.MANIFEST + "."):
            die()
    snapshots._fsync = staged
elif step == "published":  # the manifest renamed, the process's own tidying not yet done
    fsync_dir = snapshots._fsync_dir
    def published(folder):
        fsync_dir(folder)
        die()
    snapshots._fsync_dir = published
sys.exit(cli.main(["ingest", sys.argv[3], "--db", sys.argv[4]]))
"""


@pytest.mark.parametrize(
    ("step", "ends"), [("copying", "before"), ("between-renames", "before"), ("published", "after")]
)
def test_an_ingest_killed_at_a_step_of_its_publication_is_tidied_by_the_next_process(
    base: Path, files: Path, tmp_path: Path, step: str, ends: str
) -> None:
    small = files / "small.csv"
    if not small.exists():
        write_focus(small, 500, seed=SEED + 1, month="2025-04", account="acct-step")
    before = file_state(FOCUS_SAMPLE)
    after = before + file_state(small)
    folder = fresh(base, tmp_path / "store")
    killer = tmp_path / "killer.py"
    killer.write_text(KILLER, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(killer), str(PROJECT), step, str(small), str(folder)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == -signal.SIGKILL, (run.returncode, run.stderr)
    assert leftovers(folder), "the kill left nothing to tidy: it did not land inside the write"
    assert after_next_open(folder) == []
    assert store_state(folder).cents == (before if ends == "before" else after).cents
    assert_usable(folder, small, after)


def test_what_a_running_writer_has_in_hand_is_not_tidied_by_a_reader(base: Path, tmp_path: Path) -> None:
    """The other side of tidying: a reader removes only what dead processes left, never the work
    folder of a live writer nor the generation it has renamed into place and is about to name."""
    folder = fresh(base, tmp_path / "store")
    current = snapshots.current(folder)
    assert current is not None
    with writing(folder) as con:
        con.execute("DELETE FROM line_items")
        con.execute("DELETE FROM daily_costs")
        draft = snapshots.work_folder(folder) / "next.duckdb"
        named_next = folder / snapshots.generation_name(current.generation + 1)
        shutil.copyfile(current.file, named_next)  # as at the first of publication's two renames
        listed = cli("sources", "--db", str(folder))
        assert listed.returncode == 0, listed.stderr
        assert draft.exists() and named_next.exists()
    assert store_state(folder).rows == 0
    assert leftovers(folder) == []


def test_files_of_a_dead_writer_go_even_when_a_live_process_has_its_pid_since(base: Path, tmp_path: Path) -> None:
    """After a container restarts, pids start again from the bottom: the server may well get the pid
    a killed ingest had. The start time in the folder's name tells the two apart."""
    folder = fresh(base, tmp_path / "store")
    live = os.getppid()
    dead = folder / snapshots.WORK / f"{live}-1"  # the pid of a live process, another start time
    kept = folder / snapshots.WORK / snapshots.process_name(live)
    for work in (dead, kept):
        work.mkdir(parents=True)
        (work / "next.duckdb").write_bytes(b"half a generation")
    (folder / f"{snapshots.MANIFEST}.{live}-1").write_text("{}", encoding="utf-8")
    snapshots.tidy(folder, locked=False)
    assert not dead.exists() and not (folder / f"{snapshots.MANIFEST}.{live}-1").exists()
    assert kept.exists()


SPILLER = """
import sys
sys.path.insert(0, sys.argv[1])
from analytics.store import reader
con = reader(sys.argv[2], memory_limit="100MB")
con.execute("SELECT count(*) FROM (SELECT md5(range::VARCHAR) AS v FROM range(6000000) ORDER BY v)").fetchall()
"""


def test_a_reader_spills_a_query_larger_than_memory_and_its_spill_folder_goes_when_it_is_killed(
    base: Path, tmp_path: Path
) -> None:
    folder = fresh(base, tmp_path / "store")
    script = tmp_path / "spiller.py"
    script.write_text(SPILLER, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(script), str(PROJECT), str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    spill = folder / snapshots.SPILL / snapshots.process_name(process.pid)
    deadline = time.monotonic() + 60
    while not any(spill.glob("*.tmp")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    assert any(spill.glob("*.tmp")), f"the reader did not spill: {err.decode()[-300:]}"
    assert after_next_open(folder) == []
