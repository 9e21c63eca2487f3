"""Removing a source from the Data page: pick it, ask, confirm; then every page reads the data
without it. The sample company goes whole."""

from __future__ import annotations

from typing import Any

import streamlit as st

from analytics.engine import EngineError
from analytics.sources import SourceNotFound, remove_source
from analytics.store import SAMPLE_FORMAT, first_line
from ui import audit, data, data_tables
from ui.data_loads import LAST
from ui.text import inline_code

REMOVE_PICK = "data_remove_source"
_PENDING = "_data_remove_pending"
_REMOVED = "_data_removed"
_SHOWN = "_data_remove_shown"  # the label the picker last showed


def _ask(choices: dict[int, str]) -> None:
    st.session_state[_PENDING] = (st.session_state[REMOVE_PICK], choices[st.session_state[REMOVE_PICK]])


def _cancel() -> None:
    st.session_state.pop(_PENDING, None)


def _confirm(source_id: int | str, label: str) -> None:
    st.session_state.pop(_PENDING, None)
    st.session_state.pop(LAST, None)  # the last load's report may describe what is now gone
    try:
        with data.writer() as cur:
            files = remove_source(cur, source_id)
    except (SourceNotFound, EngineError) as exc:
        st.session_state[_REMOVED] = ("error", first_line(exc))
    else:
        st.session_state[_REMOVED] = ("ok", label)
        audit.record("remove", {"source_id": source_id, "source": label, "files": files})
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
    choices = data_tables.removal_choices(entries)
    pending = st.session_state.get(_PENDING)
    if pending is not None and pending[0] not in choices:  # removed meanwhile, from another session
        st.session_state.pop(_PENDING, None)
        pending = None
    picked = st.session_state.get(REMOVE_PICK)
    if picked in choices and choices[picked] != st.session_state.get(_SHOWN):
        # Source ids are reused: after a load replaced the sample, id 1 names the new file. The value still
        # matches an option, so Streamlit would not send it again and the browser kept showing "Sample company".
        st.session_state[REMOVE_PICK] = picked
    pick, ask = st.columns([4, 1], vertical_alignment="bottom")
    chosen = pick.selectbox("Remove a source", list(choices), format_func=choices.__getitem__, key=REMOVE_PICK)
    st.session_state[_SHOWN] = choices.get(chosen)
    ask.button("Remove…", key="data_remove", on_click=_ask, args=(choices,), icon=":material/delete:")
    if pending is None:
        return
    source_id, label = pending
    kind = next((e["format"] for e in entries if e["id"] == source_id), None)
    what = {
        SAMPLE_FORMAT: "the whole sample company: every sample source, its budgets, utilisation and business metrics",
        data_tables.CONTRACT_DATASET: "its contract commitments, the terms the Commitments page shows; load the file "
        "again to bring them back",
    }.get(kind or "", "its line items and daily rollups; load the file again to bring them back")
    st.warning(f"Remove {inline_code(label)}? This deletes {what}.", icon=":material/warning:")
    yes, no, _ = st.columns([1, 1, 4])
    yes.button("Yes, remove", key="data_remove_confirm", type="primary", on_click=_confirm, args=pending)
    no.button("Cancel", key="data_remove_cancel", on_click=_cancel)
