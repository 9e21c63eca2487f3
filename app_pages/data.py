"""Data: what is loaded, the exchange rates in use, and how to load your own exports."""

import streamlit as st

from ui import data, datapage, filters

st.title("Data", anchor=False)
view = filters.current()
if view is not None:
    first, last = (f"{d.day} {d:%b %Y}" for d in (view.first_day, view.last_day))
    st.caption(f"Charges from {first} to {last} (UTC days).")

st.subheader("What is loaded", anchor=False)
entries = data.loaded_sources()
if entries:
    frame = datapage.sources_frame(entries)
    count = len(frame)
    st.write(f"{count:,} source{'' if count == 1 else 's'}, {frame['Rows'].sum():,} line items.")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={"Rows": st.column_config.NumberColumn("Rows", format="%,d")},
    )
    st.caption("BilledCost is the invoice total of each source, per billing currency, before any conversion.")
else:
    st.info("Nothing is loaded yet.")

st.subheader("Exchange rates", anchor=False)
fx = data.fx()
st.caption(
    f"Read from `{data.fx_path()}`. Each rate holds from its date until the next one for that currency; "
    "amounts are converted day by day into the reporting currency chosen in the sidebar. "
    "Edit the file and refresh the page to change them."
)
st.dataframe(
    datapage.rates_frame(fx.rates),
    hide_index=True,
    column_config={"USD per unit": st.column_config.NumberColumn("USD per unit", format="%.5f")},
)

st.subheader("Load your own exports", anchor=False)
st.markdown(
    """
FinOps Lens reads **FOCUS** cost exports (FOCUS 1.0 to 1.3, from any provider) as CSV, CSV.gz or Parquet.
The app opens the database read-only and DuckDB lets only one process write, so load from the command line
with the app stopped:

1. Stop the app (Ctrl+C in its terminal).
2. Load files, folders or globs; a billing period delivered again replaces the earlier copy:
"""
)
st.code(f"python -m analytics ingest PATH [PATH ...] --db {data.db_key()}", language="bash")
st.markdown("3. Start the app again (`streamlit run app.py`) and refresh this page.")
st.code(f"python -m analytics sources --db {data.db_key()}   # check what was loaded", language="bash")
