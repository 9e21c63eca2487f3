"""The Rightsizing page's pieces: cached runs, the what-if controls, the tables and charts, and a
self-contained loader for utilisation files and a price sheet (kept here rather than on the Data
page, whose files belong to another area)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from analytics.charts import money_text
from analytics.engine import DuckDBEngine
from analytics.fx import FxTable
from analytics.rightsizing import charts as rs_charts
from analytics.rightsizing import report
from analytics.rightsizing.prices import PriceSheetError, load_price_sheet
from analytics.rightsizing.recommend import INSUFFICIENT, RESIZED, TERMINATE
from analytics.rightsizing.run import Inputs, prepare, recommendations, sensitivity
from analytics.rightsizing.settings import LOOKBACKS, PERCENTILES, Settings
from analytics.rightsizing.shapes import load_shapes
from analytics.rightsizing.stats import resource_series
from analytics.rightsizing.utilization_ingest import UtilizationError, has_utilization, load_utilization
from analytics.schema import Metric
from ui import data, read_only
from ui import format as fmt
from ui.cache import cached_fx
from ui.data_loads import load_uploads

TTL = data.TTL
SHEET = "rightsizing_price_sheet"  # session state: (digest, name, frame) of the uploaded price sheet


@cached_fx(max_entries=32)
def _inputs(
    engine: DuckDBEngine, fx: FxTable, sheet: pd.DataFrame | None, lookback: int, metric: Metric, currency: str
) -> Inputs:
    settings = Settings(lookback_days=lookback, metric=metric, currency=currency)
    return prepare(engine, fx, settings, sheet)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _recommend(_inputs: Inputs, key: tuple[object, ...], settings: Settings) -> pd.DataFrame:
    return recommendations(_inputs, settings)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def _sensitivity(_inputs: Inputs, key: tuple[object, ...], settings: Settings) -> pd.DataFrame:
    return sensitivity(_inputs, settings)


def _sheet() -> tuple[str, pd.DataFrame | None]:
    stored = st.session_state.get(SHEET)
    return (stored[0], stored[2]) if stored else ("", None)


def inputs(settings: Settings) -> tuple[Inputs, tuple[object, ...]]:
    """The lookback's data for the settings' lookback, basis and currency, and its cache key."""
    digest, sheet = _sheet()
    found = _inputs(sheet, settings.lookback_days, settings.metric, settings.currency)
    # The key of the recommendations cached on `found`: what it was computed from.
    version = (data.db_key(), data.file_stamp(data.fx().source), digest)
    return found, (*version, settings.lookback_days, settings.metric, settings.currency)


def run(settings: Settings) -> tuple[Inputs, pd.DataFrame, tuple[object, ...]]:
    found, key = inputs(settings)
    return found, _recommend(found, key, settings), key


def what_if_chart(found: Inputs, key: tuple[object, ...], settings: Settings) -> alt.Chart:
    """Savings per percentile and headroom (the chosen percentile and headroom do not change the
    scenarios, so they are not part of the cache key), with the current choice marked."""
    frame = _sensitivity(found, key, replace(settings, percentile=PERCENTILES[-1], headroom=0.0))
    chosen = f"p{settings.percentile:g}"
    return rs_charts.sensitivity_chart(frame, settings.currency, settings.headroom, chosen)


def split_idle(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(idle stop/terminate candidates, everything else)."""
    idle = frame["action"] == TERMINATE
    return frame[idle], frame[~idle]


def total(frame: pd.DataFrame) -> float:
    return report.total_savings(frame)


def money(amount: float, currency: str) -> str:
    return money_text(amount, currency)


def has_utilisation() -> bool:
    return has_utilization(data.engine())


def controls(currency: str) -> Settings:
    """Lookback, percentile, headroom, target, cost basis and the families a resource may move to."""
    cols = st.columns(5)
    lookback = cols[0].selectbox("Lookback (days)", LOOKBACKS, index=1, key="rightsizing_lookback")
    percentile = cols[1].selectbox(
        "CPU percentile",
        PERCENTILES,
        index=len(PERCENTILES) - 1,
        format_func=lambda q: f"p{q:g}",
        key="rightsizing_percentile",
    )
    headroom = cols[2].slider("Headroom", 0, 50, 20, 5, format="%d%%", key="rightsizing_headroom")
    target = cols[3].slider("Target utilisation", 40, 100, 80, 5, format="%d%%", key="rightsizing_target")
    metric = cols[4].selectbox("Cost basis", list(Metric), format_func=lambda m: m.label, key="rightsizing_metric")
    families = sorted(load_shapes().table["family"].unique())
    chosen = st.multiselect(
        "Other families a resource may move to",
        families,
        placeholder="any family with a known price",
        help="A smaller size of a resource's own family is always allowed; other families need a price from your "
        "cost data or the price sheet.",
        key="rightsizing_families",
    )
    arch = st.toggle("Allow x86 ↔ Arm moves (Graviton, Ampere)", key="rightsizing_arch")
    return Settings(
        lookback_days=int(lookback),
        percentile=float(percentile),
        headroom=headroom / 100,
        target=target / 100,
        families=tuple(chosen) or None,
        allow_arch_change=arch,
        metric=metric or Metric.EFFECTIVE,  # a selectbox may return None; this one always has options
        currency=currency,
    )


def kpis(frame: pd.DataFrame, currency: str) -> None:
    down, idle = frame[frame["action"].isin(RESIZED)], frame[frame["action"] == TERMINATE]
    total = report.total_savings(frame)
    cash = report.cash_savings(frame)
    committed = total - cash
    cols = st.columns(5)
    cols[0].metric("Monthly savings", money_text(total, currency, compact=True), border=True)
    cols[1].metric(
        "Cash savings",
        money_text(cash, currency, compact=True),
        border=True,
        help="The monthly savings less the part on hours covered by commitments (reservations, savings plans, "
        "CUDs): that part frees commitment capacity rather than cash.",
    )
    # The count in the label and the money alone as the value: "1 · $672.77" was cut to "1 · $672…".
    cols[2].metric(
        f"Resize ({len(down)})",
        money_text(report.total_savings(down), currency, compact=True),
        border=True,
        help="Monthly savings of the resources that fit a smaller size (downsize), or that cost less at their "
        "size in another family (move).",
    )
    cols[3].metric(
        f"Stop or terminate ({len(idle)})",
        money_text(report.total_savings(idle), currency, compact=True),
        border=True,
        help="Monthly savings of the idle resources: stop or terminate them, after asking their owner.",
    )
    cols[4].metric("Measured resources", f"{len(frame)}", border=True)
    if committed >= 0.005:
        st.caption(
            f"{money_text(committed, currency)} of the monthly savings is on hours covered by commitments: it frees "
            f"commitment capacity (for other usage to take up) rather than cash, so {money_text(cash, currency)} "
            "a month comes off the bill."
        )


def owner_account_filter(frame: pd.DataFrame) -> pd.DataFrame:
    cols = st.columns(2)
    owners = sorted({str(v) for v in frame["owner"].dropna()})
    accounts = sorted({str(v) for v in frame["account"].dropna()})
    pick_owner = cols[0].multiselect("Owner (tag:team)", owners, key="rightsizing_owner")
    pick_account = cols[1].multiselect("Account", accounts, key="rightsizing_account")
    if pick_owner:
        frame = frame[frame["owner"].isin(pick_owner)]
    if pick_account:
        frame = frame[frame["account"].isin(pick_account)]
    return frame


def table(frame: pd.DataFrame, currency: str, idle: bool) -> None:
    shown = report.table(frame)
    keep = [
        "resource_name",
        "owner",
        "account",
        "current",
        "proposed",
        "action",
        "cpu_percentile_pct",
        "cpu_after_pct",
        "mem_max_pct",
        "mem_after_pct",
        "monthly_cost",
        "monthly_savings",
        "risk",
        "price_source",
        "reason",
        "note",
        "resource_id",
    ]
    if idle:
        keep = [
            "resource_name",
            "owner",
            "account",
            "current",
            "cpu_max_pct",
            "mem_max_pct",
            "monthly_cost",
            "monthly_savings",
            "note",
            "resource_id",
        ]
    text = st.column_config.TextColumn
    config = {
        "monthly_cost": fmt.money("cost / month", currency),
        "monthly_savings": fmt.money("savings / month", currency),
        "cpu_percentile_pct": fmt.percent("CPU pctl before"),
        "cpu_after_pct": fmt.percent("CPU pctl after"),
        "mem_max_pct": fmt.percent("memory peak before"),
        "mem_after_pct": fmt.percent("memory peak after"),
        "cpu_max_pct": fmt.percent("CPU max"),
        "resource_name": text("Resource"),
        "account": text("Account"),
        "current": text("Size now"),
        "action": text("Action"),
        "risk": text("Risk"),
        "reason": text("Reason"),
        "resource_id": text("Resource id"),
        "owner": text("Owner", help="A dash: no allocation rule gives this resource an owner"),
        "proposed": text("Proposed size", help="A dash: no smaller size fits (keep, or stop when idle)"),
        "price_source": text("Price from", help="A dash: no price was needed (nothing to change)"),
        "note": text("Note", help="A dash: nothing to add"),
    }
    fmt.table(shown[keep], config)


def resource_chart(frame: pd.DataFrame, found: Inputs, settings: Settings) -> None:
    measured = frame[frame["action"] != INSUFFICIENT]
    if measured.empty or found.start is None or found.end is None:
        return
    labels = {
        str(r): f"{n} ({c})"
        for r, n, c in zip(
            measured["resource_id"],
            measured["resource_name"].fillna(measured["resource_id"]),
            measured["current"].fillna("?"),
            strict=True,
        )
    }
    resource = st.selectbox("Resource", list(labels), format_func=lambda r: labels[r], key="rightsizing_resource")
    row = measured[measured["resource_id"] == resource].iloc[0]
    series = resource_series(data.engine(), resource, found.start, found.end)
    after = float(row["cpu_after"]) if row["action"] in RESIZED else None
    st.altair_chart(rs_charts.utilisation_chart(series, settings.target, after), width="stretch", theme=None)


def downloads(frame: pd.DataFrame, title: str, stem: str) -> None:
    cols = st.columns(2)
    cols[0].download_button(
        "Download CSV",
        report.csv_bytes(frame),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="rightsizing_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    cols[1].download_button(
        "Download Excel",
        report.excel_bytes(frame, title),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="rightsizing_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )


def loader() -> None:
    """Upload utilisation files (validated, replacing the same resource/metric/stat/timestamps: admins
    only, they write to the store) and an optional price sheet (kept for this session: analysts too)."""
    admin = read_only.can_write()
    if not read_only.can_model():
        return
    with st.expander("Load utilisation metrics" if admin else "Price sheet", icon=":material/upload:"):
        if admin:
            _utilisation_upload()
        else:
            read_only.note("load utilisation metrics; a price sheet here stays in your session")
        sheet = st.file_uploader(
            "Price sheet (optional): provider, instance_type, price_per_hour[, region]",
            type=["csv"],
            key="rightsizing_sheet_upload",
        )
        if sheet is not None:
            raw = sheet.getvalue()
            digest = hashlib.sha256(raw).hexdigest()[:16]
            if st.session_state.get(SHEET, ("",))[0] != digest:
                try:
                    frame = load_price_sheet(io.BytesIO(raw), load_shapes(), name=sheet.name)
                except PriceSheetError as exc:
                    st.error(str(exc), icon=":material/error:")
                else:
                    st.session_state[SHEET] = (digest, sheet.name, frame)
        elif SHEET in st.session_state:
            del st.session_state[SHEET]
        if SHEET in st.session_state:
            st.caption(f"Price sheet in use: {st.session_state[SHEET][1]} ({len(st.session_state[SHEET][2])} prices)")


def _utilisation_upload() -> None:
    st.caption(
        "Long layout: resource_id, timestamp (UTC), metric (cpu_pct, mem_pct, net_out_mbps, ...), "
        "stat (avg, max, p95, p99), value, interval_seconds. CSV, CSV.gz or Parquet. See the README for "
        "CloudWatch, Azure Monitor and Cloud Monitoring exports."
    )
    files = st.file_uploader(
        "Utilisation files", type=["csv", "gz", "parquet"], accept_multiple_files=True, key="rightsizing_upload"
    )
    scale = st.radio(
        "Percent values are",
        ["auto", "percent", "fraction"],
        horizontal=True,
        format_func={"auto": "detect", "percent": "0-100", "fraction": "0-1 (GCP)"}.get,
        key="rightsizing_scale",
    )
    if files and st.button("Load", key="rightsizing_load", icon=":material/upload:"):
        load_uploads(files, partial(load_utilization, scale=str(scale)), UtilizationError)
