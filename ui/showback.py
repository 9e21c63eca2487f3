"""The Showback page's pieces: the pack request from widgets, cached figures, the on-screen summary,
the closed-month notice, and building and downloading the workbooks: open to everyone (a pack holds
the user's scope), recorded for finance's change detection when an admin builds one, and in the audit
log with the scope it was built for. A signed-in user's view of a month range is audited once a session."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics.allocation.coverage import applied_rules
from analytics.engine import DuckDBEngine
from analytics.fx import FxTable
from analytics.showback.data import PackData, ShowbackError, gather
from analytics.showback.figures import owner_rows, recon_rows, rounding_row
from analytics.showback.fingerprint import Recorded, describe_changes, last_pack, record_pack
from analytics.showback.request import BASES, PackRequest, add_months
from analytics.showback.sheets import has_budgets, no_budget_note
from analytics.showback.words import BASIS
from analytics.showback.workbook import owner_zip, pack
from ui import audit, data, identity, queries, read_only
from ui import format as fmt

BUILT = "showback_built"  # session state: {(request, kind): (file name, bytes)}
VIEWED = "_showback_viewed"  # session state: the month ranges whose view this session has audited


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def request(currency: str) -> PackRequest | None:
    span = queries.data_span()
    if span is None:
        return None
    available = months(span[0], span[1])
    closed = [m for m in available if add_months(m, 1) - dt.timedelta(days=1) <= span[1]] or available
    cols = st.columns([1, 1, 2, 1])
    label = "%B %Y"
    first = cols[0].selectbox(
        "First month",
        available,
        index=available.index(closed[-1]),
        format_func=lambda m: m.strftime(label),
        key="showback_first",
    )
    last = cols[1].selectbox(
        "Last month",
        [m for m in available if m >= first],
        index=0,
        format_func=lambda m: m.strftime(label),
        key="showback_last",
    )
    dimensions = queries.dimensions()
    owner = applied_rules(data.engine()).owner_dimension()
    default = owner if owner in dimensions else ("tag:team" if "tag:team" in dimensions else dimensions[0])
    by = cols[2].selectbox(
        "Owner dimension", dimensions, index=dimensions.index(default), format_func=fmt.label, key="showback_by"
    )
    basis = cols[3].selectbox("Cost basis", list(BASES), format_func=lambda b: BASES[b].label, key="showback_basis")
    scope = identity.grant().scope
    return PackRequest(first, last, by, BASES[basis], currency, "" if scope.everything else scope.describe())


@st.cache_data(ttl=data.TTL, max_entries=16, show_spinner="Gathering the figures")
def _gather(_engine: DuckDBEngine, _fx: FxTable, db: str, fx_source: str, req: PackRequest) -> PackData:
    return gather(_engine, _fx, req)


def figures(req: PackRequest) -> PackData | None:
    try:
        table = data.fx()
        return _gather(data.engine(), table, data.db_key(), table.source, req)
    except ShowbackError as exc:
        st.warning(str(exc), icon=":material/info:")
        return None


def _who() -> dict[str, str]:
    """The scope and role a pack was seen or built in, for the audit log."""
    found = identity.grant()
    return {"scope": found.scope.describe(), "role": found.role}


def record_view(req: PackRequest) -> None:
    """A signed-in user looked at the figures of a month range: one `showback view` entry per session
    and range, not one per rerun. (In single-user mode there is nobody else to account for.)"""
    if not identity.auth_configured():
        return
    viewed: set[str] = st.session_state.setdefault(VIEWED, set())
    if req.label in viewed:
        return
    viewed.add(req.label)
    audit.record("showback view", {"months": req.label, "owner": req.owner, **_who()})


def summary(figs: PackData) -> None:
    req = figs.request
    rows = owner_rows(figs)
    rows.append(rounding_row(figs, rows))  # as in the pack's Summary, so the total is the pack's
    recon = recon_rows(figs)
    ties = all(r.difference == 0 for r in recon)
    total = sum(r.total for r in rows)
    unowned = sum(r.total for r in rows if not r.is_owner and not r.is_rounding)
    cols = st.columns(4)
    cols[0].metric(f"Total ({req.currency})", f"{total:,.2f}", border=True)
    cols[1].metric("Owners", f"{sum(1 for r in rows if r.is_owner):,}", border=True)
    cols[2].metric(f"Unallocated ({req.currency})", f"{unowned:,.2f}", border=True)
    worst = max((abs(r.difference) for r in recon), default=0)
    cols[3].metric(
        "Reconciliation difference",
        f"{worst:,.2f}",
        "ties out" if ties else "does not tie out",
        delta_color="off" if ties else "inverse",
        border=True,
    )
    st.caption(
        f"{BASIS[req.metric]} In {req.currency}; previous period {req.previous.label}; UTC months. "
        f"Rules fingerprint {figs.rules_fingerprint}, data fingerprint {figs.data_fingerprint}."
    )
    frame = pd.DataFrame(
        {
            "Owner": [r.label for r in rows],
            "Direct": [float(r.direct) for r in rows],
            "Shared received": [float(r.shared) for r in rows],
            "Total": [float(r.total) for r in rows],
            "Previous": [None if r.previous is None else float(r.previous) for r in rows],
            "Change %": [None if r.change_ratio is None else 100 * r.change_ratio for r in rows],
        }
    )
    if has_budgets(figs):  # budget columns only where the owner dimension has budgets, as in the pack
        frame["Budget"] = [None if r.budget is None else float(r.budget) for r in rows]
        frame["Variance"] = [None if r.variance is None else float(r.variance) for r in rows]
    cur = figs.request.currency
    before, budget = "A dash: no spend the month before", "A dash: no budget for this owner this month"
    config = {c: fmt.money(c, cur) for c in ("Direct", "Shared received", "Total")}
    config["Previous"] = fmt.money("Previous", cur, help=before)
    config |= {c: fmt.money(c, cur, help=budget) for c in ("Budget", "Variance")}
    config["Change %"] = fmt.percent(help=before, signed=True)
    fmt.table(frame, config)
    if not has_budgets(figs):
        st.caption(no_budget_note(req.owner))


def closed_month_notice(figs: PackData) -> None:
    """Whether the data changed since finance's last pack of these months (their records are
    written by admins who see everything, and only those see them)."""
    if not read_only.sees_everything():
        return
    earlier = last_pack(data.engine(), figs.request, figs.sources)
    if earlier is None:
        st.caption(f"No pack has been produced for {figs.request.label} yet.")
    elif not earlier.changed:
        st.caption(
            f"The last pack for {figs.request.label} ({earlier.generated_at:%Y-%m-%d %H:%M} UTC) was "
            "produced from the same data."
        )
    else:
        _changed(figs, earlier)


def _changed(figs: PackData, earlier: Recorded) -> None:
    st.warning(
        f"The data for {figs.request.label} changed since the pack produced {earlier.generated_at:%Y-%m-%d %H:%M} "
        f"UTC (data fingerprint {earlier.data_fingerprint} → {figs.data_fingerprint}): a provider restated it. "
        "Packs sent before then no longer match; the differences per source are below.",
        icon=":material/history:",
    )
    st.dataframe(pd.DataFrame({"Change": describe_changes(earlier)}), hide_index=True, width="stretch")


def downloads(figs: PackData) -> None:
    req = figs.request
    built: dict = st.session_state.setdefault(BUILT, {})
    stem = f"showback-{req.label.replace(' to ', '_')}-{req.owner.replace(':', '_')}"
    cols = st.columns(2)
    for col, kind, label in ((cols[0], "xlsx", "Build the workbook"), (cols[1], "zip", "Build one workbook per owner")):
        key = (req, kind, figs.data_fingerprint)
        if col.button(label, key=f"showback_build_{kind}"):
            built[key] = _build(figs, kind, stem)
        if key in built:
            name, content = built[key]
            mime = (
                "application/zip"
                if kind == "zip"
                else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            )
            col.download_button(f"Download {name}", content, file_name=name, mime=mime, key=f"showback_dl_{kind}")


def _build(figs: PackData, kind: str, stem: str) -> tuple[str, bytes]:
    generated_at = dt.datetime.now(dt.UTC)
    with st.status("Building the pack", expanded=False) as status:
        bar = st.progress(0.0)

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)

        if kind == "zip":
            content, name = owner_zip(figs, generated_at, progress), f"{stem}-owners.zip"
        else:
            content, name = pack(figs, generated_at, progress), f"{stem}.xlsx"
        # The record is finance's: "the data changed since the pack produced on ..." is about the whole
        # company's pack, which an admin who sees everything builds; a scoped pack is audited below only.
        if read_only.can_write() and read_only.sees_everything():
            with data.writer(data_changed=False) as cur:
                record_pack(cur, figs.request, figs.sources, figs.rules_fingerprint, generated_at, f"download {name}")
        detail = {"months": figs.request.label, "owner": figs.request.owner, "outputs": [name], **_who()}
        audit.record("showback export", detail)
        status.update(label=f"Built {name}", state="complete")
    return name, content
