"""The first moments of the server: the cost database is opened and, on a first start, the sample
company is built, in a background thread of the server process. The router calls `wait()` before
it imports anything heavy, so a first visitor sees progress within a second instead of a white page,
and the build goes on to the end whether or not anyone is watching (a reload or a second visitor
just joins it). Deliberately light: streamlit and the standard library only, until the thread runs."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

POLL_SECONDS = 0.2


@dataclass
class Job:
    """One database's preparation; `building` once the sample build reports progress."""

    fraction: float = 0.0
    message: str = "Starting"
    building: bool = False
    started: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)

    def progress(self, fraction: float, message: str) -> None:
        self.building = True
        self.fraction, self.message = min(max(float(fraction), 0.0), 1.0), message


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def _key() -> str:
    # FINOPS_DB as the process sees it (ui.data resolves the default): no import of the store here.
    return os.environ.get("FINOPS_DB", "")


def start() -> Job:
    """The preparation of the current database, started (once per database and process) if it was not."""
    with _lock:
        job = _jobs.get(_key())
        if job is None:
            job = _jobs[_key()] = Job()
            threading.Thread(target=_run, args=(job,), name="finops-first-start", daemon=True).start()
        return job


def _run(job: Job) -> None:
    try:
        from ui import data, overview  # noqa: F401  (heavy; overview registers its cache warm-up)

        data.prepare_in_background(job.progress)
    except Exception:  # noqa: BLE001
        # Shown by the page: ui.data.engine() tries again in the page run and explains the failure.
        logging.getLogger(__name__).warning("preparing the database failed; the page will say why", exc_info=True)
    finally:
        job.done.set()


def wait() -> None:
    """Show what is being prepared until the database is ready, from the script's first moment (no
    spinner delay): "Opening the cost database" while it is opened (then gone), the sample build's
    progress on a first start (then a closed "Sample dataset ready")."""
    job = start()
    if job.done.is_set():
        return
    slot = st.empty()
    with slot.container():
        status = st.status("Opening the cost database", expanded=False)
    while not job.done.wait(POLL_SECONDS) and not job.building:
        pass
    if not job.building:
        slot.empty()
        return
    status.update(label="First start: building a sample dataset to explore", expanded=True)
    with status:
        st.write(
            "There is no cost data yet, so FinOps Lens builds a realistic sample company (several clouds, "
            "a year of daily costs). This happens once; it goes on if you leave this page."
        )
        bar = st.progress(job.fraction, text=job.message)
        while not job.done.wait(POLL_SECONDS):
            bar.progress(job.fraction, text=job.message)
        bar.progress(1.0, text=f"Done in {time.monotonic() - job.started:.0f} s")
    status.update(label="Sample dataset ready", state="complete", expanded=False)
