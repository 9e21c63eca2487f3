"""Anomalies: days when a service, account or team spent far more than its weekday pattern says,
merged into events, with what caused each (service → account → region → SKU → resource, tags)."""

import streamlit as st

from ui import anomalies, filters
from ui import format as fmt

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
fmt.table(
    fmt.as_percent(anomalies.table(shown + found[anomalies.EXPLAINED :]), ["Impact %"]),
    {
        "Expected": fmt.money("Expected", currency),
        "Actual": fmt.money("Actual", currency),
        "Impact": fmt.money("Impact", currency),
        "Impact %": fmt.percent("Impact %", help="A dash: new spend, nothing was expected to compare with"),
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
fmt.table(
    fmt.as_percent(anomalies.causes_table(event), ["Share of the change"]),
    {
        "Expected": fmt.money("Expected", currency),
        "Actual": fmt.money("Actual", currency),
        "Change": fmt.money("Change", currency),
        "Share of the change": fmt.percent("Share of the change"),
    },
)
