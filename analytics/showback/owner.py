"""One owner's sheet: top services, top resources, tag coverage of its spend, and its daily trend
as a native Excel line chart."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from analytics.queries import COST, SHARED
from analytics.showback.cents import allocate_to, cents
from analytics.showback.data import OWNER, PackData
from analytics.showback.figures import OwnerRow
from analytics.showback.grid import LineChart, Sheet
from analytics.showback.words import owner_label
from analytics.showback.xl import BOLD, ID_CAP, Column, TableNames, finish, title, write_table

TOP_SERVICES = 15


def _penny(amounts: pd.Series, target: Decimal) -> list[Decimal]:
    return allocate_to([float(v) for v in amounts], target)


def _block(ws: Sheet, row: int, text: str) -> int:
    ws.text(row, 1, text, BOLD)
    return row + 1


def owner_sheet(book: list[Sheet], data: PackData, names: TableNames, row: OwnerRow, sheet: str) -> None:
    """`row` is an owner's Summary line (not the no-owner line: that is the Unallocated sheet)."""
    request = data.request
    ws = Sheet(sheet)
    book.append(ws)

    def mine(values: pd.Series) -> pd.Series:
        return values.map(lambda v: v == row.owner).astype(bool)

    top = (
        title(
            ws,
            f"{request.owner} = {row.label} — {request.title}",
            [
                f"Total {row.total:,.2f} {request.currency} ({request.metric.label}): direct {row.direct:,.2f}, "
                f"shared cost received {row.shared:,.2f}.",
                "The lines of each table are rounded to the cent so that they add up to this total (the largest "
                "remainders take the cents).",
            ],
            across=4,
        )
        + 1
    )
    tag = f"Owner_{row.label}"

    services = data.by_service[mine(data.by_service[OWNER])].sort_values(COST, ascending=False, kind="stable")
    totals, shared = _penny(services[COST], row.total), _penny(services[SHARED], row.shared)
    values: list[list[object]] = [
        [owner_label(s["ServiceName"]), t - sh, sh, t]
        for s, t, sh in zip(services.to_dict("records"), totals, shared, strict=True)
    ][:TOP_SERVICES]
    if len(services) > TOP_SERVICES:
        rest_total, rest_shared = sum(totals[TOP_SERVICES:], Decimal(0)), sum(shared[TOP_SERVICES:], Decimal(0))
        values.append(
            [f"all other services ({len(services) - TOP_SERVICES})", rest_total - rest_shared, rest_shared, rest_total]
        )
    chart_row = top  # the trend's chart sits beside the first table, where a reader starts
    top = _block(ws, top, "Top services")
    columns = [
        Column("Service", cap=ID_CAP),
        Column("Direct cost", "money"),
        Column("Shared cost received", "money"),
        Column("Total", "money"),
    ]
    _, last = write_table(ws, top, columns, values, names, f"{tag}_services", request.currency)

    top = _block(ws, max(last, top + 1) + 2, "Top resources")
    resources = data.resources[mine(data.resources[OWNER])]
    values = [
        [owner_label(r["ResourceId"]) if r["ResourceId"] is not None else "", owner_label(r["ResourceName"]), amount]
        for r, amount in zip(resources.to_dict("records"), _penny(resources[COST], row.total), strict=True)
    ]
    columns = [Column("Resource id", cap=ID_CAP), Column("Resource name", cap=30), Column("Cost", "money")]
    _, last = write_table(ws, top, columns, values, names, f"{tag}_resources", request.currency)

    top = _block(ws, max(last, top + 1) + 2, "Tag coverage of this owner's spend (after allocation)")
    coverage = data.coverage[mine(data.coverage[OWNER])].sort_values("tagged", ascending=False, kind="stable")
    values = [
        [c["key"], min(cents(c["tagged"]), row.total), row.total, c["tagged"] / c["total"] if c["total"] else None]
        for c in coverage.to_dict("records")
    ]
    columns = [
        Column("Tag key"),
        Column("Spend carrying the key", "money"),
        Column("Owner's spend", "money"),
        Column("Coverage", "percent"),
    ]
    _, last = write_table(ws, top, columns, values, names, f"{tag}_coverage", request.currency)

    top = _block(ws, max(last, top + 1) + 2, "Daily trend")
    daily = data.daily[mine(data.daily[OWNER])].groupby("day", as_index=False)[[COST]].sum().sort_values("day")
    values = [
        [d["day"], amount] for d, amount in zip(daily.to_dict("records"), _penny(daily[COST], row.total), strict=True)
    ]
    columns = [Column("Day (UTC)", "date"), Column("Cost", "money")]
    first, last = write_table(ws, top, columns, values, names, f"{tag}_daily", request.currency)
    if last >= first:
        ws.charts.append(LineChart("Daily cost", request.currency, top, first, last, 1, 2, chart_row, 6))
    finish(ws, "A3")
