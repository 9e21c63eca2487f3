"""The app's side of the audit log (analytics.audit): who the actor is, recording an action, and the
log on the Data page with a CSV download."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import streamlit as st

from analytics import audit
from analytics.csv_safety import csv_bytes
from analytics.source_names import shown_file
from ui import identity
from ui.data_tables import Outcome

SHOWN = 200
SINCE = "audit_since"
_FAILED = "_audit_failed"  # session state: the last entry that could not be written


def actor() -> str:
    """Who acts in this session: the signed-in email, or "local user" in single-user mode."""
    return identity.actor()


def record(action: str, detail: dict[str, Any]) -> None:
    """Append an entry for an action already done: a log that cannot be written does not undo it
    or break the page; it goes to the server log and the Data page says so."""
    try:
        audit.record(actor(), action, detail)
    except audit.AuditError as exc:
        logging.getLogger(__name__).error("%s (action %s, detail %s)", exc, action, detail)
        st.session_state[_FAILED] = str(exc)


def record_load(outcomes: list[Outcome]) -> None:
    """A load from the Data page: each file (by the name it was uploaded under), its result and source."""
    statuses = ["rejected" if o.rejected else o.report.status if o.report else "loaded" for o in outcomes]
    files, ids = [shown_file(o.file) for o in outcomes], [o.source_id for o in outcomes]
    record("load", {"files": files, "statuses": statuses, "source_ids": ids})


def log_view() -> None:
    """The newest entries first, and every entry since a chosen day as CSV."""
    failed = st.session_state.pop(_FAILED, None)
    if failed:
        st.error(f"An action was done but not recorded: {failed}", icon=":material/error:")
    path = audit.audit_path()
    try:
        log = audit.read(None, path)
    except audit.AuditError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.caption(
        f"Loads, removals, allocation-rule and budget changes and pack exports, from the app and the command line "
        f"(`python -m analytics audit`), appended to `{path}`. The newest {SHOWN} are shown."
    )
    if log.skipped:
        st.warning(
            f"{len(log.skipped):,} line(s) of the audit log are not entries and were skipped "
            f"(line {', '.join(str(n) for n in log.skipped[:10])}).",
            icon=":material/warning:",
        )
    if not log.entries:
        st.info("Nothing recorded yet.")
        return
    st.dataframe(audit.frame(log.entries[::-1][:SHOWN]), hide_index=True, width="stretch")
    first = dt.date.fromisoformat(log.entries[0].at[:10])
    since = st.date_input("Download entries since (UTC day)", value=first, key=SINCE)
    chosen = since if isinstance(since, dt.date) else first
    st.download_button(
        f"Download {len(since_day(log.entries, chosen)):,} entries as CSV",
        csv_since(log.entries, chosen),
        file_name=f"audit-since-{chosen.isoformat()}.csv",
        mime="text/csv",
        key="audit_download",
        icon=":material/download:",
    )


def since_day(entries: list[audit.Entry], day: dt.date) -> list[audit.Entry]:
    return [e for e in entries if e.at[:10] >= day.isoformat()]


def csv_since(entries: list[audit.Entry], day: dt.date) -> bytes:
    """The download: every entry of `day` or later, text cells made inert for spreadsheets."""
    return csv_bytes(audit.frame(since_day(entries, day)))
