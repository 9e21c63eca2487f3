"""The Explore page's controls, kept in the URL, and the drill-down from a click on the ranking chart."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import altair as alt
import streamlit as st

from analytics.charts import GROUP, PICK
from analytics.compare import OTHER, missing_label
from analytics.schema import Grain, Metric
from ui import format as fmt
from ui import urlstate
from ui.filters import request_drill
from ui.text import inline_code

METRIC = "explore_metric"
GROUP_BY = "explore_group_by"
GROUP_BY2 = "explore_group_by2"
GRAIN = "explore_grain"
TOP = "explore_top"
GRAINS = (Grain.DAY, Grain.WEEK, Grain.MONTH)
TOP_CHOICES = (5, 10, 15, 20)
NOTHING = ""  # "no second group-by" (None would read as "no choice made" to a selectbox)
DEFAULTS: dict[str, object] = {
    METRIC: Metric.EFFECTIVE,
    GROUP_BY: "ServiceName",
    GROUP_BY2: NOTHING,
    GRAIN: Grain.DAY,
    TOP: 10,
}
_LAST = "_explore_last"  # the controls as last seen, restored when coming back to the page
_DRILLS = "_explore_drills"  # bumps the ranking chart's key so a used selection is forgotten


@dataclass(frozen=True)
class Choice:
    metric: Metric
    group_by: str
    group_by2: str | None
    grain: Grain
    top: int

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.group_by, self.group_by2) if self.group_by2 else (self.group_by,)


def _parse(name: str, text: str, dimensions: list[str]) -> object:
    """One URL value -> widget value; ValueError when it is not acceptable."""
    if name == METRIC:
        return Metric.parse(text)
    if name == GRAIN:
        return Grain(text.lower()) if text.lower() in {g.value for g in GRAINS} else _fail()
    if name == TOP:
        return int(text) if text.isdigit() and int(text) in TOP_CHOICES else _fail()
    if name == GROUP_BY2 and text in ("", "none"):
        return NOTHING
    return text if text in dimensions else _fail()


def _fail() -> object:
    raise ValueError


def _seed(dimensions: list[str]) -> None:
    """Fill the widgets' state on arrival: from the link, else as last seen, else defaults."""
    state = st.session_state
    if GROUP_BY in state:  # the widgets are alive: this is a rerun on the page
        return
    last = state.get(_LAST, {})
    params = {METRIC: "metric", GROUP_BY: "group_by", GROUP_BY2: "group_by2", GRAIN: "grain", TOP: "top"}
    for key, param in params.items():
        text = urlstate.get(param)
        if text is not None:
            try:
                state[key] = _parse(key, text, dimensions)
                continue
            except ValueError:
                st.warning(f"Ignored from the link: {param} = {inline_code(text)}.", icon=":material/link_off:")
        value = last.get(key, DEFAULTS[key])
        known = key not in (GROUP_BY, GROUP_BY2) or value == NOTHING or value in dimensions
        state[key] = value if known else DEFAULTS[key]


def controls(dimensions: list[str]) -> Choice:
    """The row of controls; their values are written back to the URL."""
    _seed(dimensions)
    cols = st.columns([3, 3, 3, 2, 1.2])
    metric = cols[0].selectbox("Cost metric", list(Metric), format_func=lambda m: Metric(m).label, key=METRIC)
    group_by = cols[1].selectbox("Group by", dimensions, format_func=fmt.option, key=GROUP_BY)
    group_by2 = cols[2].selectbox(
        "Then by (stacks the ranking)",
        [NOTHING, *dimensions],
        format_func=lambda d: fmt.option(d) if d else "(nothing)",
        key=GROUP_BY2,
    )
    grain = cols[3].selectbox("Time grain", list(GRAINS), format_func=lambda g: Grain(g).value.capitalize(), key=GRAIN)
    top = cols[4].selectbox("Top", list(TOP_CHOICES), key=TOP)
    if group_by2 == group_by:
        st.caption("The second group-by is the same as the first; it is ignored.")
        group_by2 = NOTHING
    choice = Choice(
        Metric(metric or Metric.EFFECTIVE),
        group_by or "ServiceName",
        group_by2 or None,
        Grain(grain or Grain.DAY),
        int(top or 10),
    )
    st.session_state[_LAST] = {
        METRIC: choice.metric,
        GROUP_BY: choice.group_by,
        GROUP_BY2: group_by2 or NOTHING,
        GRAIN: choice.grain,
        TOP: choice.top,
    }
    desired: dict[str, str | list[str]] = {
        "group_by": choice.group_by,
        "metric": choice.metric.value,
        "grain": choice.grain.value,
        "top": str(choice.top),
    }
    if group_by2:
        desired["group_by2"] = group_by2
    urlstate.write(desired, owned=urlstate.PAGE_PARAMS)
    return choice


def picked_label(state: object) -> str | None:
    """The group label a click selected on the ranking chart, from its selection state."""
    try:
        picked = state["selection"][PICK]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    if isinstance(picked, list) and picked and isinstance(picked[0], dict):
        value = picked[0].get(GROUP)
    elif isinstance(picked, dict) and picked.get(GROUP):
        value = picked[GROUP][0] if isinstance(picked[GROUP], list) else picked[GROUP]
    else:
        return None
    return None if value is None else str(value)


def ranking_chart(chart: alt.Chart, dimension: str) -> None:
    """Draw the ranking chart; a click on a bar narrows the sidebar filter of `dimension`."""
    key = ranking_key()
    on_select = partial(on_pick, dimension, key)
    st.altair_chart(chart, width="stretch", theme=None, key=key, on_select=on_select, selection_mode=PICK)


def ranking_key() -> str:
    return f"explore_ranking_{st.session_state.get(_DRILLS, 0)}"


def on_pick(dimension: str, key: str) -> None:
    """Chart callback: narrow the sidebar filter of `dimension` to the clicked bar's value."""
    label = picked_label(st.session_state.get(key))
    if label is None or label == OTHER:
        return
    request_drill(dimension, None if label == missing_label(dimension) else label)
    st.session_state[_DRILLS] = st.session_state.get(_DRILLS, 0) + 1
