"""Loading files from the app: cost exports on the Data page (uploads staged under their own names,
or files under the import folder an admin set, vetted by analytics.import_root; every file ingested on
its own by analytics.ingest, so a bad file is listed as rejected while the others load) with the
report of the last load, and the small input files (utilisation, business metrics) other pages upload.
Every write goes through ui.data.writer() and ends with ui.data.changed(), so every page reads the
new data."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from analytics import import_root
from analytics.engine import Connection
from analytics.import_root import ImportRoot
from analytics.ingest.formats import FORMATS
from analytics.ingest.report import IngestError, IngestReport
from analytics.ingest.run import ingest_paths
from analytics.sources import source_of
from ui import audit, data, data_tables
from ui.data_tables import UPLOAD_PREFIX, Outcome
from ui.text import inline_code

UPLOAD_TYPES = ["csv", "gz", "parquet", "json", "jsonl"]
FORMAT = "data_format"
PATH = "data_path"
LOAD_UPLOADS = "data_load_uploads"
LOAD_PATH = "data_load_path"
LAST = "_data_last_load"  # session state: the outcomes of this session's last load
_ROUND = "_data_upload_round"  # a new uploader key after each load empties it


class Upload(Protocol):
    """What st.file_uploader returns, as far as staging needs it."""

    name: str

    def getbuffer(self) -> memoryview: ...


def stage_uploads(uploads: Iterable[Upload]) -> tuple[Path, list[Path]]:
    """Write the uploads into a new temp folder under their original names (so the inventory shows
    them); two uploads of the same name go into numbered subfolders. Returns the folder and paths."""
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
    paths: list[Path] = []
    for index, upload in enumerate(uploads):
        name = Path(upload.name.replace("\\", "/")).name or f"upload-{index + 1}"
        target = folder / name
        if target.exists():
            target = folder / str(index + 1) / name
            target.parent.mkdir()
        target.write_bytes(upload.getbuffer())
        paths.append(target)
    return folder, paths


def discard(folder: Path) -> None:
    """Remove staged uploads once loaded: their rows are in the database now."""
    shutil.rmtree(folder, ignore_errors=True)


def load_files(
    con: Connection,
    patterns: list[str],
    fmt: str = "auto",
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Outcome]:
    """Every file the patterns name, through analytics.ingest.run.ingest_paths (the command line's
    ingest): each file one transaction, all one batch, a bad file rejected with its one-line error
    while the others load. Nothing to load at all is one rejected outcome saying so."""
    try:
        reports = ingest_paths(con, patterns, fmt, progress, keep_going=True)
    except IngestError as exc:
        return [Outcome(file=" ".join(patterns), error=str(exc))]
    return [_outcome(con, report) for report in reports]


def _outcome(con: Connection, report: IngestReport) -> Outcome:
    if report.status == "rejected":
        return Outcome(file=report.file, error=report.error or f"{report.file}: rejected")
    source = source_of(con, Path(report.file), unchanged=report.status == "unchanged")
    return Outcome(file=report.file, report=report, source_id=source)


def load_controls() -> None:
    """Upload files, or name files under the import folder when the admin set one; pick a format
    (or detect it); load."""
    fmt = st.selectbox(
        "Format",
        ["auto", *FORMATS],
        format_func=lambda n: "Detect from the header" if n == "auto" else FORMATS[n].label,
        key=FORMAT,
        help="Detection reads each file's header; force a format only when detection picks the wrong one.",
    )
    root = import_root.configured()
    if root is None:
        _upload_controls(fmt)
        st.caption(
            "Loading files from a folder on the server is off: an admin turns it on by starting the app with "
            f"`{import_root.ROOT_VARIABLE}` set to the folder that holds the exports."
        )
        return
    upload_tab, path_tab = st.tabs(["Upload files", "From the import folder on the server"])
    with upload_tab:
        _upload_controls(fmt)
    with path_tab:
        _path_controls(root, fmt)


def _upload_controls(fmt: str) -> None:
    uploads = st.file_uploader(
        "Cost export files (CSV, CSV.gz, Parquet, JSON)",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key=f"data_uploads_{st.session_state.get(_ROUND, 0)}",
    )
    if st.button("Load uploaded files", key=LOAD_UPLOADS, disabled=not uploads, icon=":material/upload:"):
        folder, paths = stage_uploads(uploads or [])
        try:
            _load([str(p) for p in paths], fmt, folder)
        finally:
            discard(folder)


def _path_controls(root: ImportRoot, fmt: str) -> None:
    """A file, folder or glob under the import folder; checked (resolved, inside it, cost exports,
    within the caps) before anything is read or the write lock taken."""
    pattern = st.text_input(
        "Path under the import folder",
        key=PATH,
        placeholder="aws/2026-*/*.csv.gz, or a folder",
        help=f"Relative to the import folder the admin set ({import_root.ROOT_VARIABLE}); folders are searched "
        "recursively and `**` in a glob spans folders. Only cost exports inside that folder are read.",
    )
    try:
        caps = import_root.limits()
    except import_root.ImportRefused as exc:
        st.error(str(exc), icon=":material/block:")
        return
    st.caption(f"At most {import_root.caps_text(caps)} per load. Best for large exports.")
    # An empty path would name the whole import folder: the button waits for a path.
    if st.button(
        "Load from the import folder", key=LOAD_PATH, disabled=not pattern.strip(), icon=":material/folder_open:"
    ):
        try:
            chosen = import_root.select(root, pattern, caps)
        except import_root.ImportRefused as exc:
            st.error(str(exc), icon=":material/block:")
            return
        refused = [Outcome(file=r.file, error=r.line) for r in chosen.refused]
        _load([str(p) for p in chosen.files], fmt, root=root, refused=refused)


def _load(
    paths: list[str],
    fmt: str,
    staged: Path | None = None,
    root: ImportRoot | None = None,
    refused: list[Outcome] | None = None,
) -> None:
    """Load with a progress bar, keep the outcomes (and the paths refused before loading) for the
    report, and rerun with fresh caches. Files under `root` are named relative to it."""
    outcomes: list[Outcome] = []
    if paths:
        with st.status("Loading files", expanded=True) as status:
            bar = st.progress(0.0, text="Starting")

            def progress(done: int, total: int, path: str) -> None:
                if done < total:
                    name = inline_code(_relative(root, path) if root else data_tables.shown_file(path))
                    bar.progress(done / total, text=f"File {done + 1:,} of {total:,}: {name}")
                else:
                    bar.progress(1.0, text="Done")

            with data.writer() as cur:
                outcomes = load_files(cur, paths, fmt, progress)
            rejected = sum(o.rejected for o in outcomes)
            status.update(label="Loaded", state="error" if rejected == len(outcomes) else "complete", expanded=False)
    if staged is not None:  # name the uploads as uploaded, not by their temp folder
        for outcome in outcomes:
            if outcome.error:
                outcome.error = outcome.error.replace(f"{staged}/", "")
        st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1
    if root is not None:
        _name_relative(root, outcomes)
    st.session_state[LAST] = [*outcomes, *(refused or [])]
    if paths:
        audit.record_load(outcomes)
        data.changed()
    st.rerun()


def _relative(root: ImportRoot | None, text: str) -> str:
    """`text` with the import folder's own path taken out of every path in it."""
    return text.replace(f"{root.real}/", "") if root is not None else text


def _name_relative(root: ImportRoot, outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        outcome.file = _relative(root, outcome.file)
        outcome.error = _relative(root, outcome.error) if outcome.error else None
        if outcome.report is not None:
            report = outcome.report
            for notes in (report.fixes, report.warnings, report.replaced):
                notes[:] = [_relative(root, note) for note in notes]


def last_load(entries: list[dict[str, Any]]) -> None:
    """The report of this session's last load: one row per file, then every note."""
    outcomes: list[Outcome] | None = st.session_state.get(LAST)
    if not outcomes:
        return
    rejected = sum(o.rejected for o in outcomes)
    loaded = len(outcomes) - rejected
    summary = f"Last load: {loaded:,} of {len(outcomes):,} file{'' if len(outcomes) == 1 else 's'} loaded"
    if rejected:
        st.warning(f"{summary}; {rejected:,} rejected, each left the database as it was:", icon=":material/warning:")
        st.code(data_tables.rejections(outcomes), language=None, wrap_lines=True)
    else:
        st.success(f"{summary}.", icon=":material/check_circle:")
    counts = ("Rows read", "Rows loaded", "Rows skipped")
    st.dataframe(
        data_tables.result_frame(outcomes, entries),
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.TextColumn(c, alignment="right") for c in counts},
    )
    notes = data_tables.notes_frame(outcomes)
    if not notes.empty:
        st.dataframe(notes, hide_index=True, width="stretch")
    st.caption("BilledCost per billing currency, as stored for the source that holds the file.")


def load_uploads(
    files: Sequence[UploadedFile],
    load: Callable[[Connection, str, bytes], Any],
    refused: type[Exception],
) -> None:
    """Small input files (utilisation, business metrics): `load(cursor, name, content)` each file,
    which returns a report with `summary()` and `notes`, or raises `refused` carrying `problems`
    (line and field of each); a refused file is listed with its problems and nothing of it stored."""
    for upload in files:
        try:
            with data.writer() as cur:
                report = load(cur, upload.name, upload.getvalue())
        except refused as exc:
            st.error(f"{upload.name}: refused, nothing loaded.", icon=":material/error:")
            st.dataframe(pd.DataFrame({"problem": getattr(exc, "problems", [str(exc)])}), hide_index=True)
            continue
        st.success(report.summary(), icon=":material/check:")
        for note in report.notes:
            st.caption(note)
    data.changed()
