"""Rightsizing: utilisation-driven downsizing and idle resources, and a what-if of their savings."""

import streamlit as st

from ui import filters, read_only
from ui import rightsizing as rs

st.title("Rightsizing", anchor=False)
view = filters.current()
if view is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()

rs.loader()
if not rs.has_utilisation():
    how = (
        "Open **Load utilisation metrics** above, or run `python -m analytics ingest-utilization FILE`; "
        "the README shows how to export them from CloudWatch, Azure Monitor and Cloud Monitoring."
        if read_only.can_write()
        else "An administrator loads them."
    )
    st.info(f"No utilisation metrics are loaded: cost exports say what a resource cost, not how busy it was. {how}")
    st.stop()

settings = rs.controls(view.currency)
found, frame, key = rs.run(settings)
st.caption(
    f"Lookback {found.start} to {found.end} (UTC days, ending on the last day with utilisation). "
    f"Savings on {settings.metric.label} in {view.currency} per month (730 h), from each resource's own cost; "
    f"a size fits when CPU p{settings.percentile:g} and peak memory, plus {settings.headroom:.0%} headroom, stay "
    f"within it; the risk level says how close the projected utilisation comes to the {settings.target:.0%} target "
    "(high: over it). The sidebar's dates and filters do not apply here."
)
rs.kpis(frame, view.currency)

st.subheader("How the total moves with headroom and percentile", anchor=False)
st.altair_chart(rs.what_if_chart(found, key, settings), width="stretch", theme=None)

shown = rs.owner_account_filter(frame)
idle, others = rs.split_idle(shown)
st.subheader("Recommendations", anchor=False)
if others.empty:
    st.info("No measured resources match these filters.")
else:
    rs.table(others, view.currency, idle=False)

st.subheader(f"Idle: stop or terminate ({len(idle)})", anchor=False)
if idle.empty:
    st.caption(f"No resource's maximum CPU stayed at or below {settings.idle_max_cpu:g}% over the lookback.")
else:
    st.caption(f"Worth {rs.money(rs.total(idle), view.currency)} a month. Confirm with the owner.")
    rs.table(idle, view.currency, idle=True)

st.subheader("Utilisation of one resource", anchor=False)
rs.resource_chart(shown, found, settings)
rs.downloads(
    shown, f"Rightsizing {found.start} to {found.end}, {settings.metric.label} in {view.currency}", "rightsizing"
)
