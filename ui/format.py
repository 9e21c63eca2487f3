"""Tables written one way (analytics.formatting): the column configurations every page uses, and
`table()`, which shows a missing value as a dash. A column that can be empty says why in its help."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from analytics import labels
from analytics.formatting import (
    DASH,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    RATE_FORMAT,
    SIGNED_PERCENT_FORMAT,
    SIGNED_UNIT_COST_FORMAT,
    UNIT_COST_FORMAT,
    WHOLE_FORMAT,
    money_format,
)
from analytics.formatting import money_text as money_text  # for the pages, which import ui only
from analytics.formatting import pct_text as pct_text
from ui import data

__all__ = ["DASH", "MONEY_FORMAT", "RATE_FORMAT", "UNIT_COST_FORMAT", "money_text", "pct_text"]

Config = dict[str, Any]


def label_overrides() -> dict[str, str]:
    """The `labels:` of the allocation rules in force."""
    return dict(data.allocation().rules.labels)


def label(name: str) -> str:
    """The words shown for a dimension or metric name (analytics.labels, allocation.yaml overrides)."""
    return labels.label(name, label_overrides())


def in_sentence(name: str) -> str:
    """`label` inside a sentence: 'Total cost (amortised)'."""
    return labels.in_sentence(name, label_overrides())


def option(name: str) -> str:
    """A dimension in a picker on a practitioner page: the label, then the technical name."""
    shown = label(name)
    return shown if shown == name else f"{shown} · {name}"


def money(title: str, currency: str, help: str | None = None) -> Any:
    """An amount: '1,234.56', the currency in the header."""
    return st.column_config.NumberColumn(f"{title} ({currency})", format=money_format(currency), help=help)


def unit_cost(title: str, currency: str, help: str | None = None, signed: bool = False) -> Any:
    """Money per unit (per order, per GB): 4 decimals, since a rate is often under a cent."""
    fmt = SIGNED_UNIT_COST_FORMAT if signed else UNIT_COST_FORMAT
    return st.column_config.NumberColumn(f"{title} ({currency})", format=fmt, help=help)


def percent(title: str | None = None, help: str | None = None, signed: bool = False) -> Any:
    """A percentage held as percent (12.3, see `as_percent`): one decimal."""
    fmt = SIGNED_PERCENT_FORMAT if signed else PERCENT_FORMAT
    return st.column_config.NumberColumn(title, format=fmt, help=help)


def share_bar(title: str | None = None, help: str | None = None) -> Any:
    """A percentage (0-100) drawn as a bar, one decimal."""
    return st.column_config.ProgressColumn(title, format=PERCENT_FORMAT, min_value=0, max_value=100, help=help)


def count(title: str | None = None, help: str | None = None) -> Any:
    """A whole number with a thousands separator."""
    return st.column_config.NumberColumn(title, format=WHOLE_FORMAT, help=help)


def as_percent(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """`frame` with the fractions in `columns` (0.123) as percent (12.3), for `percent()` columns."""
    present = [c for c in columns if c in frame]
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") * 100 for c in present})


def table(frame: pd.DataFrame | Any, config: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    """`st.dataframe` with the house defaults: no index, full width, a dash for a missing value."""
    options: dict[str, Any] = {"hide_index": True, "width": "stretch", "placeholder": DASH} | kwargs
    where = options.pop("target", None) or st
    return where.dataframe(frame, column_config=dict(config or {}), **options)
