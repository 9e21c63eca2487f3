"""Allocation: who owns each dollar. Coverage against the maturity marks, tag hygiene, and the
rules (form, YAML editor, preview before saving). Changing the rules is for admins; the rules text
names every owner, so only those who see all spend read it."""

import streamlit as st

from ui import allocation, allocation_view, data, filters, read_only
from ui.text import inline_code

st.title("Allocation", anchor=False)
view = filters.current()
if view is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()

status = data.allocation()
admin = read_only.can_write()
rules_file = inline_code(status.path if admin else status.path.name)
st.caption(
    f"Rules in force: {rules_file} (fingerprint {status.rules.fingerprint()}), applied to every "
    "page, export and CLI command. Figures: EffectiveCost over the sidebar's dates."
)
share = allocation.allocated(view.filters, view.currency)
allocation_view.kpis(share, view.currency, status.rules)
allocation.notice()

draft_rules, error = allocation.parsed(allocation.draft()) if admin else (status.rules, None)
coverage_tab, hygiene_tab, rules_tab = st.tabs(["Coverage", "Tag hygiene", "Rules"])
with coverage_tab:
    allocation_view.coverage_tab(view)
with hygiene_tab:
    allocation_view.hygiene_tab(draft_rules or status.rules, editable=admin)
with rules_tab:
    if admin:
        allocation_view.rules_tab(view, draft_rules, error)
    else:
        allocation_view.rules_read_only(status.rules, read_only.sees_everything())
