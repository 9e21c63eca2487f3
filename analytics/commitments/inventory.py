"""The commitments found in the data (algorithms.md §0.4), one row each, with the user's corrections
from data/commitments.csv (term, start, end), the terms of the Contract Commitment dataset when it
was loaded (contracts.py), and coverage and utilisation per commitment type."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.commitments import rollup
from analytics.commitments.contracts import BASIS, ContractTerms, contract_terms
from analytics.commitments.money import fx_frame, fx_join
from analytics.engine import Engine
from analytics.fx import FxTable, converted
from analytics.schema import END_SANE_DAY, FIRST_SANE_DAY
from analytics.store import DATA_DIR

DEFAULT_CORRECTIONS_PATH = DATA_DIR / "commitments.csv"
CORRECTION_COLUMNS = ["commitment_id", "term_months", "start", "end", "note"]
RECENT_DAYS = 30  # the hourly amount is read over the last days a commitment is seen: it is what it costs now
_YEARS_IN_NAME = re.compile(r"\b([13])[ -]?(?:year|yr)s?\b", re.IGNORECASE)


class CorrectionsError(ValueError):
    """data/commitments.csv is unusable; the message names the file, line and field."""


@dataclass(frozen=True)
class Correction:
    commitment_id: str
    term_months: int | None
    start: dt.date | None
    end: dt.date | None


def load_corrections(path: Path | str = DEFAULT_CORRECTIONS_PATH) -> dict[str, Correction]:
    """The user's corrections by commitment id; a missing file means none."""
    path = Path(path)
    if not path.exists():
        return {}
    out: dict[str, Correction] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or list(reader.fieldnames) != CORRECTION_COLUMNS:
                found = ",".join(reader.fieldnames or []) or "(nothing)"
                raise CorrectionsError(f"{path}: header must be {','.join(CORRECTION_COLUMNS)}, found {found}")
            for line, record in enumerate(reader, start=2):
                key = (record["commitment_id"] or "").strip()
                if not key:
                    raise CorrectionsError(f"{path}, line {line}, commitment_id: empty")
                if key in out:
                    raise CorrectionsError(f"{path}, line {line}, commitment_id: {key!r} is already on an earlier line")
                out[key] = Correction(
                    key,
                    _months(path, line, record["term_months"]),
                    _day(path, line, "start", record["start"]),
                    _day(path, line, "end", record["end"]),
                )
                fix = out[key]
                if fix.start and fix.end and fix.end <= fix.start:
                    raise CorrectionsError(f"{path}, line {line}, end: {fix.end} is not after start {fix.start}")
    except UnicodeDecodeError as exc:
        raise CorrectionsError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    return out


def _months(path: Path, line: int, text: str | None) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 120:
        raise CorrectionsError(f"{path}, line {line}, term_months: {text!r} must be a whole number of months (12, 36)")
    return int(text)


def _day(path: Path, line: int, field: str, text: str | None) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise CorrectionsError(f"{path}, line {line}, {field}: {text!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_SANE_DAY <= day < END_SANE_DAY:
        raise CorrectionsError(f"{path}, line {line}, {field}: {text} is outside 2000-01-01 to 2099-12-31")
    return day


# The commitment line items summed per commitment, start time, currency and kind of row (see
# rollup.py: a table built at write time, else the same query), from which each commitment's last
# usage and its recent rows follow exactly. Only those sums are converted, at each day's rate: a sum
# of amounts times a factor is exactly the sum of the converted amounts (DECIMAL), and converting a
# few thousand sums instead of millions of rows is what keeps the Commitments page fast.
_SQL = f"""
WITH starts AS (
    SELECT * FROM {{starts}}
), last AS (
    SELECT id, max(last_end) AS last_seen FROM starts WHERE charge = 'Usage' GROUP BY id
), g AS (
    SELECT s.*, CAST(s.start AS DATE) AS day, last.last_seen,
           s.start >= last.last_seen - INTERVAL {RECENT_DAYS} DAY AS recent
    FROM starts s JOIN last USING (id)
)
SELECT r.id,
       any_value(r.name) AS name,
       any_value(r.type) AS type,
       any_value(r.category) AS category,
       any_value(r.unit) AS unit,
       any_value(r.provider) AS provider,
       any_value(r.account) FILTER (WHERE r.status = 'Unused' OR r.charge = 'Purchase') AS account,
       min(r.start) FILTER (WHERE r.charge = 'Usage') AS first_seen,
       any_value(r.last_seen) AS last_seen,
       sum({converted("r.cost")}) FILTER (WHERE r.charge = 'Usage' AND r.status = 'Used') AS used_cost,
       sum({converted("r.cost")}) FILTER (WHERE r.charge = 'Usage' AND r.status = 'Unused') AS unused_cost,
       sum({converted("r.ode")}) FILTER (WHERE r.charge = 'Usage' AND r.status = 'Used') AS used_ode,
       sum(r.quantity) FILTER (WHERE r.status = 'Unused') AS unused_quantity,
       sum({converted("r.cost")}) FILTER (WHERE r.charge = 'Usage' AND r.recent) AS recent_cost,
       sum(r.quantity) FILTER (WHERE r.charge = 'Usage' AND r.recent) AS recent_quantity,
       min(r.start) FILTER (WHERE r.charge = 'Usage' AND r.recent) AS recent_from,
       sum(r.quantity) FILTER (WHERE r.charge = 'Purchase' AND r.frequency = 'One-Time') AS one_time_quantity,
       max(r.last_end) FILTER (WHERE r.charge = 'Purchase' AND r.frequency = 'One-Time') AS one_time_end,
       min(r.start) FILTER (WHERE r.charge = 'Purchase') AS first_purchase
FROM g r {fx_join("r.day")}
GROUP BY r.id
"""


def inventory(
    engine: Engine,
    corrections: dict[str, Correction] | None = None,
    fx: FxTable | None = None,
    currency: str = "USD",
) -> pd.DataFrame:
    """One row per commitment id seen in the data: what it is, what it costs per hour now, its
    realised discount and utilisation, and its estimated end (with where that estimate comes from)."""
    span = engine.query(
        "SELECT min(ChargeDay) AS a, max(ChargeDay) AS b FROM daily_costs WHERE ChargeDay >= ? AND ChargeDay < ?",
        [FIRST_SANE_DAY, END_SANE_DAY],
    )
    if span.empty or pd.isna(span["a"].iloc[0]):
        return _empty()
    first, last = pd.Timestamp(span["a"].iloc[0]).date(), pd.Timestamp(span["b"].iloc[0]).date()
    sql = _SQL.replace("{starts}", rollup.source(engine))
    raw = engine.query(sql, frames={"fx": fx_frame(fx, currency, first, last)})
    if raw.empty:
        return _empty()
    stated = contract_terms(engine)
    rows = [_row(r, (corrections or {}).get(str(r["id"])), last, stated.get(str(r["id"]))) for _, r in raw.iterrows()]
    return pd.DataFrame(rows).sort_values(["estimated_end", "id"], na_position="last", ignore_index=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=INVENTORY_COLUMNS)


INVENTORY_COLUMNS = [
    "id", "name", "type", "category", "provider", "account", "unit", "hourly_commitment", "hourly_quantity",
    "realized_discount", "utilization", "used_cost", "unused_cost", "unused_quantity", "unused_hours",
    "first_seen", "last_seen", "active", "term_months", "start", "estimated_end", "end_basis", "terms_from",
    "contract_cost", "contract_currency", "contract_quantity", "contract_unit",
]  # fmt: skip
# Where a commitment's term, start and end came from, by the basis of its end.
_TERMS_FROM = {
    BASIS: BASIS,
    "commitments.csv": "commitments.csv",
    "commitments.csv (term)": "commitments.csv",
    "purchase period": "estimated from purchases",
    "purchase quantity": "estimated from purchases",
    "name (at the latest)": "estimated from the name",
}


def _num(value: Any) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)


def _when(value: Any) -> dt.datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _row(r: pd.Series, fix: Correction | None, data_end: dt.date, deal: ContractTerms | None) -> dict[str, object]:
    first_seen, last_seen = _when(r["first_seen"]), _when(r["last_seen"])
    recent_from = _when(r["recent_from"]) or first_seen
    hours = max(1.0, (last_seen - recent_from).total_seconds() / 3600) if last_seen and recent_from else 1.0
    hourly = _num(r["recent_cost"]) / hours
    hourly_quantity = _num(r["recent_quantity"]) / hours
    used, unused, used_ode = _num(r["used_cost"]), _num(r["unused_cost"]), _num(r["used_ode"])
    start = _when(r["first_purchase"]) or first_seen
    term, end, basis = _term_and_end(r, fix, start, hourly_quantity, deal)
    if fix and fix.start:
        start = dt.datetime.combine(fix.start, dt.time())
    elif deal is not None and basis == BASIS:
        start = deal.start
    return {
        "id": r["id"],
        "name": r["name"],
        "type": r["type"],
        "category": r["category"],
        "provider": r["provider"],
        "account": r["account"],
        "unit": r["unit"],
        "hourly_commitment": hourly,
        "hourly_quantity": hourly_quantity,
        "realized_discount": 1 - used / used_ode if used_ode > 0 else None,
        "utilization": used / (used + unused) if used + unused > 0 else None,
        "used_cost": used,
        "unused_cost": unused,
        "unused_quantity": _num(r["unused_quantity"]),
        "unused_hours": unused / hourly if hourly > 0 else 0.0,  # hours of the whole commitment left idle
        "first_seen": first_seen,
        "last_seen": last_seen,
        "active": last_seen is not None and last_seen.date() >= data_end,
        "term_months": term,
        "start": start,
        "estimated_end": end,
        "end_basis": basis,
        "terms_from": _TERMS_FROM.get(basis, "unknown"),
        "contract_cost": deal.cost if deal else None,
        "contract_currency": deal.currency if deal else None,
        "contract_quantity": deal.quantity if deal else None,
        "contract_unit": deal.unit if deal else None,
    }


def _term_and_end(
    r: pd.Series, fix: Correction | None, start: dt.datetime | None, hourly_quantity: float, deal: ContractTerms | None
) -> tuple[int | None, dt.datetime | None, str]:
    """Cost and Usage has no end column: the user's correction, else the Contract Commitment
    dataset's period, else the One-Time purchase's charge period (it spans the term), else purchase
    quantity / hourly quantity, else a term in the name (then the end is at the latest start-of-data
    + term), else unknown."""
    if fix and fix.end:
        return fix.term_months, dt.datetime.combine(fix.end, dt.time()), "commitments.csv"
    if fix and fix.term_months:
        begin = dt.datetime.combine(fix.start, dt.time()) if fix.start else start
        end = _add_months(begin, fix.term_months) if begin else None
        return fix.term_months, end, "commitments.csv (term)"
    if deal is not None:
        return deal.months, deal.end, BASIS
    one_time_end = _when(r["one_time_end"])
    if one_time_end is not None and start is not None and one_time_end - start > dt.timedelta(days=27):
        return round((one_time_end - start).days / 30.4), one_time_end, "purchase period"
    quantity = _num(r["one_time_quantity"])
    if quantity > 0 and hourly_quantity > 0 and start is not None:
        months = round(quantity / hourly_quantity / 730)
        return months, start + dt.timedelta(hours=quantity / hourly_quantity), "purchase quantity"
    found = _YEARS_IN_NAME.search(str(r["name"] or ""))
    if found and start is not None:
        months = 12 * int(found.group(1))
        return months, _add_months(start, months), "name (at the latest)"
    return None, None, "unknown"


def _add_months(when: dt.datetime, months: int) -> dt.datetime:
    year, month = divmod(when.month - 1 + months, 12)
    day = min(when.day, 28)
    return when.replace(year=when.year + year, month=month + 1, day=day)
