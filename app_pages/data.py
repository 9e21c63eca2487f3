"""Data: who the app serves, what is loaded and how fresh it is, loading exports (upload or server
path), removing a source, the exchange rates in use and the audit log. Loads, removals, the audit
log and the server's paths are for admins; other users see what is loaded, by file name."""

import streamlit as st

from ui import audit, boundary, data, data_loads, data_removal, data_tables, filters, queries, read_only
from ui import rightsizing as rs
from ui import unit_economics as ue
from ui.format import RATE_FORMAT
from ui.identity import mode_note
from ui.text import inline_code

st.title("Data", anchor=False)
admin = read_only.can_write()
view = filters.current()
if view is not None:
    first, last = (f"{d.day} {d:%b %Y}" for d in (view.first_day, view.last_day))
    st.caption(f"Charges from {first} to {last} (UTC days).")
mode_note()  # single-user mode, or who is signed in and what they see

st.subheader("What is loaded", anchor=False)
if admin:
    data_removal.removal_notice()
entries = queries.loaded_sources()
if entries:
    frame = data_tables.sources_frame(entries, paths=admin, notes=read_only.sees_everything())
    count = len(frame)
    st.write(f"{count:,} source{'' if count == 1 else 's'}, {data_tables.line_items(entries):,} line items.")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={"Rows": st.column_config.NumberColumn("Rows", format="%,d")},
    )
    part = "" if read_only.sees_everything() else "the part your access grants of "
    st.caption(f"BilledCost is {part}the invoice total of each source, per billing currency, before any conversion.")
    if admin:
        data_removal.remove_controls(entries)
    else:
        read_only.note("load or remove data")
else:
    st.info("Nothing is loaded. Load your cost exports below." if admin else "Nothing is loaded yet.")

st.subheader("Data freshness", anchor=False)
fresh = queries.freshness()
if fresh:
    st.caption(
        f"The latest UTC day with charges, per provider. A provider is stale when that day is more than "
        f"{data_tables.STALE_AFTER_DAYS} days before today (UTC): exports arrive a day or two late, so a longer gap "
        "means an export stopped or was not loaded."
    )
    stale = [e for e in fresh if e["stale"]]
    if stale:
        names = ", ".join(inline_code(e["provider"] or "(not set)") for e in stale)
        st.warning(f"No recent charges from {names}: do their exports still arrive?", icon=":material/schedule:")
    st.dataframe(
        data_tables.freshness_frame(fresh),
        hide_index=True,
        column_config={"Days behind today": st.column_config.NumberColumn("Days behind today", format="%,d")},
    )
else:
    st.caption("No charges are loaded, so there is nothing to be fresh or stale.")

if admin:
    st.subheader("Load cost exports", anchor=False)
    st.caption(
        "Loads FOCUS 1.0-1.4 and the providers' own cost exports, as CSV, CSV.gz, Parquet or JSON; each file is "
        "one transaction, so a bad file is rejected whole and the others still load. A billing period delivered "
        "again replaces the earlier copy; the same file twice changes nothing."
    )
    st.caption(
        "The command line and cron can load files while the app serves (`python -m analytics ingest PATH`): "
        "every page shows them at its next run. One load at a time; a second waits for the first."
    )
    data_loads.load_controls()
    data_loads.last_load(entries)

    st.subheader("Utilisation and business metrics", anchor=False)
    st.caption("Inputs beside the cost exports: utilisation for Rightsizing, business metrics for Unit economics.")
    rs.loader()
    ue.loader()

st.subheader("Exchange rates", anchor=False)
if not admin and boundary.fx_problem() is not None:  # the problem quotes the file: for admins only
    st.error("The exchange-rate file cannot be used: an administrator can see why here.", icon=":material/error:")
    st.stop()
fx = data.fx()
st.caption(
    f"Read from `{data.fx_path() if admin else data.fx_path().name}`. Each rate holds from its date until the next "
    "one for that currency; amounts are converted day by day into the reporting currency chosen in the sidebar. "
    + ("Edit the file and refresh the page to change them." if admin else "An administrator keeps them.")
)
st.dataframe(
    data_tables.rates_frame(fx.rates),
    hide_index=True,
    column_config={"USD per unit": st.column_config.NumberColumn("USD per unit", format=RATE_FORMAT)},
)

if admin:
    st.subheader("Audit log", anchor=False)
    audit.log_view()

    st.subheader("From the command line", anchor=False)
    st.caption("For scheduled loads (cron) and scripts, with the app stopped:")
    st.code(f"python -m analytics ingest PATH [PATH ...] --db {data.db_path()}", language="bash")
    st.code(f"python -m analytics sources --db {data.db_path()}   # check what was loaded", language="bash")
