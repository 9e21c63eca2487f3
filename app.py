"""FinOps Lens: the router. Pages live in app_pages/, shared pieces in ui/, the analytics in analytics/.

Not `pages/`: Streamlit treats a folder of that name as a legacy multipage app on a process's first
run, so a first visit straight to /data would skip this router (no sidebar, no filters)."""

import streamlit as st

from ui import first_start, identity

st.set_page_config(page_title="FinOps Lens", page_icon=":material/query_stats:", layout="wide")
identity.gate()  # who may be served, before any data is touched: stops here for a visitor it may not serve
first_start.wait()  # progress within a second of a first visit: the heavy imports come after it

from ui import boundary, data, filters, overview  # noqa: E402, F401  (overview registers its warm-up for data loads)

# The database is ready (first_start.wait() above built the sample if it had to). Everything below runs
# inside the boundary: whatever fails shows one error box, and the other pages (the Data page first,
# which can remove the source at fault) keep working.
data.new_run()  # this run reads the newest generation of the store, whatever cron writes meanwhile
ready = boundary.guard("The cost database", data.engine)
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
rates_problem = boundary.fx_problem()
if ready and rates_problem is None:  # else these would fail the same way, each with its own box
    boundary.guard("The sample-data banner", data.sample_banner)
    boundary.guard("The allocation rules banner", data.rules_banner)
    boundary.guard("The sidebar filters", filters.sidebar, st.sidebar)
if rates_problem is not None and page.title != "Data":
    boundary.unusable_rates(rates_problem)
else:
    boundary.guard(f"The {page.title} page", page.run)
