"""FinOps Lens: the router. Pages live in app_pages/, shared pieces in ui/, the analytics in analytics/.

Not `pages/`: Streamlit treats a folder of that name as a legacy multipage app on a process's first
run, so a first visit straight to /data would skip this router (no sidebar, no filters)."""

import streamlit as st

from ui import data, filters

st.set_page_config(page_title="FinOps Lens", page_icon=":material/query_stats:", layout="wide")
data.engine()  # on a first start this builds the sample, with progress, before any page draws
page = st.navigation(
    {
        "Explore": [st.Page("app_pages/explore.py", title="Explore", icon=":material/insights:", default=True)],
        "Data": [st.Page("app_pages/data.py", title="Data", icon=":material/database:")],
    }
)
data.sample_banner()
filters.sidebar()
page.run()
