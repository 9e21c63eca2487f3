"""The Data page's writes: loading uploads or server paths with progress, the report of the last
load, and removing a source after a confirmation. Every write goes through ui.data.writer() and
ends with ui.data.changed(), so every page reads the new data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from analytics.ingest.formats import FORMATS
from analytics.ingest.report import IngestError
from analytics.sources import SourceNotFound, remove_source
from analytics.store import SAMPLE_FORMAT, first_line
from ui import data, datapage, loading
from ui.loading import Outcome
from ui.text import inline_code

FORMAT = "data_format"
PATH = "data_path"
LOAD_UPLOADS = "data_load_uploads"
LOAD_PATH = "data_load_path"
REMOVE_PICK = "data_remove_source"
_ROUND = "_data_upload_round"  # a new uploader key after each load empties it
_LAST = "_data_last_load"
_PENDING = "_data_remove_pending"
_REMOVED = "_data_removed"


def _uploader_key() -> str:
    return f"data_uploads_{st.session_state.get(_ROUND, 0)}"


def load_controls() -> None:
    """Upload files or name a path on the server, pick a format (or detect it), load."""
    fmt = st.selectbox(
        "Format",
        ["auto", *FORMATS],
        format_func=lambda n: "Detect from the header" if n == "auto" else FORMATS[n].label,
        key=FORMAT,
        help="Detection reads each file's header; force a format only when detection picks the wrong one.",
    )
    upload_tab, path_tab = st.tabs(["Upload files", "A folder, glob or file on the server"])
    with upload_tab:
        uploads = st.file_uploader(
            "Cost export files (CSV, CSV.gz, Parquet, JSON)",
            type=loading.UPLOAD_TYPES,
            accept_multiple_files=True,
            key=_uploader_key(),
        )
        if st.button("Load uploaded files", key=LOAD_UPLOADS, disabled=not uploads, icon=":material/upload:"):
            folder, paths = loading.stage_uploads(uploads or [])
            try:
                _load(paths, fmt, folder)
            finally:
                loading.discard(folder)
    with path_tab:
        pattern = st.text_input(
            "Path on the server",
            key=PATH,
            placeholder="/exports/aws/2026-*/*.csv.gz, or a folder",
            help="Read by the server process; folders are searched recursively. Best for large exports.",
        )
        if st.button("Load from path", key=LOAD_PATH, disabled=not pattern.strip(), icon=":material/folder_open:"):
            try:
                paths = loading.expand(pattern)
            except IngestError as exc:
                _finish([Outcome(file=pattern.strip(), error=str(exc))])
            else:
                _load(paths, fmt, None)


def _load(paths: list[Path], fmt: str, folder: Path | None) -> None:
    """Load with a progress bar, keep the outcomes for the report, and rerun with fresh caches."""
    with st.status(f"Loading {len(paths):,} file{'' if len(paths) == 1 else 's'}", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")

        def progress(done: int, total: int, path: str) -> None:
            if done < total:
                name = inline_code(datapage.shown_file(path))
                bar.progress(done / total, text=f"File {done + 1:,} of {total:,}: {name}")
            else:
                bar.progress(1.0, text="Done")

        with data.writer() as cur:
            outcomes = loading.load_files(cur, paths, fmt, progress)
        rejected = sum(o.rejected for o in outcomes)
        status.update(label="Loaded", state="error" if rejected == len(outcomes) else "complete", expanded=False)
    if folder is not None:  # name the uploads as uploaded, not by their temp folder
        for outcome in outcomes:
            if outcome.error:
                outcome.error = outcome.error.replace(f"{folder}/", "")
        st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1
    _finish(outcomes)


def _finish(outcomes: list[Outcome]) -> None:
    st.session_state[_LAST] = outcomes
    data.changed()
    st.rerun()


def last_load(entries: list[dict[str, Any]]) -> None:
    """The report of this session's last load: one row per file, then every note."""
    outcomes: list[Outcome] | None = st.session_state.get(_LAST)
    if not outcomes:
        return
    rejected = sum(o.rejected for o in outcomes)
    loaded = len(outcomes) - rejected
    summary = f"Last load: {loaded:,} of {len(outcomes):,} file{'' if len(outcomes) == 1 else 's'} loaded"
    if rejected:
        st.warning(f"{summary}; {rejected:,} rejected, each left the database as it was:", icon=":material/warning:")
        st.code(datapage.rejections(outcomes), language=None, wrap_lines=True)
    else:
        st.success(f"{summary}.", icon=":material/check_circle:")
    counts = ("Rows read", "Rows loaded", "Rows skipped")
    st.dataframe(
        datapage.result_frame(outcomes, entries),
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.TextColumn(c, alignment="right") for c in counts},
    )
    notes = datapage.notes_frame(outcomes)
    if not notes.empty:
        st.dataframe(notes, hide_index=True, width="stretch")
    st.caption("BilledCost per billing currency, as stored for the source that holds the file.")


def _ask(choices: dict[int, str]) -> None:
    st.session_state[_PENDING] = (st.session_state[REMOVE_PICK], choices[st.session_state[REMOVE_PICK]])


def _cancel() -> None:
    st.session_state.pop(_PENDING, None)


def _confirm(source_id: int, label: str) -> None:
    st.session_state.pop(_PENDING, None)
    st.session_state.pop(_LAST, None)  # the last load's report may describe what is now gone
    try:
        with data.writer() as cur:
            remove_source(cur, source_id)
    except (SourceNotFound, duckdb.Error) as exc:
        st.session_state[_REMOVED] = ("error", first_line(exc))
    else:
        st.session_state[_REMOVED] = ("ok", label)
    data.changed()


def removal_notice() -> None:
    notice = st.session_state.pop(_REMOVED, None)
    if notice is None:
        return
    kind, text = notice
    if kind == "ok":
        st.success(f"Removed {inline_code(text)}.", icon=":material/delete:")
    else:
        st.error(f"Nothing removed: {inline_code(text)}", icon=":material/error:")


def remove_controls(entries: list[dict[str, Any]]) -> None:
    """Pick a source, ask to remove it, confirm."""
    choices = datapage.removal_choices(entries)
    pending = st.session_state.get(_PENDING)
    if pending is not None and pending[0] not in choices:  # removed meanwhile, from another session
        st.session_state.pop(_PENDING, None)
        pending = None
    pick, ask = st.columns([4, 1], vertical_alignment="bottom")
    pick.selectbox("Remove a source", list(choices), format_func=choices.__getitem__, key=REMOVE_PICK)
    ask.button("Remove…", key="data_remove", on_click=_ask, args=(choices,), icon=":material/delete:")
    if pending is None:
        return
    source_id, label = pending
    whole_sample = any(e["id"] == source_id and e["format"] == SAMPLE_FORMAT for e in entries)
    what = (
        "the whole sample company: every sample source, its budgets, utilisation and business metrics"
        if whole_sample
        else "its line items and daily rollups; load the file again to bring them back"
    )
    st.warning(f"Remove {inline_code(label)}? This deletes {what}.", icon=":material/warning:")
    yes, no, _ = st.columns([1, 1, 4])
    yes.button("Yes, remove", key="data_remove_confirm", type="primary", on_click=_confirm, args=pending)
    no.button("Cancel", key="data_remove_cancel", on_click=_cancel)
