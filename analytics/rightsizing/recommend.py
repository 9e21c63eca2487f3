"""The recommendation per resource, vectorised over all resources at once (algorithms.md §3.3):
need = current size x usage x (1 + headroom); the cheapest size meeting the CPU and memory need
wins, the same family preferred; the risk level says how close the projected utilisation of the new
size comes to the target utilisation; idle resources (max CPU <= 1 %) are terminate
candidates; savings = price difference x running hours per month on the chosen cost basis.

Deviations from §3.3, on purpose: no perf_ratio between generations (we have no benchmark table,
so a vCPU counts the same in every family); no network or disk constraint (the shapes file has no
network capacity); OS and region are not filtered (we only propose types priced in the resource's
own region, which the cost data or the user's price sheet vouch for)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.rightsizing.prices import FROM_FAMILY, FROM_SHEET
from analytics.rightsizing.settings import Settings
from analytics.rightsizing.shapes import Shapes
from analytics.rightsizing.stats import percentile_column

DOWNSIZE, TERMINATE, KEEP, INSUFFICIENT = "downsize", "terminate", "keep", "insufficient_data"
MOVE = "move"  # the same size or larger in a cheaper family: not a downsize, though it saves
RESIZED = (DOWNSIZE, MOVE)  # a new instance type is proposed
RISKS = ("very_low", "low", "medium", "high")
SAME_FAMILY_PREFERENCE = 0.01  # another family must be more than 1 point of price cheaper to win
_SHAPE_COLUMNS = ["family", "vcpu", "memory_gib", "normalization_factor", "arch", "gpus", "burstable"]


def evaluate(
    stats: pd.DataFrame,
    facts: pd.DataFrame,
    shapes: Shapes,
    settings: Settings,
    od_prices: pd.DataFrame,
    sheet_prices: pd.DataFrame,
) -> pd.DataFrame:
    """One row per measured resource: action, proposed type, projected utilisation, savings, risk."""
    base = _base(stats, facts, shapes)
    base["usage"] = base[percentile_column(settings.percentile)].astype(float)
    base["factor"] = settings.factor
    base["key"] = base["resource_id"]
    out = _decide(base, shapes, settings, od_prices, sheet_prices)
    out["reason"] = _reasons(out, settings)
    out["note"] = _notes(out)
    out = out.drop(columns="key").rename(columns={"instance_type": "current", "usage": "cpu_pct"})
    return out.sort_values(["monthly_savings", "resource_id"], ascending=[False, True], ignore_index=True)


def scenario_savings(
    stats: pd.DataFrame,
    facts: pd.DataFrame,
    shapes: Shapes,
    settings: Settings,
    od_prices: pd.DataFrame,
    sheet_prices: pd.DataFrame,
    scenarios: list[tuple[float, float]],
) -> pd.DataFrame:
    """Total monthly savings per (percentile, headroom) scenario, all evaluated in one pass."""
    base = _base(stats, facts, shapes)
    frames = [
        base.assign(
            usage=base[percentile_column(q)].astype(float),
            factor=1 + h,
            key=base["resource_id"] + f"\x00{i}",
            scenario=i,
        )
        for i, (q, h) in enumerate(scenarios)
    ]
    out = _decide(pd.concat(frames, ignore_index=True), shapes, settings, od_prices, sheet_prices)
    totals = out.groupby("scenario")["monthly_savings"].sum()
    return pd.DataFrame(
        {
            "percentile": [f"p{q:g}" for q, _ in scenarios],
            "headroom": [h for _, h in scenarios],
            "monthly_savings": [float(totals.get(i, 0.0)) for i in range(len(scenarios))],
        }
    )


def _base(stats: pd.DataFrame, facts: pd.DataFrame, shapes: Shapes) -> pd.DataFrame:
    base = stats.merge(facts, on="resource_id", how="left")
    return base.merge(
        shapes.table[["provider", "instance_type", *_SHAPE_COLUMNS]], on=["provider", "instance_type"], how="left"
    )


def _decide(
    base: pd.DataFrame, shapes: Shapes, settings: Settings, od_prices: pd.DataFrame, sheet_prices: pd.DataFrame
) -> pd.DataFrame:
    """`base` has one row per `key` with its `usage` (CPU percentile) and capacity `factor`."""
    enough = base["hours"] >= settings.min_hours
    has_cost = base["rate"].notna() & (base["running_hours"].fillna(0) > 0)
    idle = enough & (base["cpu_max"] <= settings.idle_max_cpu)
    base["need_vcpu"] = base["vcpu"] * base["usage"] / 100 * base["factor"]
    # No memory data: never shrink memory (the need is the current size).
    base["need_mem"] = (base["memory_gib"] * base["mem_max"] / 100 * base["factor"]).fillna(base["memory_gib"])
    eligible = enough & has_cost & ~idle & base["family"].notna()
    chosen = _choose(base[eligible], shapes, settings, od_prices, sheet_prices)
    base = base.merge(chosen, on="key", how="left")
    proposed = base["proposed"].notna()
    smaller = (base["new_vcpu"] < base["vcpu"]) | (base["new_mem"] < base["memory_gib"])
    base["action"] = np.select(
        [~enough | ~has_cost, idle, proposed & smaller, proposed, base["family"].isna()],
        [INSUFFICIENT, TERMINATE, DOWNSIZE, MOVE, INSUFFICIENT],
        KEEP,
    )
    return _outcome(base, settings)


def _choose(
    base: pd.DataFrame, shapes: Shapes, settings: Settings, od_prices: pd.DataFrame, sheet_prices: pd.DataFrame
) -> pd.DataFrame:
    """Per resource, the cheapest fitting type cheaper than the current one (if any)."""
    columns = ["key", "proposed", "ratio", "price_source", "new_family", "new_vcpu", "new_mem", "new_nf"]
    if base.empty:
        return pd.DataFrame(columns=columns)
    cur = base[["key", "provider", "region", "instance_type", "need_vcpu", "need_mem", *_SHAPE_COLUMNS]]
    new = shapes.table[["provider", "instance_type", *_SHAPE_COLUMNS]].add_prefix("new_")
    # Only families a price can come for: priced in the data or the sheet, or a resource's own.
    priced = set(_families(od_prices, shapes)) | set(_families(sheet_prices, shapes)) | set(base["family"])
    new = new[new["new_family"].isin(priced)]
    cand = cur.merge(new, left_on="provider", right_on="new_provider")
    same = cand["new_family"] == cand["family"]
    if settings.families is None:
        allowed = pd.Series(True, index=cand.index)
    else:  # the user's list limits moves to other families; a smaller size of one's own is always open
        allowed = same | cand["new_family"].isin(settings.families)
    fits = (
        (cand["new_vcpu"] >= cand["need_vcpu"] - 1e-9)
        & (cand["new_memory_gib"] >= cand["need_mem"] - 1e-9)
        & (cand["new_gpus"] >= cand["gpus"])  # no GPU metric: never take GPUs away
        & ((cand["new_arch"] == cand["arch"]) | settings.allow_arch_change)
        & (_kind(cand["new_family"]) == _kind(cand["family"]))  # a database stays a database
        & (same | ~cand["new_burstable"] | cand["burstable"])  # burstable only from burstable
        & (cand["new_instance_type"] != cand["instance_type"])
        & allowed
    )
    cand = cand[fits]
    cand = _priced(cand, od_prices, sheet_prices)
    cand = cand[cand["ratio"] < 1 - 1e-9]
    if cand.empty:
        return pd.DataFrame(columns=columns)
    key = cand["ratio"] - SAME_FAMILY_PREFERENCE * (cand["new_family"] == cand["family"])
    best = cand.loc[key.groupby(cand["key"]).idxmin()]
    return best.rename(
        columns={"new_instance_type": "proposed", "new_memory_gib": "new_mem", "new_normalization_factor": "new_nf"}
    )[columns]


def _families(prices: pd.DataFrame, shapes: Shapes) -> pd.Series:
    if prices.empty:
        return pd.Series([], dtype=object)
    table = shapes.table[["provider", "instance_type", "family"]]
    return prices[["provider", "instance_type"]].merge(table, on=["provider", "instance_type"])["family"]


def _kind(family: pd.Series) -> pd.Series:
    """vm, db or cache: the part of an AWS family before a dot, else vm."""
    return family.str.extract(r"^([a-z]+)\.", expand=False).fillna("vm")


def _priced(cand: pd.DataFrame, od: pd.DataFrame, sheet: pd.DataFrame) -> pd.DataFrame:
    """Adds `ratio` (new price / current price) and where it came from."""
    keys = ["provider", "region"]
    od_cur = od.rename(columns={"od_price": "od_cur"})[[*keys, "instance_type", "od_cur"]]
    od_new = od.rename(
        columns={"instance_type": "new_instance_type", "od_price": "od_new", "price_source": "od_source"}
    )
    sh_cur = sheet.rename(columns={"sheet_price": "sheet_cur"})
    sh_new = sheet.rename(columns={"instance_type": "new_instance_type", "sheet_price": "sheet_new"})
    cand = cand.merge(od_cur, on=[*keys, "instance_type"], how="left")
    cand = cand.merge(
        od_new[[*keys, "new_instance_type", "od_new", "od_source"]], on=[*keys, "new_instance_type"], how="left"
    )
    cand = cand.merge(sh_cur, on=[*keys, "instance_type"], how="left")
    cand = cand.merge(sh_new, on=[*keys, "new_instance_type"], how="left")
    by_sheet = cand["sheet_cur"].notna() & cand["sheet_new"].notna()
    by_data = ~by_sheet & cand["od_cur"].notna() & cand["od_new"].notna()
    by_family = ~by_sheet & ~by_data & (cand["new_family"] == cand["family"])
    cand["ratio"] = np.select(
        [by_sheet, by_data, by_family],
        [
            cand["sheet_new"] / cand["sheet_cur"],
            cand["od_new"] / cand["od_cur"],
            cand["new_normalization_factor"] / cand["normalization_factor"],
        ],
        np.nan,
    )
    cand["price_source"] = np.select([by_sheet, by_data, by_family], [FROM_SHEET, cand["od_source"], FROM_FAMILY], "")
    return cand[cand["ratio"].notna()]


def _outcome(base: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    down = base["action"].isin(RESIZED)
    term = base["action"] == TERMINATE
    base["cpu_after"] = np.where(down, base["usage"] * base["vcpu"] / base["new_vcpu"], base["usage"])
    base["mem_after"] = np.where(down, base["mem_max"] * base["memory_gib"] / base["new_mem"], base["mem_max"])
    base["monthly_cost"] = (base["rate"] * base["monthly_hours"]).fillna(0.0)
    saving = np.select([down, term], [base["monthly_cost"] * (1 - base["ratio"]), base["monthly_cost"]], 0.0)
    base["monthly_savings"] = saving
    closeness = np.fmax(base["cpu_after"], base["mem_after"].fillna(0)) / (settings.target * 100)
    risk = np.select([closeness < 0.5, closeness < 0.75, closeness <= 1.0], list(RISKS[:3]), RISKS[3])
    base["risk"] = np.where(term, "low", risk)
    base.loc[base["action"] == INSUFFICIENT, "risk"] = None
    share = base["committed_share"].fillna(0.0)
    base["committed_savings"] = base["monthly_savings"] * share
    reserved = (base["provider"] == "aws") & base["commitment"].fillna("").str.contains("Reserv")
    freed_nf = np.select(
        [down, term], [base["normalization_factor"] - base["new_nf"], base["normalization_factor"]], 0.0
    )
    base["frees_units"] = np.where(reserved, freed_nf * share, 0.0)
    return base


def _records(base: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in base.to_dict("records")]


def _reasons(base: pd.DataFrame, settings: Settings) -> list[str]:
    p = f"p{settings.percentile:g}"
    out = []
    for r in _records(base):
        if r["action"] == INSUFFICIENT:
            if r["hours"] < settings.min_hours:
                out.append(
                    f"{r['hours']:.0f} h of CPU data in the lookback; at least {settings.min_hours:.0f} h needed"
                )
            elif pd.isna(r["rate"]) or not r["running_hours"]:
                out.append("no instance-hours of this resource in the cost data over the lookback")
            else:
                out.append("instance type not recognised (not in data/instance_shapes.csv)")
        elif r["action"] == TERMINATE:
            out.append(
                f"idle: max CPU {r['cpu_max']:.2f}% <= {settings.idle_max_cpu:g}% over {settings.lookback_days} days"
            )
        elif r["action"] == DOWNSIZE:
            memory = "no memory data: memory kept" if pd.isna(r["mem_max"]) else f"peak memory {r['mem_max']:.0f}%"
            out.append(
                f"{p} CPU {r['usage']:.1f}% of {r['vcpu']:g} vCPU needs {r['need_vcpu']:.1f} vCPU; {memory}; "
                f"{r['new_vcpu']:g} vCPU / {r['new_mem']:g} GiB fits"
            )
        elif r["action"] == MOVE:
            out.append(
                f"no smaller size fits ({p} CPU {r['usage']:.1f}% of {r['vcpu']:g} vCPU); the same "
                f"{r['new_vcpu']:g} vCPU / {r['new_mem']:g} GiB costs {1 - r['ratio']:.0%} less "
                f"in family {r['new_family']}"
            )
        elif max(r["cpu_after"], 0.0 if pd.isna(r["mem_after"]) else r["mem_after"]) > settings.target * 100:
            out.append(
                f"under-provisioned: {p} CPU {r['cpu_after']:.0f}% or peak memory above the "
                f"{settings.target:.0%} target"
            )
        elif pd.isna(r["mem_max"]):
            out.append(f"no cheaper size fits (no memory data: memory kept at {r['memory_gib']:g} GiB)")
        else:
            out.append("no cheaper size fits")
    return out


def _notes(base: pd.DataFrame) -> list[str | None]:
    out: list[str | None] = []
    for r in _records(base):
        share = 0.0 if pd.isna(r["committed_share"]) else float(r["committed_share"])
        if r["action"] not in (*RESIZED, TERMINATE) or share <= 0:
            out.append(None)
            continue
        units = float(r["frees_units"])
        freed = f" (frees {units:.1f} normalised units per hour of the reservation)" if units > 0 else ""
        out.append(
            f"{share:.0%} of its hours run under a {r['commitment']}: that part of the saving frees commitment "
            f"capacity rather than cash until other usage takes it up{freed}"
        )
    return out
