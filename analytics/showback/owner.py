"""One owner's sheet: top services, top resources, tag coverage of its spend, and its daily trend
as a native Excel line chart."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from openpyxl.chart import LineChart, Reference
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from analytics.queries import COST, SHARED
from analytics.showback.cents import allocate_to, cents
from analytics.showback.data import OWNER, PackData
from analytics.showback.figures import OwnerRow
from analytics.showback.safe import set_text
from analytics.showback.words import owner_label
from analytics.showback.xl import BOLD, Column, TableNames, finish, new_sheet, title, write_table

TOP_SERVICES = 15


def _penny(amounts: pd.Series, target: Decimal) -> list[Decimal]:
    return allocate_to([float(v) for v in amounts], target)


def _block(ws: Worksheet, row: int, text: str) -> int:
    cell = ws.cell(row=row, column=1)
    set_text(cell, text)
    cell.font = BOLD
    return row + 1


def owner_sheet(wb: Workbook, data: PackData, names: TableNames, row: OwnerRow, sheet: str) -> None:
    """`row` is an owner's Summary line (not the no-owner line: that is the Unallocated sheet)."""
    request = data.request
    ws = new_sheet(wb, sheet)

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
    top = _block(ws, top, "Top services")
    columns = [
        Column("Service", width=36),
        Column("Direct cost", "money", 16),
        Column("Shared cost received", "money", 16),
        Column("Total", "money", 16),
    ]
    _, last = write_table(ws, top, columns, values, names, f"{tag}_services", request.currency)

    top = _block(ws, max(last, top + 1) + 2, "Top resources")
    resources = data.resources[mine(data.resources[OWNER])]
    values = [
        [owner_label(r["ResourceId"]) if r["ResourceId"] is not None else "", owner_label(r["ResourceName"]), amount]
        for r, amount in zip(resources.to_dict("records"), _penny(resources[COST], row.total), strict=True)
    ]
    columns = [Column("Resource id", width=36), Column("Resource name", width=16), Column("Cost", "money", 16)]
    _, last = write_table(ws, top, columns, values, names, f"{tag}_resources", request.currency)

    top = _block(ws, max(last, top + 1) + 2, "Tag coverage of this owner's spend (after allocation)")
    coverage = data.coverage[mine(data.coverage[OWNER])].sort_values("tagged", ascending=False, kind="stable")
    values = [
        [c["key"], min(cents(c["tagged"]), row.total), row.total, c["tagged"] / c["total"] if c["total"] else None]
        for c in coverage.to_dict("records")
    ]
    columns = [
        Column("Tag key", width=36),
        Column("Spend carrying the key", "money", 16),
        Column("Owner's spend", "money", 16),
        Column("Coverage", "percent", 16),
    ]
    _, last = write_table(ws, top, columns, values, names, f"{tag}_coverage", request.currency)

    top = _block(ws, max(last, top + 1) + 2, "Daily trend")
    daily = data.daily[mine(data.daily[OWNER])].groupby("day", as_index=False)[[COST]].sum().sort_values("day")
    values = [
        [d["day"], amount] for d, amount in zip(daily.to_dict("records"), _penny(daily[COST], row.total), strict=True)
    ]
    columns = [Column("Day (UTC)", "date", 14), Column("Cost", "money", 16)]
    first, last = write_table(ws, top, columns, values, names, f"{tag}_daily", request.currency)
    if last >= first:
        chart = LineChart()
        chart.title = "Daily cost"
        chart.y_axis.title = request.currency
        chart.y_axis.numFmt = "#,##0"
        chart.x_axis.number_format = "yyyy-mm-dd"
        chart.height, chart.width = 8, 22
        chart.legend = None
        chart.add_data(Reference(ws, min_col=2, min_row=top, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        ws.add_chart(chart, f"F{top}")
    finish(ws, "A3")
