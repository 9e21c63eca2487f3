"""Showback: a month's (or months') cost per owner, reconciled to the cent, as Excel packs."""

import streamlit as st

from ui import filters, read_only
from ui import showback as sb

st.title("Showback", anchor=False)
view = filters.current()
if view is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()

st.caption(
    "Finance packs: per owner, direct cost, shared costs received, previous period, budget (where the owner "
    "dimension has budgets), and a "
    "reconciliation to the line items. The sidebar's currency applies; its dates and filters do not "
    "(a pack always covers whole months and all the spend you can see)."
    + (
        " Also from the command line: `python -m analytics showback --month YYYY-MM --by DIM --out pack.xlsx`."
        if read_only.can_write()
        else ""
    )
)
request = sb.request(view.currency)
if request is None:
    st.stop()
figures = sb.figures(request)
if figures is None:
    st.stop()

sb.record_view(request)
sb.summary(figures)
sb.closed_month_notice(figures)
st.subheader("Download", anchor=False)
sb.downloads(figures)
