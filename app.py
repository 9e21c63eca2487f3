"""FinOps Lens: the router. Pages live in app_pages/, shared pieces in ui/, the analytics in analytics/.

Not `pages/`: Streamlit treats a folder of that name as a legacy multipage app on a process's first
run, so a first visit straight to /data would skip this router (no sidebar, no filters)."""

import streamlit as st

from ui import data, filters, overview  # noqa: F401  (overview registers its warm-up for data loads)

st.set_page_config(page_title="FinOps Lens", page_icon=":material/query_stats:", layout="wide")
data.engine()  # on a first start this builds the sample, with progress, before any page draws
page = st.navigation(
    {
        "Overview": [st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True)],
        "Explore": [
            st.Page("app_pages/explore.py", title="Explore", icon=":material/insights:"),
            st.Page("app_pages/allocation.py", title="Allocation", icon=":material/account_tree:"),
            st.Page("app_pages/unit_economics.py", title="Unit economics", icon=":material/price_check:"),
        ],
        "Watch": [
            st.Page("app_pages/forecast.py", title="Forecast", icon=":material/trending_up:"),
            st.Page("app_pages/anomalies.py", title="Anomalies", icon=":material/warning:"),
        ],
        "Optimise": [
            st.Page("app_pages/rightsizing.py", title="Rightsizing", icon=":material/compress:"),
            st.Page("app_pages/commitments.py", title="Commitments", icon=":material/handshake:"),
        ],
        "Report": [st.Page("app_pages/showback.py", title="Showback", icon=":material/request_quote:")],
        "Data": [st.Page("app_pages/data.py", title="Data", icon=":material/database:")],
    }
)
data.sample_banner()
data.rules_banner()
filters.sidebar()
page.run()
