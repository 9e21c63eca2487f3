"""Overview: the executive page. Spend against comparable periods, forecast against budget, the KPI
tiles with their crawl/walk/run marks, the trend by provider, what moved and the open anomalies."""

import streamlit as st

from ui import anomalies, data, filters, overview, unit_economics
from ui import forecast as fc

st.title("Overview", anchor=False)
overview.print_style()
span = data.data_span()
if span is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()
first, last = span
view = filters.current()
cur = view.currency if view is not None else "USD"  # the sidebar's reporting currency; nothing else of it
st.caption(f"Effective cost (amortised) in {cur}, all accounts and providers; data to {last} (UTC). No filters apply.")

result = fc.forecast_for(fc.EVERYTHING, cur)
if problem := fc.sync_budgets():
    st.warning("The budgets file cannot be used; the budgets loaded before stay in force.", icon=":material/warning:")
    st.text(problem)  # quotes the file's text: never rendered as Markdown
status = fc.budget_status(cur)
daily = overview.daily_by_provider(last, cur)
tiles = overview.spend_tiles(daily, last, first)
cols = st.columns(4)
for col, tile in zip(cols, tiles, strict=False):
    col.metric(
        tile.label,
        fc.money_text(tile.value, cur, compact=True),
        overview.change_delta(tile, cur),
        delta_color="inverse",
        help=tile.note,
        border=True,
    )
    if tile.note:
        col.caption(tile.note)
    col.page_link("app_pages/explore.py", label="Explore this spend")
if not isinstance(result, str):
    # Tiles compare with all spend, so the purchases, tax and credits already booked are added to
    # the usage forecast (they are not extrapolated).
    for col, period, name in ((cols[2], result.month_end, "month"), (cols[3], result.quarter_end, "quarter")):
        booked = sum(result.excluded_to_date(period.start).values())
        with col:
            fc.period_tile(f"Forecast, {name} end ({period.end:%d %b})", fc.shifted(period, booked), cur)
    st.caption(
        "Forecasts: usage by the model, plus purchases, tax and credits booked so far (not extrapolated). "
        "See **Forecast** for the method and its scores."
    )
if not status.empty:
    budget, projected = float(status["budget"].sum()), float(status["projected"].sum())
    heading = int(status["status"].isin(["over budget", "on course to exceed"]).sum())
    st.write(
        f"Budgeted owners this month: projected **{fc.money_text(projected, cur)}** against budgets of "
        f"**{fc.money_text(budget, cur)}** ({projected / budget - 1:+.1%}); **{heading}** of {len(status)} over or "
        "on course to exceed."
    )
st.page_link("app_pages/forecast.py", label="Forecast, backtests and budgets", icon=":material/trending_up:")

st.subheader("Key performance indicators", anchor=False)
start_kpi, end_kpi = overview.month_start(last, 1), last
st.caption(
    f"KPIs over {start_kpi:%d %b} – {end_kpi:%d %b %Y}; marks are the FinOps Foundation's community sample goals."
)
open_events = overview.open_anomalies(cur, last)
tiles, owner = overview.kpi_tiles(start_kpi, end_kpi, cur, result, open_events)
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

left, right = st.columns([3, 2])
with left:
    st.subheader("Spend by provider, 13 months", anchor=False)
    st.altair_chart(overview.trend_chart(daily, last, cur), width="stretch", theme=None)
with right:
    st.subheader("Biggest open anomalies", anchor=False)
    if not open_events:
        st.write("None open.")
    for event in open_events[: overview.OPEN_SHOWN]:
        explained = anomalies.explained(event)
        st.markdown(f"**{fc.money_text(event.impact, cur)}** from {event.start:%d %b} to {event.end:%d %b}")
        st.text(anomalies.line(explained))  # data values: plain text, never Markdown

pct = st.column_config.NumberColumn(format="percent")
m1, m2 = st.columns(2)
owners = owner if owner is not None else ("tag:team" if "tag:team" in data.dimensions() else None)
for col, dimension, title in ((m1, owners, "Top movers: owners"), (m2, "ServiceName", "Top movers: services")):
    if dimension is None:
        continue
    with col:
        st.subheader(f"{title} ({dimension})", anchor=False)
        table = overview.movers(dimension, last, cur)
        money = {c: st.column_config.NumberColumn(f"{c} ({cur})", format="%,.2f") for c in table.columns[1:4]}
        config = money | {"Change %": pct}
        st.dataframe(table, hide_index=True, width="stretch", column_config=config)
st.page_link("app_pages/explore.py", label="Explore spend by any dimension", icon=":material/insights:")
