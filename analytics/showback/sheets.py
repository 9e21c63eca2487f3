"""The pack's overview sheets: Cover, Summary, By service, Shared costs, Unallocated, Reconciliation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from analytics.queries import COST, SHARED
from analytics.showback.cents import allocate_to, cents
from analytics.showback.data import OWNER, PackData
from analytics.showback.figures import OwnerRow, owner_rows, recon_rows
from analytics.showback.grid import Sheet, Span, Style
from analytics.showback.words import BASIS, NO_OWNER, owner_label, pool_rule
from analytics.showback.xl import (
    BOLD,
    ID_CAP,
    PERCENT,
    WRAP,
    Column,
    Formula,
    TableNames,
    finish,
    money_format,
    title,
    write_table,
)
from analytics.source_names import shown_file

Book = list[Sheet]

SUMMARY = "Summary"
PENNY_NOTE = (
    "An owner's lines are rounded to the cent so that they add up to its line on the Summary (the "
    "largest remainders take the cents)."
)


def new_sheet(book: Book, name: str) -> Sheet:
    ws = Sheet(name)
    book.append(ws)
    return ws


def cover(
    book: Book, data: PackData, names: TableNames, generated_at: dt.datetime, subject: str = "", only: object = ...
) -> None:
    """`only`: one owner's workbook, whose Sources table lists that owner's part of each source."""
    request = data.request
    ws = new_sheet(book, "Cover")
    row = title(ws, f"Showback pack — {request.title}{subject}")
    first, last = data.data_span
    partial = "" if last >= request.end and first <= request.first else " (partial: not every day has data)"
    rates = "; ".join(
        f"1 {r['currency']} = {r['per_unit']:.6g} {request.currency} (rate from {r['rate_date']})"
        for r in data.rates.to_dict("records")
    )
    mine = _owner_sources(data, only) if only is not ... else None
    files = data.sources["source"].nunique() if mine is None else len(mine)
    sources = data.sources if mine is None else data.sources[data.sources["source"].isin([m[0] for m in mine])]
    facts: list[tuple[str, Any]] = [
        ("Period", f"{request.first} to {request.end} (whole UTC days){partial}"),
        ("Data covers", f"{first} to {last}"),
        *([("Scope", f"{request.scope} (the pack holds only this part of the spend)")] if request.scope else []),
        ("Owner dimension", request.owner),
        ("Cost basis", BASIS[request.metric]),
        ("Reporting currency", request.currency),
        ("FX rates used", rates or f"none: all spend is billed in {request.currency}"),
        ("Allocation rules fingerprint", data.rules_fingerprint),
        ("Data fingerprint", data.data_fingerprint),
        ("Generated at (UTC)", generated_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("Providers", ", ".join(sorted({p for ps in sources["providers"] for p in str(ps).split(", ")}))),
        ("Source files", f"{files:,}"),
    ]
    if mine is None:
        facts.append(("Line items", f"{int(data.sources['rows'].sum()):,}"))
    row += 1
    for label, value in facts:
        ws.text(row, 1, label, BOLD)
        ws.text(row, 2, value, WRAP)
        # Merged over the Sources table's width, so a paragraph (the cost basis) wraps inside it.
        ws.spans.append(Span(row, 2, 5 if mine is not None else 8))
        row += 1
    row += 1
    if mine is not None:
        ws.text(
            row, 1, f"Sources: this owner's part ({request.metric.label} in {request.currency}, after allocation)", BOLD
        )
        columns = [
            Column("Source", cap=ID_CAP),
            Column("Format"),
            Column("Direct cost", "money"),
            Column("Shared cost received", "money"),
            Column("Total", "money"),
        ]
        shown = [[shown_file(m[0]), *m[1:]] for m in mine]
        write_table(ws, row + 1, columns, shown, names, "Sources", request.currency)
        finish(ws, "A2")
        return
    ws.text(row, 1, "Sources (line items as loaded, in the billing currency)", BOLD)
    columns = [
        Column("Source", cap=ID_CAP),
        Column("Format"),
        Column("Providers"),
        Column("Billing period"),
        Column("Currency"),
        Column("Line items", "integer"),
        Column("Billed cost", "money"),
        Column("Effective cost", "money"),
    ]
    rows = []
    for s in data.sources.to_dict("records"):
        rows.append(
            [
                shown_file(s["source"]),  # an upload by its own name, not the server's temp folder
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
            ws.restyle(r, col, number_format=_money(s["currency"]))
    finish(ws, "A2")


def _owner_sources(data: PackData, owner: object) -> list[list[Any]]:
    """One owner's part of each source file, rounded so that it adds up to its Summary line."""
    rows = owner_rows(data)
    line = next(r for r in rows if r.is_owner and r.owner == owner)
    frame = data.by_source[data.by_source[OWNER].map(lambda v: v == owner).astype(bool)]
    frame = frame.sort_values("source", kind="stable")
    formats = dict(zip(data.sources["source"], data.sources["format"], strict=True))
    totals, shared = _penny(frame[COST], line.total), _penny(frame[SHARED], line.shared)
    return [
        [s["source"], formats.get(s["source"], ""), t - sh, sh, t]
        for s, t, sh in zip(frame.to_dict("records"), totals, shared, strict=True)
    ]


def _money(currency: str) -> str:
    return money_format(currency)


def _penny(amounts: pd.Series, target: Decimal) -> list[Decimal]:
    return allocate_to([float(v) for v in amounts], target)


SUMMARY_COLUMNS = (
    Column("Owner", cap=ID_CAP),
    Column("Direct cost", "money"),
    Column("Shared cost received", "money"),
    Column("Total", "money"),
    Column("Previous period", "money"),
    Column("Change", "money"),
    Column("Change %", "percent"),
)
BUDGET_COLUMNS = (Column("Budget", "money"), Column("Variance (total − budget)", "money"))


def has_budgets(data: PackData) -> bool:
    """Budgets exist for the pack's owner dimension in its months (for at least one owner)."""
    return bool(data.owners["budget"].notna().any()) if "budget" in data.owners else False


def no_budget_note(owner_dimension: str) -> str:
    return (
        f"No budgets for {owner_dimension} in these months, so the Budget and Variance columns are left out. "
        f"To add them, put rows for {owner_dimension} in data/budgets.csv (owner_dimension,owner,month,amount,"
        "currency) or edit the budgets on the Forecast page."
    )


def summary(book: Book, data: PackData, names: TableNames, rows: list[OwnerRow], with_sheet: int) -> None:
    """`with_sheet`: how many of the owners (the largest) have a sheet of their own."""
    request = data.request
    ws = new_sheet(book, SUMMARY)
    previous = request.previous
    owners = sum(1 for r in rows if r.is_owner)
    sheets_note = (
        "Each owner has a sheet of its own."
        if with_sheet >= owners
        else f"The {with_sheet:,} largest of the {owners:,} owners have a sheet of their own; all are in this table."
    )
    budgets = has_budgets(data)
    budget_note = (
        f"Budgets from the budgets table for {request.owner}, shown where every month has one. A variance above "
        "zero is over budget."
        if budgets
        else no_budget_note(request.owner)
    )
    columns, extra = _unit_columns(data, budgets)
    top = (
        title(
            ws,
            f"Summary by {request.owner} — {request.title}",
            [
                f"{request.metric.label} in {request.currency}. Previous period: {previous.label}. {budget_note}",
                "Each line is rounded half-up to the cent on its own, as the query layer shows it (direct = total "
                "− shared); the Rounding line is the source total rounded once less those lines, so the total row "
                "is the Reconciliation's source total. " + sheets_note,
            ],
            across=len(columns),
        )
        + 1
    )
    values = []
    for r in rows:
        line: list[object] = [r.label, r.direct, r.shared, r.total, r.previous, r.change, r.change_ratio]
        values.append(line + ([r.budget, r.variance] if budgets else []) + extra(r))
    first, last = write_table(ws, top, columns, values, names, "Summary", request.currency, reserve=1)
    total = last + 1
    ws.text(total, 1, "Total", BOLD)
    money = Style(bold=True, number_format=_money(request.currency))
    for col, column in enumerate(columns, start=1):
        letter = xl_col_to_name(col - 1)
        if column.kind == "money":
            ws.formula(total, col, f"=SUM({letter}{first}:{letter}{last})", ws.total(col, first, last), money)
        elif column.kind == "percent":
            before, change = ws.total(5, first, last), ws.total(6, first, last)
            value = "" if before == 0 else float(change / abs(before))
            formula = f'=IF(E{total}=0,"",F{total}/ABS(E{total}))'
            ws.formula(total, col, formula, value, Style(bold=True, number_format=PERCENT))
    finish(ws, f"B{top + 1}", top)


def _unit_columns(data: PackData, budgets: bool) -> tuple[tuple[Column, ...], Callable[[OwnerRow], list[object]]]:
    """The Summary's columns, with a volume and a unit cost per business metric that has values per
    owner of this owner dimension (unit cost = total / volume; empty where a day has no value)."""
    metrics = sorted(set(data.unit_values["metric"]))
    volumes: dict[tuple[object, str], float] = {
        (owner, str(metric)): float(value)
        for owner, metric, value in zip(
            data.unit_values[OWNER], data.unit_values["metric"], data.unit_values["value"], strict=True
        )
    }
    columns = list(SUMMARY_COLUMNS) + (list(BUDGET_COLUMNS) if budgets else [])
    for metric in metrics:
        columns += [Column(f"{metric} (volume)", "integer"), Column(f"Cost per {metric}", "unit")]

    def extra(row: OwnerRow) -> list[object]:
        out: list[object] = []
        for metric in metrics:
            volume = float(volumes.get((row.owner, metric), float("nan"))) if row.is_owner else float("nan")
            out += [volume, float(row.total) / volume if volume > 0 else None]
        return out

    return tuple(columns), extra


def by_service(book: Book, data: PackData, names: TableNames, rows: list[OwnerRow]) -> None:
    request = data.request
    ws = new_sheet(book, "By service")
    top = (
        title(
            ws,
            f"{request.owner} × ServiceName — {request.title}",
            [f"{request.metric.label} in {request.currency}. {PENNY_NOTE}"],
            across=5,
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
    lines = {i: r for i, r in enumerate(r for r in rows if r.is_owner)}
    no_owner = next((r for r in rows if not r.is_owner and not r.is_rounding), None)
    columns = [
        Column("Owner", cap=ID_CAP),
        Column("Service", cap=ID_CAP),
        Column("Direct cost", "money"),
        Column("Shared cost received", "money"),
        Column("Total", "money"),
    ]
    values: list[list[Any]] = []
    for rank, group in frame.groupby("rank", sort=True):
        row = lines.get(int(str(rank)), no_owner)
        if row is None:
            continue
        totals, shared = _penny(group[COST], row.total), _penny(group[SHARED], row.shared)
        for s, t, sh in zip(group.to_dict("records"), totals, shared, strict=True):
            values.append([s["label"], owner_label(s["ServiceName"]), t - sh, sh, t])
    values += [[r.label, "", r.direct, r.shared, r.total] for r in rows if r.is_rounding]
    write_table(ws, top, columns, values, names, "ByService", request.currency)
    finish(ws, f"A{top + 1}", top)


def shared_costs(book: Book, data: PackData, names: TableNames, rows: list[OwnerRow], only: object = ...) -> None:
    """Each pool, its rule in words, and what each owner received (`only`: one owner's lines). What an
    owner received from the pools adds up to its shared cost on the Summary, and a pool's distributed
    amount is what its owners received, so the sheet ties to the Summary's shared column."""
    request = data.request
    ws = new_sheet(book, "Shared costs")
    notes = [f"Allocation rules fingerprint {data.rules_fingerprint}. {request.metric.label} in {request.currency}."]
    if not data.pools:
        notes.append("The allocation rules define no shared-cost pools: every cost stays with the row it is on.")
    notes.append(
        "What an owner received is rounded so that it adds up to its shared cost on the Summary; a pool's "
        "rounding is the pool total rounded once less what was distributed and not distributed."
    )
    top = title(ws, f"Shared costs — {request.title}", notes, across=8) + 1
    received = _received(data, rows)
    distributed_cents = received.groupby("pool")["cents"].sum().to_dict() if not received.empty else {}
    totals = data.pool_totals.set_index("pool")
    pools = []
    for pool in data.pools:
        total = float(totals["total"].get(pool.name, 0.0)) if not totals.empty else 0.0
        distributed = float(totals["distributed"].get(pool.name, 0.0)) if not totals.empty else 0.0
        shown = distributed_cents.get(pool.name, Decimal("0.00"))
        kept = cents(total - distributed)
        rounding = cents(total) - shown - kept
        if request.scope and not cents(total):
            continue  # a pool this scope has no part of is none of its business
        pools.append(
            [pool.name, pool_rule(pool, bool(request.scope)), pool.to, pool.split, cents(total), shown, kept, rounding]
        )
    columns = [
        Column("Pool"),
        Column("Rule", cap=50),
        Column("Split to"),
        Column("Split"),
        Column("Pool total", "money"),
        Column("Distributed", "money"),
        Column("Not distributed (no owner spend that month)", "money"),
        Column("Rounding", "money"),
    ]
    _, last = write_table(ws, top, columns, pools, names, "Pools", request.currency)
    top = max(last, top + 1) + 3
    ws.text(top - 1, 1, f"What each value of {request.owner} received", BOLD)
    frame = received
    if only is not ...:
        frame = frame[frame[OWNER].map(lambda v: v == only).astype(bool)]
    frame = frame.sort_values(["pool", "received"], ascending=[True, False], kind="stable")
    pool_total = dict(zip(data.pool_totals["pool"], data.pool_totals["distributed"], strict=True))
    lines = [
        [
            r["pool"],
            owner_label(r[OWNER]),
            r["cents"],
            r["received"] / pool_total[r["pool"]] if pool_total.get(r["pool"]) else None,
        ]
        for r in frame.to_dict("records")
    ]
    columns = [
        Column("Pool"),
        Column("Owner", cap=ID_CAP),
        Column("Received", "money"),
        Column("Share of the pool", "percent"),
    ]
    write_table(ws, top, columns, lines, names, "SharedReceived", request.currency)
    finish(ws, "A2")


_NOBODY = object()  # the key of the owner values that mean no owner, as one group


def _received(data: PackData, rows: list[OwnerRow]) -> pd.DataFrame:
    """data.shared with a `cents` column: each owner's lines penny-allocated to its Summary shared
    cost (the owners with no owner together, to the no-owner line's)."""
    frame = data.shared.reset_index(drop=True)
    if frame.empty:
        return frame.assign(cents=pd.Series(dtype=object))
    target: dict[object, Decimal] = {r.owner: r.shared for r in rows if r.is_owner}
    no_owner = next((r.shared for r in rows if not r.is_owner and not r.is_rounding), Decimal("0.00"))
    none = data.is_unowned(frame[OWNER])
    groups: dict[object, list[int]] = {}
    for i, (owner, unowned) in enumerate(zip(frame[OWNER], none, strict=True)):
        groups.setdefault(_NOBODY if unowned else owner, []).append(i)
    allocated: list[Decimal] = [Decimal(0)] * len(frame)
    for owner, index in groups.items():
        amounts = frame.loc[index, "received"]
        wanted = no_owner if owner is _NOBODY else target.get(owner, cents(float(amounts.sum())))
        for i, amount in zip(index, _penny(amounts, wanted), strict=True):
            allocated[i] = amount
    return frame.assign(cents=pd.Series(allocated, index=frame.index, dtype=object))


def unallocated(book: Book, data: PackData, names: TableNames, rows: list[OwnerRow]) -> None:
    request = data.request
    ws = new_sheet(book, "Unallocated")
    none_values = ", ".join(owner_label(v) for v in data.unowned)
    frame = data.by_service[data.is_unowned(data.by_service[OWNER])]
    total = next((r.total for r in rows if not r.is_owner and not r.is_rounding), Decimal("0.00"))
    top = (
        title(
            ws,
            f"Unallocated — spend with no owner in {request.owner}, {request.title}",
            [
                f"Values meaning no owner: {none_values}. Total {total:,.2f} {request.currency} "
                f"({request.metric.label}), the no-owner line of the Summary. Each table's lines are rounded so "
                "that they add up to it.",
            ],
            across=3,
        )
        + 1
    )
    services = (
        frame.groupby("ServiceName", dropna=False, as_index=False)[[COST]].sum().sort_values(COST, ascending=False)
    )
    columns = [Column("Service", cap=ID_CAP), Column("Cost", "money")]
    values = [
        [owner_label(r["ServiceName"]), amount]
        for r, amount in zip(services.to_dict("records"), _penny(services[COST], total), strict=True)
    ]
    _, last = write_table(ws, top, columns, values, names, "UnallocatedServices", request.currency)
    top = max(last, top + 1) + 3
    ws.text(top - 1, 1, "Top resources with no owner", BOLD)
    res = data.resources[data.is_unowned(data.resources[OWNER])]
    res = res.groupby(["ResourceId", "ResourceName"], dropna=False, as_index=False)[[COST]].sum()
    res = res.sort_values([COST], ascending=False, kind="stable")
    columns = [Column("Resource id", cap=ID_CAP), Column("Resource name", cap=30), Column("Cost", "money")]
    values = [
        [owner_label(r["ResourceId"]), owner_label(r["ResourceName"]), amount]
        for r, amount in zip(res.to_dict("records"), _penny(res[COST], total), strict=True)
    ]
    write_table(ws, top, columns, values, names, "UnallocatedResources", request.currency)
    finish(ws, "A2")


RECON_COLUMNS = (
    Column("Currency"),
    Column("Line"),
    Column("Source total (line items as loaded)", "money"),
    Column("Owners' direct cost", "money"),
    Column("Shared costs distributed to owners", "money"),
    Column("Unallocated (no owner)", "money"),
    Column("Rounding (lines rounded one by one)", "money"),
    Column("Difference", "money"),
    Column("Check (formula)", "formula"),
)


def reconciliation(book: Book, data: PackData, names: TableNames) -> None:
    request = data.request
    ws = new_sheet(book, "Reconciliation")
    top = (
        title(
            ws,
            f"Reconciliation — {request.title}",
            [
                "Source total = owners' direct + shared distributed + unallocated, per billing currency "
                f"({request.metric.label}).",
                "Direct, shared and unallocated are the sums of the Summary's lines, each rounded to the cent on its "
                "own; Rounding is what that rounding leaves against the source total rounded once.",
                "The difference is computed on the unrounded amounts; the check column recomputes it from the cells.",
            ],
            across=len(RECON_COLUMNS),
        )
        + 1
    )
    rows = recon_rows(data)
    values: list[list[Any]] = []
    for i, r in enumerate(rows):
        line = top + 1 + i
        # Python's own result of the formula, stored with it.
        value = r.source - r.direct - r.shared - r.unallocated - r.rounding
        check = Formula(f"=ROUND(C{line}-D{line}-E{line}-F{line}-G{line},2)", value)
        values.append(
            [r.currency, r.label, r.source, r.direct, r.shared, r.unallocated, r.rounding, r.difference, check]
        )
    first, last = write_table(ws, top, RECON_COLUMNS, values, names, "Reconciliation", request.currency)
    for line, r in zip(range(first, last + 1), rows, strict=True):
        for col in range(3, 10):
            ws.restyle(line, col, number_format=_money(r.currency))
    ok = all(r.difference == 0 for r in rows)
    ws.text(
        last + 2,
        1,
        "Ties out: every difference is 0.00." if ok else "DOES NOT TIE OUT: see the differences above.",
        Style(bold=True, color="1E7B34" if ok else "C00000", fit=False),
    )
    finish(ws, f"A{top + 1}", top)
