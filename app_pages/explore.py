"""Explore: slice spend by any dimension or tag over time, rank the groups, drill down by clicking."""

import streamlit as st

from ui import data, explore, explore_view, filters, queries
from ui import format as fmt
from ui.text import inline_code, plain

st.title("Explore", anchor=False)
view = filters.current()
if view is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()

choice = explore.controls(queries.dimensions())
fig = explore_view.figures(choice, view)
st.caption(explore_view.caption(choice, view))
explore_view.unconverted_warning(fig.series)
if explore_view.is_empty(fig):
    st.info("There is no spend for these filters and dates. Widen the date range or clear some filters.")
    st.stop()

explore_view.kpis(choice, fig, view)
if fig.grain is not choice.grain:
    st.caption(f"Shown by {fig.grain.value}: by {choice.grain.value} this range would be too many points to draw.")
st.altair_chart(explore_view.time_chart(choice, fig, view), width="stretch", theme=None)  # charts carry their own

st.subheader(f"Top {choice.top} by {plain(fmt.label(choice.group_by))}", anchor=False)
st.caption(f"Dimension {inline_code(choice.group_by)}.")
st.caption("Click a bar to filter to it; double-click to clear the highlight.")
explore.ranking_chart(explore_view.ranking_chart(choice, fig, view), choice.group_by)

st.subheader(f"Every group, against the previous {explore_view.period_days(view)} days", anchor=False)
table, config = explore_view.table_for_display(choice, fig.table, view.currency)
fmt.table(table, config)
st.download_button(
    "Download CSV",
    explore_view.csv_bytes(table),
    file_name=explore_view.file_name(choice, view),
    mime="text/csv",
    key="explore_download",
    on_click="ignore",
    icon=":material/download:",
)

with st.expander("Exchange rates used"):
    if fig.series.rates.empty:
        st.write(f"Everything shown is billed in {view.currency}; nothing was converted.")
    else:
        st.caption(f"Rates from {data.fx_path().name}: {view.currency} per unit of the billing currency.")
        rates = fig.series.rates
        number = rates.select_dtypes("number").columns
        fmt.table(rates, {c: st.column_config.NumberColumn(c, format=fmt.RATE_FORMAT) for c in number}, width="content")
