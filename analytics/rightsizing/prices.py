"""Relative prices of instance types, for the price ratio new/current that scales a resource's own
cost. From, in order: a user price sheet (when it lists both types), the on-demand (list) hourly
rates in the user's cost data, and within a family the normalisation-factor proportion of on-demand
prices (algorithms.md §3.3: p_new = p_cur x NF_new / NF_cur)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pandas as pd

from analytics.rightsizing.shapes import PROVIDERS, Shapes

SHEET_COLUMNS = ("provider", "instance_type", "price_per_hour")  # optional: region
FROM_SHEET = "price sheet"
FROM_DATA = "your cost data"
FROM_FAMILY = "family proportion"


class PriceSheetError(ValueError):
    """The price sheet is unusable; the message names the file, line and field."""


def load_price_sheet(source: Path | str | IO[bytes], shapes: Shapes, name: str | None = None) -> pd.DataFrame:
    """A CSV with provider (aws|azure|gcp), instance_type, price_per_hour and optionally region
    (blank: every region). Columns provider, region, instance_type, sheet_price."""
    path = name or str(source)
    try:
        sheet = pd.read_csv(source, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise PriceSheetError(f"{path}: cannot read ({exc})") from exc
    missing = [c for c in SHEET_COLUMNS if c not in sheet.columns]
    if missing:
        raise PriceSheetError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(SHEET_COLUMNS)}")
    if "region" not in sheet.columns:
        sheet["region"] = ""
    prices = pd.to_numeric(sheet["price_per_hour"], errors="coerce")
    columns = zip(sheet["provider"], sheet["instance_type"], sheet["price_per_hour"], strict=True)
    for i, (provider, instance_type, text) in enumerate(columns):
        line = i + 2
        if provider not in PROVIDERS:
            raise PriceSheetError(f"{path}: line {line}, field provider: {provider!r} is not one of aws, azure, gcp")
        if pd.isna(prices.iloc[i]) or prices.iloc[i] <= 0:
            raise PriceSheetError(f"{path}: line {line}, field price_per_hour: {text!r} is not a price")
        if shapes.match(str(provider), [str(instance_type)]) is None:
            raise PriceSheetError(
                f"{path}: line {line}, field instance_type: {instance_type!r} is not in the shapes catalogue"
            )
    types = [shapes.match(str(p), [str(t)]) for p, t in zip(sheet["provider"], sheet["instance_type"], strict=True)]
    return pd.DataFrame(
        {
            "provider": sheet["provider"],
            "region": sheet["region"].str.strip(),
            "instance_type": types,
            "sheet_price": prices.astype(float),
        }
    )


def data_prices(facts: pd.DataFrame, shapes: Shapes) -> pd.DataFrame:
    """Per provider, region and instance type of every family the data runs there: the observed
    on-demand hourly rate, or the family's best-observed type scaled by normalisation factor."""
    known = facts.dropna(subset=["instance_type", "list_rate"])
    if known.empty:
        return pd.DataFrame(columns=["provider", "region", "instance_type", "od_price", "price_source"])
    weighted = known.assign(list_cost=known["list_rate"] * known["running_hours"])
    observed = weighted.groupby(["provider", "region", "instance_type"], as_index=False)[
        ["list_cost", "running_hours"]
    ].sum()
    observed["observed"] = observed["list_cost"] / observed["running_hours"]
    table = shapes.table[["provider", "family", "instance_type", "normalization_factor"]]
    observed = observed.merge(table, on=["provider", "instance_type"])
    anchor = observed.sort_values("running_hours", ascending=False).drop_duplicates(["provider", "region", "family"])
    anchor = anchor.assign(per_nf=anchor["observed"] / anchor["normalization_factor"])
    ladder = anchor[["provider", "region", "family", "per_nf"]].merge(table, on=["provider", "family"])
    ladder = ladder.merge(
        observed[["provider", "region", "instance_type", "observed"]],
        on=["provider", "region", "instance_type"],
        how="left",
    )
    ladder["od_price"] = ladder["observed"].fillna(ladder["per_nf"] * ladder["normalization_factor"])
    ladder["price_source"] = ladder["observed"].notna().map({True: FROM_DATA, False: FROM_FAMILY})
    return ladder[["provider", "region", "instance_type", "od_price", "price_source"]]


def sheet_for_regions(sheet: pd.DataFrame | None, regions: pd.DataFrame) -> pd.DataFrame:
    """The sheet's price per provider, region and type, a region-specific row beating a blank one."""
    columns = ["provider", "region", "instance_type", "sheet_price"]
    if sheet is None or sheet.empty:
        return pd.DataFrame(columns=columns)
    specific = sheet[sheet["region"] != ""]
    generic = sheet[sheet["region"] == ""].drop(columns="region").merge(regions, on="provider")
    both = pd.concat([specific[columns], generic[columns]], ignore_index=True)
    return both.drop_duplicates(["provider", "region", "instance_type"], keep="first")
