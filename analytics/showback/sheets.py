"""The pack's overview sheets: Cover, Summary, By service, Shared costs, Unallocated, Reconciliation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from analytics.queries import COST, SHARED
from analytics.showback.cents import cents
from analytics.showback.data import OWNER, PackData
from analytics.showback.figures import OwnerRow, recon_rows
from analytics.showback.safe import set_text
from analytics.showback.words import BASIS, NO_OWNER, owner_label, pool_rule
from analytics.showback.xl import (
    BOLD,
    NOTE,
    PERCENT,
    Column,
    TableNames,
    finish,
    money_format,
    new_sheet,
    title,
    write_table,
)

SUMMARY = "Summary"
WRAP = Alignment(wrap_text=True, vertical="top")


def cover(wb: Workbook, data: PackData, names: TableNames, generated_at: dt.datetime, subject: str = "") -> None:
    request = data.request
    ws = new_sheet(wb, "Cover")
    row = title(ws, f"Showback pack — {request.title}{subject}")
    first, last = data.data_span
    partial = "" if last >= request.end and first <= request.first else " (partial: not every day has data)"
    rates = "; ".join(
        f"1 {r['currency']} = {r['per_unit']:.6g} {request.currency} (rate from {r['rate_date']})"
        for r in data.rates.to_dict("records")
    )
    facts: list[tuple[str, Any]] = [
        ("Period", f"{request.first} to {request.end} (whole UTC days){partial}"),
        ("Data covers", f"{first} to {last}"),
        ("Owner dimension", request.owner),
        ("Cost basis", BASIS[request.metric]),
        ("Reporting currency", request.currency),
        ("FX rates used", rates or f"none: all spend is billed in {request.currency}"),
        ("Allocation rules fingerprint", data.rules_fingerprint),
        ("Data fingerprint", data.data_fingerprint),
        ("Generated at (UTC)", generated_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("Providers", ", ".join(sorted({p for ps in data.sources["providers"] for p in str(ps).split(", ")}))),
        ("Source files", f"{data.sources['source'].nunique():,}"),
        ("Line items", f"{int(data.sources['rows'].sum()):,}"),
    ]
    row += 1
    for label, value in facts:
        set_text(ws.cell(row=row, column=1), label)
        ws.cell(row=row, column=1).font = BOLD
        set_text(ws.cell(row=row, column=2), value)
        row += 1
    row += 1
    set_text(ws.cell(row=row, column=1), "Sources (line items as loaded, in the billing currency)")
    ws.cell(row=row, column=1).font = BOLD
    columns = [
        Column("Source", width=28),
        Column("Format", width=12),
        Column("Providers", width=18),
        Column("Billing period", width=14),
        Column("Currency", width=10),
        Column("Line items", "integer", 12),
        Column("Billed cost", "money", 18),
        Column("Effective cost", "money", 18),
    ]
    rows = []
    for s in data.sources.to_dict("records"):
        rows.append(
            [
                s["source"],
                s["format"],
                s["providers"],
                s["billing_period"],
                s["currency"],
                int(s["rows"]),
                cents(Decimal(s["billed"])),
                cents(Decimal(s["effective"])),
            ]
        )
    first_row, last_row = write_table(ws, row + 1, columns, rows, names, "Sources", request.currency)
    for r, s in zip(range(first_row, last_row + 1), data.sources.to_dict("records"), strict=False):
        for col in (7, 8):
            ws.cell(row=r, column=col).number_format = _money(s["currency"])
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width or 0, 60)
    for r in range(2, 2 + len(facts) + 1):
        ws.cell(row=r, column=2).alignment = WRAP
    finish(ws, "A2")


def _money(currency: str) -> str:
    return money_format(currency)


SUMMARY_COLUMNS = (
    Column("Owner", width=30),
    Column("Direct cost", "money", 16),
    Column("Shared cost received", "money", 16),
    Column("Total", "money", 16),
    Column("Previous period", "money", 16),
    Column("Change", "money", 14),
    Column("Change %", "percent", 10),
    Column("Budget", "money", 14),
    Column("Variance (total − budget)", "money", 16),
)
SUMMED = (2, 3, 4, 5, 6, 8, 9)  # columns whose total row is a SUM


def summary(wb: Workbook, data: PackData, names: TableNames, rows: list[OwnerRow], with_sheet: int) -> None:
    """`with_sheet`: how many of the owners (the largest) have a sheet of their own."""
    request = data.request
    ws = new_sheet(wb, SUMMARY)
    previous = request.previous
    owners = sum(1 for r in rows if r.is_owner)
    sheets_note = (
        "Each owner has a sheet of its own."
        if with_sheet >= owners
        else f"The {with_sheet:,} largest of the {owners:,} owners have a sheet of their own; all are in this table."
    )
    top = (
        title(
            ws,
            f"Summary by {request.owner} — {request.title}",
            [
                f"{request.metric.label} in {request.currency}. Previous period: {previous.label}. Budgets from "
                f"the budgets table for {request.owner}, shown where every month has one. A variance above zero "
                "is over budget.",
                "Each line is rounded to the cent so that the lines add up to the rounded total. " + sheets_note,
            ],
        )
        + 1
    )
    columns, extra = _unit_columns(data)
    values = [
        [r.label, r.direct, r.shared, r.total, r.previous, r.change, r.change_ratio, r.budget, r.variance, *extra(r)]
        for r in rows
    ]
    first, last = write_table(ws, top, columns, values, names, "Summary", request.currency, reserve=1)
    total = last + 1
    set_text(ws.cell(row=total, column=1), "Total")
    for col, column in enumerate(columns, start=1):
        cell = ws.cell(row=total, column=col)
        cell.font = BOLD
        letter = get_column_letter(col)
        if col in SUMMED:
            cell.value = f"=SUM({letter}{first}:{letter}{last})"
            cell.number_format = _money(request.currency)
        elif column.kind == "percent":
            cell.value = f'=IF(E{total}=0,"",F{total}/ABS(E{total}))'
            cell.number_format = PERCENT
    finish(ws, f"B{top + 1}", top)


def _unit_columns(data: PackData) -> tuple[tuple[Column, ...], Callable[[OwnerRow], list[object]]]:
    """The Summary's columns, with a volume and a unit cost per business metric that has values per
    owner of this owner dimension (unit cost = total / volume; empty where a day has no value)."""
    metrics = sorted(set(data.unit_values["metric"]))
    volumes: dict[tuple[object, str], float] = {
        (owner, str(metric)): float(value)
        for owner, metric, value in zip(
            data.unit_values[OWNER], data.unit_values["metric"], data.unit_values["value"], strict=True
        )
    }
    columns = list(SUMMARY_COLUMNS)
    for metric in metrics:
        columns += [Column(f"{metric} (volume)", "integer", 14), Column(f"Cost per {metric}", "unit", 14)]

    def extra(row: OwnerRow) -> list[object]:
        out: list[object] = []
        for metric in metrics:
            volume = float(volumes.get((row.owner, metric), float("nan"))) if row.is_owner else float("nan")
            out += [volume, float(row.total) / volume if volume > 0 else None]
        return out

    return tuple(columns), extra


def by_service(wb: Workbook, data: PackData, names: TableNames, rows: list[OwnerRow]) -> None:
    request = data.request
    ws = new_sheet(wb, "By service")
    top = (
        title(
            ws, f"{request.owner} × ServiceName — {request.title}", [f"{request.metric.label} in {request.currency}."]
        )
        + 1
    )
    frame = data.by_service.copy()
    none = data.is_unowned(frame[OWNER])
    order = {r.owner: i for i, r in enumerate(rows) if r.is_owner}
    frame["rank"] = [len(order) if n else order.get(o, len(order)) for o, n in zip(frame[OWNER], none, strict=True)]
    frame["label"] = [NO_OWNER if n else owner_label(o) for o, n in zip(frame[OWNER], none, strict=True)]
    frame = frame.groupby(["rank", "label", "ServiceName"], dropna=False, as_index=False)[[COST, SHARED]].sum()
    frame = frame.sort_values(["rank", COST], ascending=[True, False], kind="stable")
    columns = [
        Column("Owner", width=30),
        Column("Service", width=36),
        Column("Direct cost", "money", 16),
        Column("Shared cost received", "money", 16),
        Column("Total", "money", 16),
    ]
    values = [
        [r["label"], owner_label(r["ServiceName"]), cents(r[COST]) - cents(r[SHARED]), cents(r[SHARED]), cents(r[COST])]
        for r in frame.to_dict("records")
    ]
    write_table(ws, top, columns, values, names, "ByService", request.currency)
    finish(ws, f"A{top + 1}", top)


def shared_costs(wb: Workbook, data: PackData, names: TableNames, only: object = ...) -> None:
    """Each pool, its rule in words, and what each owner received (`only`: one owner's lines)."""
    request = data.request
    ws = new_sheet(wb, "Shared costs")
    notes = [f"Allocation rules fingerprint {data.rules_fingerprint}. {request.metric.label} in {request.currency}."]
    if not data.pools:
        notes.append("The allocation rules define no shared-cost pools: every cost stays with the row it is on.")
    top = title(ws, f"Shared costs — {request.title}", notes) + 1
    totals = data.pool_totals.set_index("pool")
    pools = []
    for pool in data.pools:
        total = float(totals["total"].get(pool.name, 0.0)) if not totals.empty else 0.0
        distributed = float(totals["distributed"].get(pool.name, 0.0)) if not totals.empty else 0.0
        pools.append(
            [
                pool.name,
                pool_rule(pool),
                pool.to,
                pool.split,
                cents(total),
                cents(distributed),
                cents(total) - cents(distributed),
            ]
        )
    columns = [
        Column("Pool", width=18),
        Column("Rule", width=70),
        Column("Split to", width=22),
        Column("Split", width=14),
        Column("Pool total", "money", 16),
        Column("Distributed", "money", 16),
        Column("Not distributed (no owner spend that month)", "money", 20),
    ]
    _, last = write_table(ws, top, columns, pools, names, "Pools", request.currency)
    for r in range(top + 1, last + 1):
        ws.cell(row=r, column=2).alignment = WRAP
    top = max(last, top + 1) + 3
    set_text(ws.cell(row=top - 1, column=1), f"What each value of {request.owner} received")
    ws.cell(row=top - 1, column=1).font = BOLD
    frame = data.shared
    if only is not ...:
        frame = frame[frame[OWNER].map(lambda v: v == only).astype(bool)]
    frame = frame.sort_values(["pool", "received"], ascending=[True, False], kind="stable")
    pool_total = dict(zip(data.pool_totals["pool"], data.pool_totals["distributed"], strict=True))
    received = [
        [
            r["pool"],
            owner_label(r[OWNER]),
            cents(r["received"]),
            r["received"] / pool_total[r["pool"]] if pool_total.get(r["pool"]) else None,
        ]
        for r in frame.to_dict("records")
    ]
    columns = [
        Column("Pool", width=18),
        Column("Owner", width=30),
        Column("Received", "money", 16),
        Column("Share of the pool", "percent", 12),
    ]
    write_table(ws, top, columns, received, names, "SharedReceived", request.currency)
    finish(ws, "A2")


def unallocated(wb: Workbook, data: PackData, names: TableNames) -> None:
    request = data.request
    ws = new_sheet(wb, "Unallocated")
    none_values = ", ".join(owner_label(v) for v in data.unowned)
    frame = data.by_service[data.is_unowned(data.by_service[OWNER])]
    total = cents(float(frame[COST].sum()))
    top = (
        title(
            ws,
            f"Unallocated — spend with no owner in {request.owner}, {request.title}",
            [
                f"Values meaning no owner: {none_values}. Total {total:,.2f} {request.currency} "
                f"({request.metric.label}).",
            ],
        )
        + 1
    )
    services = (
        frame.groupby("ServiceName", dropna=False, as_index=False)[[COST]].sum().sort_values(COST, ascending=False)
    )
    columns = [Column("Service", width=36), Column("Cost", "money", 16)]
    values = [[owner_label(r["ServiceName"]), cents(r[COST])] for r in services.to_dict("records")]
    _, last = write_table(ws, top, columns, values, names, "UnallocatedServices", request.currency)
    top = max(last, top + 1) + 3
    set_text(ws.cell(row=top - 1, column=1), "Top resources with no owner")
    ws.cell(row=top - 1, column=1).font = BOLD
    res = data.resources[data.is_unowned(data.resources[OWNER])]
    res = res.groupby(["ResourceId", "ResourceName"], dropna=False, as_index=False)[[COST]].sum()
    res = res.sort_values([COST], ascending=False, kind="stable")
    columns = [Column("Resource id", width=48), Column("Resource name", width=30), Column("Cost", "money", 16)]
    values = [
        [owner_label(r["ResourceId"]), owner_label(r["ResourceName"]), cents(r[COST])] for r in res.to_dict("records")
    ]
    write_table(ws, top, columns, values, names, "UnallocatedResources", request.currency)
    finish(ws, "A2")


RECON_COLUMNS = (
    Column("Currency", width=10),
    Column("Line", width=34),
    Column("Source total (line items as loaded)", "money", 20),
    Column("Owners' direct cost", "money", 18),
    Column("Shared costs distributed to owners", "money", 18),
    Column("Unallocated (no owner)", "money", 18),
    Column("Difference", "money", 14),
    Column("Check (formula)", "formula", 14),
)


def reconciliation(wb: Workbook, data: PackData, names: TableNames) -> None:
    request = data.request
    ws = new_sheet(wb, "Reconciliation")
    top = (
        title(
            ws,
            f"Reconciliation — {request.title}",
            [
                "Source total = owners' direct + shared distributed + unallocated, per billing currency "
                f"({request.metric.label}).",
                "The difference is computed on the unrounded amounts; the check column recomputes it from the cells.",
            ],
        )
        + 1
    )
    rows = recon_rows(data)
    values: list[list[Any]] = []
    for i, r in enumerate(rows):
        line = top + 1 + i
        check = f"=ROUND(C{line}-D{line}-E{line}-F{line},2)"
        values.append([r.currency, r.label, r.source, r.direct, r.shared, r.unallocated, r.difference, check])
    first, last = write_table(ws, top, RECON_COLUMNS, values, names, "Reconciliation", request.currency)
    for line, r in zip(range(first, last + 1), rows, strict=True):
        for col in range(3, 9):
            ws.cell(row=line, column=col).number_format = _money(r.currency)
    ws.cell(row=last + 2, column=1).font = NOTE
    ok = all(r.difference == 0 for r in rows)
    set_text(
        ws.cell(row=last + 2, column=1),
        "Ties out: every difference is 0.00." if ok else "DOES NOT TIE OUT: see the differences above.",
    )
    ws.cell(row=last + 2, column=1).font = Font(bold=True, color="1E7B34" if ok else "C00000")
    finish(ws, f"A{top + 1}", top)
