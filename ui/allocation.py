"""The Allocation page's state and actions: the draft rules (edited by the form, the YAML editor
and the hygiene assistant), their validation and preview, saving, and the cached coverage figures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics.allocation import coverage, hygiene
from analytics.allocation.apply import apply_rules
from analytics.allocation.preview import preview
from analytics.allocation.rules import Rules, RulesError, check_against, default_rules_path, parse_rules
from analytics.engine import DuckDBEngine
from analytics.fx import FxTable
from analytics.schema import Filters, is_tag, tag_key
from ui import audit, data, queries
from ui.cache import cached, cached_fx

DRAFT = "alloc_draft"  # the rules text being edited
EDITOR = "alloc_editor"  # the YAML editor widget
NOTICE = "alloc_notice"
PENDING = "alloc_pending"  # a draft for the editor to show on its next run


def saved_text() -> str:
    path = default_rules_path()
    return path.read_text(encoding="utf-8") if path.exists() else ""


def draft() -> str:
    if DRAFT not in st.session_state:
        st.session_state[DRAFT] = saved_text()
    return str(st.session_state[DRAFT])


def set_draft(text: str, notice: str) -> None:
    """Replace the draft from a form, the hygiene assistant or a save; the editor shows it on the
    next run (a widget's state cannot change once it is drawn)."""
    st.session_state[DRAFT] = text
    st.session_state[PENDING] = text
    st.session_state[NOTICE] = notice


def editor_state() -> None:
    """Before the YAML editor is drawn: it shows the draft."""
    if PENDING in st.session_state:
        st.session_state[EDITOR] = st.session_state.pop(PENDING)
    elif EDITOR not in st.session_state:
        st.session_state[EDITOR] = draft()


def take_editor() -> None:
    """on_change of the YAML editor: what the user typed becomes the draft."""
    st.session_state[DRAFT] = st.session_state[EDITOR]


def notice() -> None:
    message = st.session_state.pop(NOTICE, None)
    if message:
        st.success(message, icon=":material/check:")


def parsed(text: str) -> tuple[Rules | None, str | None]:
    try:
        return parse_rules(text, default_rules_path().name), None
    except RulesError as exc:
        return None, str(exc)


def warnings(rules: Rules) -> list[str]:
    keys = [tag_key(d) for d in queries.dimensions() if is_tag(d)]  # cached, unlike queries.tag_keys
    return check_against(rules, keys)


def preview_table(rules: Rules, owner: str, filters: Filters) -> pd.DataFrame:
    """Before/after per owner, computed on a private copy of the store that is thrown away."""
    with data.writer(publish=False) as cur:
        return preview(cur, data.fx(), rules, owner, filters)


def save(text: str) -> str | None:
    """Validate, apply to all the data (all or nothing), then write the file; None or the error."""
    rules, error = parsed(text)
    if rules is None:
        return error
    path = default_rules_path()
    with data.writer() as cur:
        apply_rules(cur, rules)
        _write_atomically(path, text)
    audit.record("allocation rules", {"rules": str(path), "fingerprint": rules.fingerprint()})
    data.changed()
    return None


def _write_atomically(path: Path, text: str) -> None:
    """A reader (or a crash) sees the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@cached_fx(max_entries=32)
def allocated(engine: DuckDBEngine, fx: FxTable, filters: Filters, currency: str) -> coverage.Allocated:
    """Spend with an owner after the rules, of all spend; see analytics.allocation.coverage."""
    return coverage.allocated_share(engine, fx, filters, currency)


@cached_fx(max_entries=32)
def tag_coverage(engine: DuckDBEngine, fx: FxTable, filters: Filters, by: str | None, currency: str) -> pd.DataFrame:
    return coverage.tag_coverage(engine, fx, filters, by, currency)


@cached_fx(max_entries=32)
def untagged(engine: DuckDBEngine, fx: FxTable, filters: Filters, key: str, currency: str) -> pd.DataFrame:
    return coverage.top_untagged(engine, fx, filters, key, currency=currency)


@cached(max_entries=8)
def _ranking(engine: DuckDBEngine, rules_text: str) -> pd.DataFrame:
    rules, _ = parsed(rules_text)
    return hygiene.key_ranking(engine, rules or Rules())


def key_ranking(rules: Rules) -> pd.DataFrame:
    return _ranking(rules.text)


@cached(max_entries=32)
def value_variants(engine: DuckDBEngine, key: str) -> list[hygiene.Variants]:
    return hygiene.value_variants(engine, key)


def coverage_pivot(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Groups as rows, tag keys as columns (% of the group's spend carrying the key), largest first."""
    if frame.empty:
        return pd.DataFrame()
    pivot = frame.pivot_table(index="group", columns="key", values="percent", aggfunc="first", dropna=False)
    totals = frame.groupby("group", dropna=False)["total"].first()
    pivot = pivot.reindex(columns=[k for k in keys if k in pivot.columns]).fillna(0.0).round(1)
    pivot.insert(0, "Spend", totals.reindex(pivot.index).round(2))
    pivot.index = [str(g) if g is not None and not pd.isna(g) else "(not set)" for g in pivot.index]
    return pivot.sort_values("Spend", ascending=False)
