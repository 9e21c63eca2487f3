"""The view's state in the URL (st.query_params), so a link reproduces what is on screen.

The sidebar filters own `period`, `from`, `to`, `currency` and one parameter per filtered
dimension, named as the dimension (`ServiceName=...`, `tag:team=...`, repeated for several
values, empty for "not set"). Each page owns the names it registers in PAGE_PARAMS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import streamlit as st

FILTER_PARAMS = frozenset({"period", "from", "to", "currency"})
PAGE_PARAMS = frozenset({"group_by", "group_by2", "metric", "grain", "top"})  # Explore's


def get(name: str) -> str | None:
    return st.query_params.get(name)


def get_all(name: str) -> list[str]:
    return st.query_params.get_all(name)


def names() -> list[str]:
    return list(st.query_params.keys())


def write(desired: Mapping[str, str | list[str]], owned: Iterable[str] | None = None) -> None:
    """Set the parameters in `desired` and drop the other `owned` ones (None: every parameter
    not owned by a page), touching the URL only where it differs."""
    current = set(st.query_params.keys())
    drop = current - set(desired) - PAGE_PARAMS if owned is None else (set(owned) & current) - set(desired)
    for name in drop:
        del st.query_params[name]
    for name, value in desired.items():
        values = [value] if isinstance(value, str) else list(value)
        if st.query_params.get_all(name) != values:
            st.query_params[name] = values
