"""Unit economics: what one unit of business value (an order, an active user) costs, per owner and
over time, why it moved, and how far each owner is from its target."""

import streamlit as st

from ui import filters, read_only
from ui import unit_economics as ue

st.title("Unit economics", anchor=False)
view = filters.current()
if view is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()

ue.loader()
found = ue.metrics()
if not found:
    how = (
        "Open **Load business metrics** above, or run `python -m analytics ingest-metrics FILE`; the README shows "
        "the file layout."
        if read_only.can_write()
        else "An administrator loads them."
    )
    st.info(
        "No business metrics are loaded: unit cost needs a count of what the business sells or serves (orders, "
        f"active users) per day. {how}"
    )
    st.stop()

choice = ue.controls(found)
result = ue.run(view, choice)
if result.start is None:
    st.info("No cost data in the sidebar's dates.")
    st.stop()
st.caption(
    f"{choice.basis.label} in {view.currency}, after allocation (shared costs split by the rules), per "
    f"{choice.metric} summed over each period; divided by {result.denominator}. Dates and filters from the "
    f"sidebar ({result.start} to {result.end}, UTC days). A period with a day without a value is a gap, not a zero."
)
ue.kpis(result)
wanted = ue.wanted_targets(result)

left, right = st.columns([3, 2])
with left:
    st.subheader("Unit cost", anchor=False)
    st.altair_chart(ue.unit_chart(result, wanted), width="stretch", theme=None)
with right:
    st.subheader("Cost", anchor=False)
    st.altair_chart(ue.cost_chart(result), width="stretch", theme=None)
    st.subheader(choice.metric, anchor=False)
    st.altair_chart(ue.metric_chart(result), width="stretch", theme=None)

st.subheader("Why it moved: cost grew or volume grew", anchor=False)
ue.change_section(result)

st.subheader("Targets", anchor=False)
ue.target_section(result, wanted)

with st.expander("Figures", icon=":material/table:"):
    ue.figures(result)
