"""Shared by the showback tests: a private copy of the session's sample with chosen rules applied,
packs generated from it, and independent sums computed with SQL on the raw line items."""

from __future__ import annotations

import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import openpyxl

from analytics.allocation.apply import apply_rules
from analytics.allocation.rules import parse_rules
from analytics.engine import DuckDBEngine
from analytics.fx import DEFAULT_FX_PATH, load_fx
from analytics.showback.data import PackData, gather
from analytics.showback.request import PackRequest
from analytics.showback.workbook import pack
from analytics.store import connect
from tests.app_fixtures import pristine_sample

MONTH = dt.date(2026, 5, 1)  # a whole month of the session sample (3 months to 15 Jun 2026)
FX = load_fx(DEFAULT_FX_PATH)
SUPPORT = ("AWS Support (Business)", "AWS Support (Enterprise)", "Support")
POOL_RULES = """
shared_costs:
  - name: Support
    when: {ServiceName: [AWS Support (Business), AWS Support (Enterprise), Support]}
    to: tag:team
    split: proportional
"""
AT = dt.datetime(2026, 6, 20, 8, 30, tzinfo=dt.UTC)


def copy_with_rules(sample_db: Path, tmp_path: Path, rules: str = "") -> duckdb.DuckDBPyConnection:
    """A read-write copy of the sample with `rules` applied (none by default)."""
    path = tmp_path / "showback.duckdb"
    pristine_sample(path)
    con = connect(path)
    apply_rules(con, parse_rules(rules, "test rules"))
    return con


def generate(
    con: duckdb.DuckDBPyConnection, owner: str = "tag:team", at: dt.datetime = AT
) -> tuple[PackData, openpyxl.Workbook, bytes]:
    data = gather(DuckDBEngine(con), FX, PackRequest(MONTH, MONTH, owner))
    content = pack(data, at)
    return data, openpyxl.load_workbook(io.BytesIO(content)), content


def cent(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


# Independent of the code under test: the raw line items, their raw tag sets, and the FX file's
# rates joined as of each charge day (USD per unit; USD itself is 1).
RAW_BY_TEAM = """
WITH rates AS (SELECT valid_from, currency, usd_per_unit FROM read_csv(?, header = true,
               columns = {'valid_from': 'DATE', 'currency': 'VARCHAR', 'usd_per_unit': 'DOUBLE'})),
items AS (
    SELECT li.*, CAST(li.ChargePeriodStart AS DATE) AS day FROM line_items li
    WHERE li.ChargePeriodStart >= ? AND li.ChargePeriodStart < ?
)
SELECT t.TagValue AS team,
       sum(CAST(i.EffectiveCost AS DOUBLE) * CASE WHEN i.BillingCurrency = 'USD' THEN 1 ELSE r.usd_per_unit END)
           AS cost
FROM items i
LEFT JOIN tag_sets t ON t.x_TagSetId = i.x_TagSetId AND t.TagKey = 'team'
ASOF LEFT JOIN rates r ON r.currency = i.BillingCurrency AND i.day >= r.valid_from
GROUP BY 1
"""


def raw_by_team(con: duckdb.DuckDBPyConnection, where: str = "TRUE") -> dict[str | None, float]:
    sql = RAW_BY_TEAM.replace("WHERE li.ChargePeriodStart", f"WHERE ({where}) AND li.ChargePeriodStart")
    rows = con.execute(sql, [str(DEFAULT_FX_PATH), MONTH, dt.date(2026, 6, 1)]).fetchall()
    return {team: float(cost) for team, cost in rows}


def table_rows(ws: openpyxl.worksheet.worksheet.Worksheet, header: str, after: int = 0) -> tuple[int, list[tuple]]:
    """The first header row below row `after` whose first cell is `header`, and the rows under it up
    to the first empty one."""
    for row in ws.iter_rows(min_row=after + 1, max_row=ws.max_row):
        if row[0].value == header:
            top = row[0].row
            break
    else:
        raise AssertionError(f"no table headed {header!r} on {ws.title}")
    rows = []
    for values in ws.iter_rows(min_row=top + 1, values_only=True):
        if values[0] is None:
            break
        rows.append(values)
    return top, rows


def summary_lines(wb: openpyxl.Workbook) -> list[tuple]:
    """The Summary's lines (owners, no owner, rounding), without its SUM total row."""
    _, rows = table_rows(wb["Summary"], "Owner")
    return [r for r in rows if r[0] != "Total"]
