"""The app's last line of defence: a page (or the sidebar, or a banner) that fails shows one short
error box with a reference id and how to remove a source, the details go to the server log, and
the rest of the app keeps working. No traceback reaches the browser. A user who is not an admin gets
only the reference: the message may name server paths or quote a file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from analytics import sources
from analytics.fx import FxError
from analytics.logs import log_failure, one_line, setup_logging
from ui import data, identity

setup_logging()  # the server's log file from the first run on, for the warm-up's failures too
_log = logging.getLogger(__name__)
_MAX_LISTED = 8  # sources named in the box; more would bury the message


def _admin() -> bool:
    """Whether the details may be shown; when even that cannot be told, they are not."""
    try:
        return identity.is_admin()
    except Exception:  # noqa: BLE001 - the boundary must draw its box whatever failed
        return False


def loaded_files() -> list[tuple[int, str]]:
    """(id, file) of every loaded source, read straight from the `sources` table: unlike the pages,
    this touches no analytics that might be what failed. Empty if even that cannot be read."""
    try:
        # Straight from the store, not engine(): preparing the data may be what failed.
        return sources.loaded_files(data.db_path())
    except Exception:  # noqa: BLE001 - the box still says how to remove a source without the list
        return []


def _code(text: str) -> str:
    """`text` whole as a Markdown code span (inline_code cuts long text; a file's message must stay whole)."""
    return "`" + text.replace("`", "ʼ").replace("\r", " ").replace("\n", " ") + "`"


def fx_problem() -> str | None:
    """Why the exchange-rate file cannot be used, or None. Checked before the sidebar draws: the
    sidebar and every page need the rates, and `data.fx()` would stop the whole run, the Data page's too."""
    try:
        data._fx(*data.file_stamp(data.fx_path()))
    except FxError as exc:
        return str(exc)
    return None


def unusable_rates(problem: str) -> None:
    """The one box a page shows instead of itself while the rates file is wrong."""
    if not _admin():
        reference = log_failure(_log, "Reading the exchange-rate file", FxError(problem))
        st.error(
            f"The exchange rates cannot be used, so no amount can be shown (reference `{reference}`): "
            "an administrator can see why on the **Data** page and fix the file.",
            icon=":material/error:",
        )
        return
    st.error(
        f"The exchange-rate file cannot be used, so no amount can be converted: {_code(problem)}. "
        "Fix the file (README, Money, currencies and time) and reload; the **Data** page still works.",
        icon=":material/error:",
    )


def failure_message(what: str, exc: BaseException, reference: str, files: list[tuple[int, str]]) -> str:
    """The text of the error box: what failed, the reference id, and which sources could be the cause."""
    lines = [
        f"{what} could not be shown: {_code(one_line(exc))} (reference `{reference}`; the details are in "
        "the server log).",
        "The other pages keep working.",
    ]
    if files:
        # File names and the exception's text are data: code spans, never Markdown.
        listed = ", ".join(f"{source_id}: {_code(name)}" for source_id, name in files[:_MAX_LISTED])
        more = f" and {len(files) - _MAX_LISTED} more" if len(files) > _MAX_LISTED else ""
        lines.append(
            f"If one of the loaded sources ({listed}{more}) holds a value this page cannot use, remove it on the "
            "**Data** page, or with `python -m analytics remove SOURCE_ID --yes`."
        )
    return "\n\n".join(lines)


def hidden_message(reference: str) -> str:
    """The error box for a user who is not an admin: the reference to quote, nothing of the failure."""
    return f"Something went wrong (reference `{reference}`)."


def guard(what: str, draw: Callable[[], Any], container: Any = None) -> bool:
    """Run `draw`; on an unexpected exception show one error box in `container` (the page when None)
    and return False. Streamlit's own control flow (st.stop, st.rerun, st.switch_page) passes through."""
    try:
        draw()
    except ScriptControlException:
        raise
    except Exception as exc:  # noqa: BLE001 - the boundary: anything a page raises stops here
        reference = log_failure(_log, what, exc)
        target = container if container is not None else st
        shown = failure_message(what, exc, reference, loaded_files()) if _admin() else hidden_message(reference)
        target.error(shown, icon=":material/error:")
        return False
    return True
