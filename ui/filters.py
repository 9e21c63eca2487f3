"""The shared sidebar: date range, reporting currency and dimension filters, producing one
analytics.schema.Filters for every page, kept in the URL so a link reproduces the view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from analytics.compare import missing_label
from analytics.periods import DEFAULT_PRESET, PRESETS, clamp_range, describe_range, preset_range
from analytics.schema import Filters
from ui import data, queries, urlstate
from ui.text import inline_code


@dataclass(frozen=True)
class Slot:
    """One multiselect filter: widget key `filters_<name>`, the dimension it filters, its label."""

    name: str
    dimension: str
    label: str

    @property
    def key(self) -> str:
        return f"filters_{self.name}"


COLUMN_SLOTS = (
    Slot("provider", "ProviderName", "Provider"),
    Slot("billing_account", "BillingAccountName", "Billing account"),
    Slot("sub_account", "SubAccountName", "Sub account"),
    Slot("service", "ServiceName", "Service"),
    Slot("region", "RegionId", "Region"),
    Slot("charge_category", "ChargeCategory", "Charge category"),
)
TAG_SLOTS = (Slot("env", "tag:env", "Environment (tag:env)"), Slot("team", "tag:team", "Team (tag:team)"))
PRESET = "filters_period"
DATES = "filters_dates"
CURRENCY = "filters_currency"
MORE_DIMENSION = "filters_more_dimension"  # the free filter: any other tag key or column...
MORE_VALUES = "filters_more_values"  # ...and its values
NOTHING = ""  # no extra filter chosen
DRILL = "filters_drill"  # (dimension, value) requested by a chart click, applied on the next run
_SEEDED = "_filters_seeded"
_RANGE = "_filters_range"
_VIEW = "_filters_view"
DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class View:
    """What the sidebar selected: the Filters (whole UTC days), reporting currency, date preset
    and the span of days that have data."""

    filters: Filters
    currency: str
    preset: str
    first_day: dt.date
    last_day: dt.date

    @property
    def start(self) -> dt.date:
        return self.filters.start or self.first_day

    @property
    def end(self) -> dt.date:
        return self.filters.end or self.last_day


def slots(dimensions: list[str]) -> list[Slot]:
    """The multiselect filters that apply to this data (env and team only if those tags exist)."""
    return [*COLUMN_SLOTS, *(s for s in TAG_SLOTS if s.dimension in dimensions)]


def current() -> View | None:
    """The selection made by this run's sidebar (None when there is no data)."""
    view = st.session_state.get(_VIEW)
    return view if isinstance(view, View) else None


def request_drill(dimension: str, value: str | None) -> None:
    """Narrow the filters to one value of `dimension` on the next run (callable from a callback)."""
    st.session_state[DRILL] = (dimension, value)


def _fmt(dimension: str) -> Callable[[str | None], str]:
    return lambda value: missing_label(dimension) if value is None else str(value)


def _from_url(text: str) -> str | None:
    return None if text == "" else text


def _to_url(value: str | None) -> str:
    return "" if value is None else value


def _seed_from_url(active: list[Slot], dimensions: list[str], currencies: list[str], span: tuple) -> list[str]:
    """Put the URL's filters into the widgets' state before they exist; returns what was ignored."""
    ignored: list[str] = []
    state = st.session_state
    preset = urlstate.get("period")
    if preset in PRESETS:
        state[PRESET] = preset
    elif preset is not None:
        ignored.append(f"date range {inline_code(preset)} (unknown preset)")
    if preset == "custom":
        try:
            start = dt.date.fromisoformat(urlstate.get("from") or "")
            end = dt.date.fromisoformat(urlstate.get("to") or "")
            state[DATES] = clamp_range(start, end, span[0], span[1])
        except ValueError:
            ignored.append("custom dates (`from` and `to` must be YYYY-MM-DD)")
    currency = urlstate.get("currency")
    if currency in currencies:
        state[CURRENCY] = currency
    elif currency is not None:
        ignored.append(f"currency {inline_code(currency)} (not in the exchange-rate table)")
    by_dimension = {s.dimension: s for s in active}
    for name in urlstate.names():
        if name in urlstate.FILTER_PARAMS or name in urlstate.PAGE_PARAMS:
            continue
        values = [_from_url(v) for v in urlstate.get_all(name)]
        if name not in dimensions:
            ignored.append(f"filter {inline_code(name)} (no such dimension in the data)")
        elif name in by_dimension:
            state[by_dimension[name].key] = values
        elif not state.get(MORE_DIMENSION):
            state[MORE_DIMENSION] = name
            state[MORE_VALUES] = values
        else:
            ignored.append(f"filter {inline_code(name)} (only one extra filter at a time)")
    return ignored


def _apply_drill(active: list[Slot]) -> None:
    request = st.session_state.pop(DRILL, None)
    if not request:
        return
    dimension, value = request
    for slot in active:
        if slot.dimension == dimension:
            st.session_state[slot.key] = [value]
            return
    st.session_state[MORE_DIMENSION] = dimension
    st.session_state[MORE_VALUES] = [value]


def _clear(active: list[Slot]) -> None:
    for slot in active:
        st.session_state[slot.key] = []
    st.session_state[MORE_DIMENSION] = NOTHING
    st.session_state[MORE_VALUES] = []


def _options(dimension: str, key: str) -> list[str | None]:
    """Values by all-time spend, plus any selected value (from a link) that is not among them."""
    options = queries.dimension_values(dimension)
    chosen = st.session_state.get(key) or []
    return options + [v for v in chosen if v not in options]


def _date_range(span: tuple[dt.date, dt.date]) -> tuple[str, dt.date, dt.date]:
    first, last = span
    state = st.session_state
    if PRESET not in state:
        state[PRESET] = DEFAULT_PRESET
    preset = st.selectbox("Date range", list(PRESETS), format_func=PRESETS.__getitem__, key=PRESET)
    if preset == "custom":
        if DATES not in state:
            state[DATES] = state.get(_RANGE) or preset_range(DEFAULT_PRESET, last, first)
        picked = st.date_input("From – to (inclusive)", min_value=first, max_value=last, key=DATES)
        chosen = [d for d in (picked if isinstance(picked, tuple | list) else [picked]) if d is not None]
        start, end = (chosen[0], chosen[-1]) if chosen else (first, last)
    else:
        start, end = preset_range(preset, last, first)
    state[_RANGE] = (start, end)
    return preset, start, end


def _dimension_filters(active: list[Slot], dimensions: list[str]) -> dict[str, list[str | None]]:
    """The multiselects, then the free filter on any other tag key (first) or column."""
    state = st.session_state
    where: dict[str, list[str | None]] = {}
    for slot in active:
        state.setdefault(slot.key, [])
        chosen = st.multiselect(
            slot.label,
            _options(slot.dimension, slot.key),
            format_func=_fmt(slot.dimension),
            key=slot.key,
            placeholder="All",
        )
        if chosen:
            where[slot.dimension] = list(chosen)
    taken = {s.dimension for s in active}
    tags = [d for d in dimensions if d not in taken and d.startswith("tag:")]
    columns = [d for d in dimensions if d not in taken and not d.startswith("tag:")]
    state.setdefault(MORE_DIMENSION, NOTHING)
    extra = st.selectbox(
        "Another tag or column",
        [NOTHING, *tags, *columns],
        format_func=lambda d: d or "(none)",
        key=MORE_DIMENSION,
        on_change=lambda: state.__setitem__(MORE_VALUES, []),
    )
    if extra:
        state.setdefault(MORE_VALUES, [])
        chosen = st.multiselect(
            f"Values of {inline_code(extra)}",
            _options(extra, MORE_VALUES),
            format_func=_fmt(extra),
            key=MORE_VALUES,
            placeholder="All",
        )
        if chosen:
            where[extra] = list(chosen)
    return where


def _write_url(preset: str, filters: Filters, currency: str) -> None:
    desired: dict[str, str | list[str]] = {"period": preset}
    if preset == "custom" and filters.start and filters.end:
        desired.update({"from": filters.start.isoformat(), "to": filters.end.isoformat()})
    if currency != DEFAULT_CURRENCY:
        desired["currency"] = currency
    for dimension, values in filters.where:
        desired[dimension] = [_to_url(v) for v in values]
    urlstate.write(desired)


def sidebar() -> View | None:
    """Draw the shared filters in the sidebar and remember the resulting View for the page."""
    span = queries.data_span()
    if span is None:
        st.session_state[_VIEW] = None
        st.sidebar.info("No cost data is loaded.")
        return None
    dimensions = queries.dimensions()
    currencies = data.fx().currencies()
    active = slots(dimensions)
    ignored: list[str] = []
    state = st.session_state
    if not state.get(_SEEDED):
        ignored = _seed_from_url(active, dimensions, currencies, span)
        state[_SEEDED] = True
    _apply_drill(active)
    with st.sidebar:
        st.header("Filters", divider="gray")
        preset, start, end = _date_range(span)
        first, last = (f"{d.day} {d:%b %Y}" for d in span)
        st.caption(f"{describe_range(start, end)}. Days are UTC days. Data from {first} to {last}.")
        if CURRENCY not in state:
            state[CURRENCY] = DEFAULT_CURRENCY if DEFAULT_CURRENCY in currencies else currencies[0]
        currency = st.selectbox("Reporting currency", currencies, key=CURRENCY) or DEFAULT_CURRENCY
        where = _dimension_filters(active, dimensions)
        st.button(
            "Clear filters", on_click=_clear, args=(active,), key="filters_clear", icon=":material/filter_alt_off:"
        )
    for text in ignored:
        st.warning(f"Ignored from the link: {text}.", icon=":material/link_off:")
    filters = Filters.of(start, end, where)
    _write_url(preset, filters, currency)
    view = View(filters=filters, currency=currency, preset=preset, first_day=span[0], last_day=span[1])
    state[_VIEW] = view
    return view
