"""Loading small input files (utilisation metrics, business metrics) uploaded on a page: each file
validated and stored in one transaction, refused whole with its problems listed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import duckdb
import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from ui import data


class Refused(Protocol):
    problems: list[str]


def load_uploads(
    files: Sequence[UploadedFile],
    load: Callable[[duckdb.DuckDBPyConnection, str, bytes], Any],
    refused: type[Exception],
) -> None:
    """`load(cursor, name, content)` each file; it returns a report with `summary()` and `notes`, or
    raises `refused` carrying `problems` (line and field of each)."""
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
