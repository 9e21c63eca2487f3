"""The Unit economics page's pieces: cached runs, the controls, the charts, the change split into
"cost grew" and "volume grew", the target editor, a self-contained loader for metric files (kept
here rather than on the Data page, whose files belong to another area) and the Overview's tile.
Targets and metric files are changed by admins only: others see the targets read-only."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from analytics.charts import COST, GROUP, INK, PERIOD, colors_for, money_text, spend_over_time
from analytics.compare import label
from analytics.engine import DuckDBEngine
from analytics.fx import FxTable
from analytics.schema import Filters, Grain, Metric
from analytics.unit_economics import charts as ue_charts
from analytics.unit_economics import metrics as metrics_mod
from analytics.unit_economics.compute import OWNER, UNIT_COST, VALUE, UnitCosts, unit_cost
from analytics.unit_economics.decompose import COST_EFFECT, TOTAL_LABEL, VOLUME_EFFECT, decompose
from analytics.unit_economics.metrics import MetricInfo, catalog, default_metric
from analytics.unit_economics.metrics_ingest import MetricsError, load_metrics
from analytics.unit_economics.periods import complete, latest_full
from analytics.unit_economics.periods import whole as whole_periods
from analytics.unit_economics.targets import (
    GAP,
    GAP_PCT,
    TARGET,
    TOTAL,
    TargetsError,
    default_targets_path,
    gaps,
    load_targets,
    save_targets,
    targets_for,
)
from analytics.unit_economics.tile import UnitTile, last_full_month_unit_cost, unit_name
from ui import audit, data, queries, read_only
from ui import format as fmt
from ui.cache import cached, cached_fx
from ui.data_loads import load_uploads
from ui.filters import View

TTL = data.TTL
GRAINS = (Grain.DAY, Grain.WEEK, Grain.MONTH)
BASES = (Metric.EFFECTIVE, Metric.BILLED)
SPLIT_COLUMNS: tuple[str, ...] = ("unit_cost_before", "unit_cost_after", "change", COST_EFFECT, VOLUME_EFFECT)
SPLIT_COLUMNS += ("cost_before", "cost_after", "value_before", "value_after")


@dataclass(frozen=True)
class Choice:
    metric: str
    basis: Metric
    by: str | None
    grain: Grain


@cached(max_entries=16, stamp=metrics_mod.stamp)
def metrics(engine: DuckDBEngine) -> dict[str, MetricInfo]:
    """Every stored business metric by name."""
    return catalog(engine)


@cached_fx(max_entries=64, stamp=metrics_mod.stamp)
def _unit(engine: DuckDBEngine, fx: FxTable, choice: Choice, filters: Filters, currency: str) -> UnitCosts:
    return unit_cost(engine, fx, choice.metric, choice.by, choice.grain, filters, choice.basis, currency)


def run(view: View, choice: Choice) -> UnitCosts:
    return _unit(choice, view.filters, view.currency)


def controls(found: dict[str, MetricInfo]) -> Choice:
    """Metric, cost basis, owner dimension (its own values first when the metric has them) and grain."""
    names = sorted(found)
    default = default_metric(found)
    cols = st.columns(4)
    metric = cols[0].selectbox(
        "Business metric", names, index=names.index(default) if default in names else 0, key="unit_metric"
    )
    basis = cols[1].selectbox("Cost basis", BASES, format_func=lambda m: m.label, key="unit_basis")
    owned = list(found[metric].owner_dimensions)
    dims = [d for d in queries.dimensions() if d.startswith(("alloc:", "tag:")) and d != "alloc:shared_pool"]
    options: list[str | None] = [None, *owned, *(d for d in dims if d not in owned)]
    preferred = owned[0] if owned else data.allocation().rules.owner_dimension()
    by = cols[2].selectbox(
        "Owner dimension",
        options,
        index=options.index(preferred) if preferred in options else 0,
        format_func=lambda d: "Total only" if d is None else fmt.option(d) + (" (own values)" if d in owned else ""),
        key="unit_by",
    )
    grain = cols[3].selectbox("Grain", GRAINS, index=1, format_func=lambda g: g.value.capitalize(), key="unit_grain")
    return Choice(str(metric), Metric(basis), by, Grain(grain))


def labelled(result: UnitCosts) -> pd.DataFrame:
    """Per owner (labelled for display) and the total, in one frame with a `group` column."""
    total = result.total.assign(**{GROUP: TOTAL_LABEL})
    if result.by is None or result.frame.empty:
        return total
    owners = result.frame.assign(**{GROUP: result.frame[OWNER].map(lambda o: label(o, result.by or ""))})
    return pd.concat([owners, total], ignore_index=True)


def _order(frame: pd.DataFrame) -> list[str]:
    owners = frame[frame[GROUP] != TOTAL_LABEL].groupby(GROUP)[COST].sum().sort_values(ascending=False)
    return [*owners.index, TOTAL_LABEL]


def _colors(order: list[str]) -> dict[str, str]:
    colors = colors_for([g for g in order if g != TOTAL_LABEL], order)
    return {**colors, TOTAL_LABEL: INK}


def unit_chart(result: UnitCosts, targets: dict[str, float]) -> alt.Chart:
    frame = labelled(result)
    order = _order(frame)
    wanted = pd.DataFrame(
        [(TOTAL_LABEL if k == TOTAL else k, v) for k, v in targets.items()], columns=[GROUP, ue_charts.TARGET]
    )
    return ue_charts.unit_cost_over_time(
        frame.rename(columns={UNIT_COST: ue_charts.UNIT}),
        grain=result.grain,
        currency=result.currency,
        metric=result.metric.name,
        group_title=fmt.label(result.by) if result.by else "",
        order=order,
        colors=_colors(order),
        targets=wanted[wanted[GROUP].isin(order)],
    )


def cost_chart(result: UnitCosts) -> alt.Chart:
    frame = labelled(result)
    owners = frame[frame[GROUP] != TOTAL_LABEL] if result.by is not None else frame
    order = _order(frame)[:-1] if result.by is not None else [TOTAL_LABEL]
    return spend_over_time(
        owners[[PERIOD, GROUP, COST]],
        grain=result.grain,
        currency=result.currency,
        group_title=fmt.label(result.by) if result.by else "Total",
        metric_title=fmt.label(result.basis.value),
        order=order,
        colors=_colors(order),
        span=_span(result),
    )


def metric_chart(result: UnitCosts) -> alt.Chart:
    if result.per_owner:
        frame = labelled(result)
        frame = frame[frame[GROUP] != TOTAL_LABEL]
        return ue_charts.metric_over_time(
            frame[[PERIOD, VALUE, GROUP]],
            grain=result.grain,
            metric=result.metric.name,
            group_title=fmt.label(result.by) if result.by else None,
            span=_span(result),
        )
    return ue_charts.metric_over_time(
        result.total[[PERIOD, VALUE]], grain=result.grain, metric=result.metric.name, span=_span(result)
    )


def _span(result: UnitCosts) -> tuple[dt.date, dt.date] | None:
    return (result.start, result.end) if result.start and result.end else None


def unit_text(amount: float | None, currency: str) -> str:
    return "no value" if amount is None or math.isnan(amount) else ue_charts.unit_text(amount, currency)


def kpis(result: UnitCosts) -> None:
    latest = latest_full(result)
    cols = st.columns(4)
    if latest is None:
        st.info("No whole period in this view has a unit cost: widen the dates or pick a finer grain.")
        return
    rows = _rows(result)
    row = rows[latest]
    earlier = [p for p in complete(result) if p < latest]
    delta = None
    if earlier:
        before = float(rows[earlier[-1]][UNIT_COST])
        delta = f"{(row[UNIT_COST] - before) / before:+.1%} vs {_period_text(earlier[-1], result.grain)}"
    name = unit_name(result.metric.name)  # "per order", not "per orders"
    # Short labels: a tile cuts a long one ("Unit cost per order, wk 23 Nov 2…"); the period is said below.
    cols[0].metric(
        f"Unit cost per {name}", unit_text(row[UNIT_COST], result.currency), delta, delta_color="inverse", border=True
    )
    cost = money_text(row[COST], result.currency, compact=True)
    cols[1].metric(fmt.label(result.basis.value), cost, border=True)
    cols[2].metric(f"{result.metric.name.replace('_', ' ').capitalize()}, total", f"{row[VALUE]:,.0f}", border=True)
    gaps_count = int(result.total[UNIT_COST].isna().sum())
    cols[3].metric("Periods without a unit cost", f"{gaps_count} of {len(result.total)}", border=True)
    st.caption(f"Tiles: {_period_text(latest, result.grain)}, the last whole {result.grain.value} in the view.")


def _rows(result: UnitCosts) -> dict[dt.date, dict[Hashable, Any]]:
    """The total's row per period."""
    return {row[PERIOD]: row for row in result.total.to_dict("records")}


def _period_text(period: dt.date, grain: Grain) -> str:
    if grain is Grain.MONTH:
        return f"{period:%b %Y}"
    return f"wk {period:%d %b %Y}" if grain is Grain.WEEK else f"{period:%d %b %Y}"


def change_section(result: UnitCosts) -> None:
    """Pick two periods; the change of each owner's and the total's unit cost, split in two."""
    whole = whole_periods(result)
    choices = whole if len(whole) >= 2 else complete(result)  # a cut period would skew the split
    if len(choices) < 2:
        st.info("Fewer than two periods with a unit cost in this view: nothing to compare.")
        return
    end = latest_full(result) or choices[-1]
    before, after = st.select_slider(
        "Compare",
        options=choices,
        value=(choices[0], end),
        format_func=lambda p: _period_text(p, result.grain),
        key="unit_compare",
    )
    if before == after:
        st.info("Pick two different periods.")
        return
    split = decompose(result, before, after)
    total = split[split[OWNER] == TOTAL_LABEL].iloc[0]
    labels = (_period_text(before, result.grain), _period_text(after, result.grain))
    left, right = st.columns([2, 3])
    left.altair_chart(
        ue_charts.change_waterfall(
            float(total["unit_cost_before"]),
            float(total[COST_EFFECT]),
            float(total[VOLUME_EFFECT]),
            currency=result.currency,
            metric=result.metric.name,
            labels=labels,
        ),
        width="stretch",
        theme=None,
    )
    shown = split.assign(**{OWNER: [label(o, result.by or "") if o != TOTAL_LABEL else o for o in split[OWNER]]})
    money = {
        "unit_cost_before": fmt.unit_cost(f"Unit cost {labels[0]}", result.currency),
        "unit_cost_after": fmt.unit_cost(f"Unit cost {labels[1]}", result.currency),
    }
    fmt.table(
        shown[[OWNER, *SPLIT_COLUMNS]],
        {
            OWNER: fmt.label(result.by) if result.by else "Scope",
            **money,
            "change": fmt.unit_cost("Change", result.currency, signed=True),
            COST_EFFECT: fmt.unit_cost("Cost grew", result.currency, signed=True),
            VOLUME_EFFECT: fmt.unit_cost("Volume grew", result.currency, signed=True),
            "cost_before": fmt.money(f"Cost {labels[0]}", result.currency),
            "cost_after": fmt.money(f"Cost {labels[1]}", result.currency),
            "value_before": fmt.count(f"{result.metric.name} {labels[0]}"),
            "value_after": fmt.count(f"{result.metric.name} {labels[1]}"),
        },
        hide_index=True,
        width="content",
        target=right,
    )
    right.caption(
        "Midpoint split: cost grew = ΔC × average(1/V), volume grew = Δ(1/V) × average(C); the two add up to the "
        'change exactly. A negative "volume grew" means more volume made each unit cheaper. Gaps cannot be split.'
    )


def targets() -> pd.DataFrame | str:
    """All targets of the file, or why the file cannot be read."""
    try:
        return load_targets(default_targets_path(), data.fx().currencies(), queries.dimensions())
    except TargetsError as exc:
        return str(exc)


def target_section(result: UnitCosts, wanted: dict[str, float]) -> None:
    """Latest whole period's unit cost per owner against its target, the targets editable by an admin."""
    latest = latest_full(result)
    if latest is None:
        return
    rows = [(TOTAL, float(_rows(result)[latest][UNIT_COST]))]
    if result.by is not None:
        now = result.frame[result.frame[PERIOD] == latest]
        rows += [(str(o), float(u)) for o, u in zip(now[OWNER], now[UNIT_COST], strict=True) if o is not None]
    table = gaps(pd.DataFrame(rows, columns=[OWNER, UNIT_COST]), wanted)
    table.insert(0, "shown", [TOTAL_LABEL if o == TOTAL else o for o in table[OWNER]])
    admin = read_only.can_write()
    kept = f"; kept in `{_shown_path(default_targets_path())}`. Type a target and save; clear a cell to remove it"
    st.caption(
        f"{_period_text(latest, result.grain)}, the last whole period. "
        f"Targets are per {unit_name(result.metric.name)}, in {result.currency}, whatever the cost basis"
        f"{kept if admin else ''}."
    )
    gap_help = "A dash: no target set for this owner"
    shown = fmt.as_percent(table, [GAP_PCT])
    config = {
        "shown": fmt.label(result.by) if result.by else "Scope",
        UNIT_COST: fmt.unit_cost("Unit cost", result.currency),
        TARGET: st.column_config.NumberColumn(
            f"Target ({result.currency})", min_value=0.0, format=fmt.UNIT_COST_FORMAT, help=gap_help
        ),
        GAP: fmt.unit_cost("Gap (over +)", result.currency, help=gap_help, signed=True),
        GAP_PCT: fmt.percent("Gap %", help=gap_help, signed=True),
    }
    order = ["shown", UNIT_COST, TARGET, GAP, GAP_PCT]
    if not admin:
        fmt.table(shown, config, column_order=order)
        read_only.note("change the targets")
        return
    edited = st.data_editor(
        shown,
        hide_index=True,
        placeholder=fmt.DASH,
        disabled=["shown", UNIT_COST, GAP, GAP_PCT],
        column_order=order,
        column_config=config,
        key=f"unit_targets_{result.metric.name}_{result.by}_{result.currency}",
    )
    if st.button("Save targets", key="unit_save_targets", icon=":material/save:"):
        chosen = {str(o): float(t) for o, t in zip(edited[OWNER], edited[TARGET], strict=True) if not pd.isna(t)}
        try:
            save_targets(default_targets_path(), result.metric.name, result.by, result.currency, chosen)
        except (TargetsError, OSError) as exc:
            st.error(f"Targets not saved: {exc}", icon=":material/error:")
        else:
            audit.record("unit targets", {"metric": result.metric.name, "by": result.by, "targets": len(chosen)})
            st.rerun()


def _shown_path(path: Path) -> str:
    root = Path(__file__).resolve().parents[1]
    return str(path.relative_to(root)) if path.is_relative_to(root) else path.name


def wanted_targets(result: UnitCosts) -> dict[str, float]:
    loaded = targets()
    if isinstance(loaded, str):  # the message names the file and quotes it: for admins only
        shown = loaded if read_only.can_write() else "an administrator can see why on this page and fix the file"
        st.error(f"The unit-cost targets cannot be read: {shown}", icon=":material/error:")
        return {}
    return targets_for(loaded, result.metric.name, result.by, result.currency)


def figures(result: UnitCosts) -> None:
    frame = labelled(result)
    shown = frame[[PERIOD, GROUP, COST, VALUE, UNIT_COST]]
    fmt.table(
        shown.sort_values([PERIOD, GROUP], ignore_index=True),
        {
            PERIOD: st.column_config.DateColumn("Period from"),
            GROUP: fmt.label(result.by) if result.by else "Scope",
            COST: fmt.money(fmt.label(result.basis.value), result.currency),
            VALUE: fmt.count(result.metric.name),
            UNIT_COST: fmt.unit_cost("Unit cost", result.currency, help="A dash: no metric value that period (a gap)"),
        },
    )


def loader() -> None:
    """Upload business metric files (validated; a file replaces the same metric, dimension and dates):
    for admins only, who alone write to the store."""
    if not read_only.can_write():
        return
    with st.expander("Load business metrics", icon=":material/upload:"):
        st.caption(
            "Columns: date (YYYY-MM-DD, UTC), metric, value (a count or amount >= 0), and optionally dimension "
            "(an owner dimension such as tag:team or alloc:business_unit) and owner. CSV, CSV.gz or Parquet. "
            "See the README."
        )
        files = st.file_uploader(
            "Metric files", type=["csv", "gz", "parquet"], accept_multiple_files=True, key="unit_upload"
        )
        if files and st.button("Load", key="unit_load", icon=":material/upload:"):
            load_uploads(files, load_metrics, MetricsError)


@cached_fx(max_entries=16, stamp=metrics_mod.stamp)
def _tile(engine: DuckDBEngine, fx: FxTable, currency: str) -> UnitTile | None:
    return last_full_month_unit_cost(engine, fx, None, Metric.EFFECTIVE, currency)


def overview_tile(view: View) -> None:
    """For the Overview: last full month's EffectiveCost per unit of the default metric (orders),
    with its change from the month before; says so plainly when no metric is loaded."""
    tile = _tile(view.currency)
    if tile is None:
        st.metric("Cost per unit", "no metrics", help="Load business metrics on the Unit economics page.", border=True)
        return
    change = None if tile.change is None else f"{tile.change:+.1%} vs {tile.month.replace(day=1) - dt.timedelta(1):%b}"
    st.metric(
        f"Cost per {unit_name(tile.metric)}, {tile.month:%b %Y}",
        unit_text(tile.unit_cost, tile.currency),
        change,
        delta_color="inverse",
        help="EffectiveCost (all owners, after allocation) divided by the month's total of the metric.",
        border=True,
    )
