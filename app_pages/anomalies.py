"""Anomalies: days when a service, account or team spent far more than its weekday pattern says,
merged into events, with what caused each (service → account → region → SKU → resource, tags)."""

import streamlit as st

from ui import anomalies, filters

st.title("Anomalies", anchor=False)
view = filters.current()
if view is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()
currency = view.currency
found = anomalies.events(currency, view.start, view.end)
st.caption(anomalies.describe(currency, view.start, view.end))
if not found:
    st.success("No anomalies in these dates.", icon=":material/check_circle:")
    st.stop()

open_events = [e for e in found if e.open]
a, b, c = st.columns(3)
a.metric("Events", f"{len(found):,}", border=True)
b.metric("Open (seen in the last 7 days)", f"{len(open_events):,}", border=True)
impact = anomalies.money_text(sum(e.impact for e in found), currency, compact=True)
c.metric("Impact (actual − expected)", impact, border=True)

shown = [anomalies.explained(e) for e in found[: anomalies.EXPLAINED]]
for event in shown[:3]:
    st.markdown(f"**{anomalies.money_text(event.impact, currency)}** from {event.start:%d %b} to {event.end:%d %b}")
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
labels = [f"{e.start} {e.dimension}={e.value} ({anomalies.money_text(e.impact, currency)})" for e in shown]
choice = st.selectbox("Event", range(len(shown)), format_func=lambda i: labels[i], key="anomalies_event")
event = shown[choice]
st.altair_chart(anomalies.event_chart(event), width="stretch", theme=None)
st.caption(f"{event.dimension}={event.value}: spend per day (solid) against expected (dashed); the event shaded.")
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
