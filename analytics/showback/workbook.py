"""Assembling packs: the consolidated workbook (Cover, Summary, By service, one sheet per owner,
Shared costs, Unallocated, Reconciliation) and one workbook per owner, as bytes or a zip."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator

from analytics.showback import owner as owner_sheets
from analytics.showback import sheets
from analytics.showback.data import PackData
from analytics.showback.figures import OwnerRow, owner_rows, rounding_row
from analytics.showback.grid import Sheet
from analytics.showback.render import to_bytes
from analytics.showback.safe import file_name, sheet_name
from analytics.showback.xl import TableNames

MAX_OWNER_SHEETS = 250  # owners with a sheet (or a workbook) of their own, largest first
Progress = Callable[[float, str], None]
FIXED_SHEETS = ("Cover", "Summary", "By service", "Shared costs", "Unallocated", "Reconciliation")


def with_sheets(rows: list[OwnerRow]) -> list[OwnerRow]:
    """The owners that get a sheet or a workbook of their own."""
    return [r for r in rows if r.is_owner][:MAX_OWNER_SHEETS]


def pack(data: PackData, generated_at: dt.datetime, progress: Progress | None = None) -> bytes:
    """The consolidated workbook."""
    say = progress or (lambda fraction, message: None)
    rows = owner_rows(data)
    rows.append(rounding_row(data, rows))
    wb: list[Sheet] = []
    names = TableNames()
    used = set(FIXED_SHEETS)
    owners = with_sheets(rows)
    sheets.cover(wb, data, names, generated_at)
    sheets.summary(wb, data, names, rows, len(owners))
    sheets.by_service(wb, data, names, rows)
    for i, row in enumerate(owners):
        say(i / max(len(owners), 1), f"owner sheets ({i + 1} of {len(owners)})")
        owner_sheets.owner_sheet(wb, data, names, row, sheet_name(row.label, used))
    sheets.shared_costs(wb, data, names, rows)
    sheets.unallocated(wb, data, names, rows)
    sheets.reconciliation(wb, data, names)
    say(1.0, "saving")
    return to_bytes(wb, generated_at)


def owner_pack(data: PackData, row: OwnerRow, rows: list[OwnerRow], generated_at: dt.datetime) -> bytes:
    """One owner's workbook: Cover, its Summary line, its sheet and what it received from pools."""
    wb: list[Sheet] = []
    names = TableNames()
    sheets.cover(wb, data, names, generated_at, subject=f", {data.request.owner} = {row.label}", only=row.owner)
    sheets.summary(wb, data, names, [row], 1)
    owner_sheets.owner_sheet(wb, data, names, row, sheet_name(row.label, set(FIXED_SHEETS)))
    sheets.shared_costs(wb, data, names, rows, only=row.owner)
    return to_bytes(wb, generated_at)


def owner_packs(
    data: PackData, generated_at: dt.datetime, progress: Progress | None = None
) -> Iterator[tuple[str, bytes]]:
    """(file name, workbook) per owner, largest first."""
    say = progress or (lambda fraction, message: None)
    rows = owner_rows(data)
    owners = with_sheets(rows)
    used: set[str] = set()
    stem = f"showback-{data.request.label.replace(' to ', '_')}"
    for i, row in enumerate(owners):
        say(i / max(len(owners), 1), f"owner workbooks ({i + 1} of {len(owners)})")
        yield f"{stem}-{file_name(row.label, used)}.xlsx", owner_pack(data, row, rows, generated_at)


def owner_zip(data: PackData, generated_at: dt.datetime, progress: Progress | None = None) -> bytes:
    """A zip of one workbook per owner."""
    out = io.BytesIO()
    stamp = generated_at.astimezone(dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in owner_packs(data, generated_at, progress):
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()
