"""Overview: the executive page. Spend against comparable periods, forecast against budget, the KPI
tiles with their crawl/walk/run marks, the trend by provider, what moved and the open anomalies."""

import streamlit as st

from ui import anomalies, budget_tiles, filters, overview, queries, read_only, unit_economics
from ui import forecast as fc
from ui import format as fmt

st.title("Overview", anchor=False)
overview.print_style()
span = queries.data_span()
if span is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()
first, last = span
view = filters.current()
cur = view.currency if view is not None else "USD"  # the sidebar's reporting currency; nothing else of it
st.caption(f"Effective cost (amortised) in {cur}, {read_only.seen()}; data to {last} (UTC). No filters apply.")

result = fc.forecast_for(fc.EVERYTHING, cur)
if problem := fc.sync_budgets():
    st.warning("The budgets file cannot be used; the budgets loaded before stay in force.", icon=":material/warning:")
    if read_only.can_write():  # it quotes the file's text: never rendered as Markdown, never shown to others
        st.text(problem)
status = fc.budget_status(cur)
daily = overview.daily_by_provider(last, cur)
compared = overview.spend_tiles(daily, last, first)
cols = st.columns(4)
for col, spend in zip(cols, compared, strict=False):
    col.metric(
        spend.label,
        fc.money_text(spend.value, cur, compact=True),
        overview.change_delta(spend, cur),
        delta_color="inverse",
        help=spend.note,
        border=True,
        height=overview.TILE_HEIGHT,  # equal tiles, so the links below them line up
    )
    col.page_link("app_pages/explore.py", label="Explore this spend")
    if spend.note:
        col.caption(spend.note)
if not isinstance(result, str):
    # Tiles compare with all spend, so the purchases, tax and credits already booked are added to
    # the usage forecast (they are not extrapolated).
    for col, period, name in ((cols[2], result.month_end, "month"), (cols[3], result.quarter_end, "quarter")):
        booked = sum(result.excluded_to_date(period.start).values())
        with col:
            label = f"Forecast, {name} end ({period.end:%d %b})"
            budget_tiles.forecast_tile(label, fc.shifted(period, booked), result, cur)
    st.caption(
        "Forecasts: usage by the model, plus purchases, tax and credits booked so far (not extrapolated). "
        "See **Forecast** for the method and its scores."
    )
if not isinstance(result, str) and (line := budget_tiles.month_line(result, status, cur)):
    st.write(line)  # the month tile's own figure: like with like, never a second number
st.page_link("app_pages/forecast.py", label="Forecast, backtests and budgets", icon=":material/trending_up:")

start_kpi, end_kpi = overview.kpi_window(last)
open_events = overview.open_anomalies(cur, last)
tiles, owner = overview.kpi_tiles(start_kpi, end_kpi, cur, result, open_events)

# One screen for an executive (1440x900): the tiles and the budget line above, then the trend and
# what moved; the KPIs and the anomalies' detail below. Each section keeps its heading on its page.
left, right = st.columns([3, 2])
with left, st.container(key="overview-trend"):
    st.subheader("Spend by provider, 13 months", anchor=False)
    st.altair_chart(overview.trend_chart(daily, last, cur), width="stretch", theme=None)
with right, st.container(key="overview-anomalies"):
    st.subheader("Biggest open anomalies", anchor=False)
    if not open_events:
        st.write("None open.")
    elif len(open_events) > overview.OPEN_SHOWN:  # the tile's impact is all of them: say so
        total = fc.money_text(sum(e.impact for e in open_events), cur)
        st.caption(f"The {overview.OPEN_SHOWN} largest of {len(open_events)} open; {total} impact in all.")
    for event in open_events[: overview.OPEN_SHOWN]:
        explained = anomalies.explained(event)
        st.markdown(f"**{fc.money_text(event.impact, cur)}** from {event.start:%d %b} to {event.end:%d %b}")
        text, full_id = overview.anomaly_line(explained)
        st.text(text, help=full_id)  # data values: plain text, never Markdown; the full resource id on hover

m1, m2 = st.columns(2)
owners = owner if owner is not None else ("tag:team" if "tag:team" in queries.dimensions() else None)
for col, dimension in ((m1, owners), (m2, "ServiceName")):
    if dimension is None:
        continue
    with col, st.container(key=f"overview-movers-{dimension.replace(':', '-')}"):
        st.subheader(f"Top movers: {fmt.label(dimension)}", anchor=False)
        table = overview.movers(dimension, last, cur)
        st.table(overview.movers_table(table, dimension, cur), hide_index=True)
        if table["Change %"].isna().any():
            st.caption(f"{fmt.DASH}: no spend the month before, so no percentage.")

with st.container(key="overview-kpis"):
    st.subheader("Key performance indicators", anchor=False)
    st.caption(
        f"KPIs over {start_kpi:%d %b} – {end_kpi:%d %b %Y}; marks are the FinOps Foundation's community sample goals."
    )
    # Two rows of three: six tiles in one row cut their labels on a laptop screen and on paper.
    kpi_cols = [*st.columns(3), *st.columns(3)]
    unit_col = kpi_cols[len(tiles)]
    for col, tile in zip(kpi_cols, tiles, strict=False):
        col.metric(tile.label, tile.value, border=True, help=tile.help)
        col.caption(tile.caption)
        col.page_link(tile.page, label=tile.link)
    if view is not None:
        with unit_col:
            unit_economics.overview_tile(view)
            st.page_link("app_pages/unit_economics.py", label="Unit economics")
st.page_link("app_pages/explore.py", label="Explore spend by any dimension", icon=":material/insights:")
