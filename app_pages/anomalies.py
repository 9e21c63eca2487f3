"""Anomalies: days when a service, account or team spent far more than its weekday pattern says,
merged into events, with what caused each (service → account → region → SKU → resource, tags)."""

import streamlit as st

from analytics.anomalies.detect import DEFAULTS
from analytics.charts import money_text
from ui import anomalies, filters

st.title("Anomalies", anchor=False)
view = filters.current()
if view is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()
currency = view.currency
found = anomalies.events(currency, view.start, view.end)
st.caption(
    f"Effective cost in {currency} per day, without purchases, tax and credits, for every service, account "
    f"(SubAccountName) and team (tag:team); events between {view.start} and {view.end} (the sidebar's dates; "
    f"its other filters do not apply). A day is anomalous when it is more than {DEFAULTS.z} robust standard "
    f"deviations above the same weekday of the last four weeks, at least {money_text(DEFAULTS.min_abs, currency)} "
    f"and {DEFAULTS.k_rel:.0%} of a typical day's total spend above it, and {DEFAULTS.min_pct:.0%} over it."
)
if not found:
    st.success("No anomalies in these dates.", icon=":material/check_circle:")
    st.stop()

open_events = [e for e in found if e.open]
a, b, c = st.columns(3)
a.metric("Events", f"{len(found):,}", border=True)
b.metric("Open (seen in the last 7 days)", f"{len(open_events):,}", border=True)
c.metric("Impact (actual − expected)", money_text(sum(e.impact for e in found), currency, compact=True), border=True)

shown = [anomalies.explained(e) for e in found[: anomalies.EXPLAINED]]
for event in shown[:3]:
    st.markdown(f"**{money_text(event.impact, currency)}** from {event.start:%d %b} to {event.end:%d %b}")
    st.text(anomalies.line(event))  # data values: plain text, never Markdown
money = st.column_config.NumberColumn(format="%.2f")
st.dataframe(
    anomalies.table(shown + found[anomalies.EXPLAINED :]),
    hide_index=True,
    width="stretch",
    column_config={
        "Expected": money,
        "Actual": money,
        "Impact": money,
        "Impact %": st.column_config.NumberColumn(format="percent", help="Empty: new spend"),
    },
)
if len(found) > anomalies.EXPLAINED:
    st.caption(f"Root causes are worked out for the {anomalies.EXPLAINED} largest events.")

st.subheader("Root cause of one event", anchor=False)
labels = [f"{e.start} {e.dimension}={e.value} ({money_text(e.impact, currency)})" for e in shown]
choice = st.selectbox("Event", range(len(shown)), format_func=lambda i: labels[i], key="anomalies_event")
event = shown[choice]
st.caption(
    "Each value's change = its actual minus its expected share of the event's expected spend (its share of "
    "the four weeks before). The drill-down follows the largest change while it explains half its parent's."
)
st.dataframe(
    anomalies.causes_table(event),
    hide_index=True,
    width="stretch",
    column_config={
        "Expected": money,
        "Actual": money,
        "Change": money,
        "Share of the change": st.column_config.NumberColumn(format="percent"),
    },
)
