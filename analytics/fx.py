"""Dated exchange rates (data/fx_rates.csv) and the daily factors that turn each billing
currency into the reporting currency."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analytics.schema import END_SANE_DAY, FIRST_SANE_DAY
from analytics.store import DATA_DIR

DEFAULT_FX_PATH = DATA_DIR / "fx_rates.csv"
PIVOT = "USD"  # rates are quoted as USD per unit, so any listed currency can be the reporting one
_CURRENCY = re.compile(r"^[A-Z]{3}$")
COLUMNS = ["valid_from", "currency", "usd_per_unit"]
CONFIRMED = "confirmed"  # optional fourth column: `yes` on a row whose rate is outside PLAUSIBLE
# USD per unit of every currency in use today lies well inside this (IRR ~2e-5, KWD ~3.3); a rate
# outside is almost always a typo or an inverted quote (1e-12 turned EUR 523,938.95 into 0.00), so
# it is used only when its row says `confirmed: yes`.
PLAUSIBLE = (1e-6, 1e6)
# Conversions multiply by the factor as DECIMAL(18, 9) (see `converted`): a factor of 1e9 or more
# cannot be stored there and one below 1e-9 is zero, so no confirmation makes such a rate usable.
USABLE = (1e-9, 1e9)


class FxError(ValueError):
    """The rates file is unusable; the message names the file, line and field."""


@dataclass(frozen=True)
class FxTable:
    """One row per (valid_from, currency): USD per unit from that day until the next row."""

    rates: pd.DataFrame
    source: str
    # Every query converts through these; building them costs more than a query on the rollup.
    _factors: dict[tuple[str, dt.date, dt.date], pd.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    def currencies(self) -> list[str]:
        return sorted({PIVOT, *self.rates["currency"]})

    def daily_factors(self, reporting: str, first: dt.date, last: dt.date) -> pd.DataFrame:
        """Columns currency, day, factor, rate_date: multiply an amount in `currency` on `day` by
        `factor` to get `reporting`; days before a currency's first rate have no row."""
        key = (reporting, first, last)
        if key not in self._factors:
            self._factors[key] = self._build_factors(reporting, first, last)
        return self._factors[key].copy()

    def join_frame(self, reporting: str, first: dt.date, last: dt.date) -> pd.DataFrame:
        """The factors as a query joins them, named `fx`: currency, day, factor (see `converted`)."""
        return self.daily_factors(reporting, first, last)[["currency", "day", "factor"]]

    def _build_factors(self, reporting: str, first: dt.date, last: dt.date) -> pd.DataFrame:
        # Days outside the sane window get no factor (their amounts show as unconverted) instead of
        # a table of millions of days, or an overflow, because one stored date is absurd.
        first = max(first, FIRST_SANE_DAY)
        last = min(last, END_SANE_DAY - dt.timedelta(days=1))
        days = pd.date_range(first, last, freq="D") if first <= last else pd.DatetimeIndex([])
        frames = []
        for currency in self.currencies():
            per_unit = self._usd_per_unit(currency, days)
            frames.append(pd.DataFrame({"currency": currency, "day": days.date, **per_unit}))
        table = pd.concat(frames, ignore_index=True)
        target = table[table["currency"] == reporting].set_index("day")["usd"]
        table["factor"] = table["usd"] / table["day"].map(target)
        table.loc[table["currency"] == reporting, "factor"] = 1.0
        # A factor `converted` cannot hold leaves its amounts unconverted (reported as such), not a
        # database error on every page.
        table.loc[table["factor"] >= USABLE[1], "factor"] = math.nan
        return table.dropna(subset=["factor"])[["currency", "day", "factor", "rate_date"]]

    def _usd_per_unit(self, currency: str, days: pd.DatetimeIndex) -> dict[str, object]:
        if currency == PIVOT:
            return {"usd": 1.0, "rate_date": pd.NaT}
        rows = self.rates[self.rates["currency"] == currency].sort_values("valid_from")
        starts = pd.to_datetime(rows["valid_from"]).to_numpy()
        position = starts.searchsorted(days.to_numpy(), side="right") - 1
        valid = position >= 0
        usd = rows["usd_per_unit"].to_numpy()[position.clip(0)]
        return {
            "usd": pd.Series(usd, dtype="float64").where(valid),
            "rate_date": pd.Series(starts[position.clip(0)]).where(valid).dt.date,
        }


def _check(path: Path, line: int, row: pd.Series) -> None:
    where = f"{path}, line {line}"
    if not _CURRENCY.match(row["currency"]):
        raise FxError(f"{where}, currency: {row['currency']!r} is not a 3-letter code")
    try:
        day = dt.date.fromisoformat(row["valid_from"])
    except ValueError as exc:
        raise FxError(f"{where}, valid_from: {row['valid_from']!r} is not YYYY-MM-DD") from exc
    if not FIRST_SANE_DAY <= day < END_SANE_DAY:
        raise FxError(f"{where}, valid_from: {row['valid_from']} is outside 2000-01-01 to 2099-12-31")
    text = row["usd_per_unit"].strip()
    try:
        rate = float(text) if "_" not in text else math.nan
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and rate > 0):
        raise FxError(f"{where}, usd_per_unit: {row['usd_per_unit']!r} is not a positive finite number")
    confirmed = str(row.get(CONFIRMED, "")).strip().lower()
    if confirmed not in ("", "yes"):
        raise FxError(f"{where}, {CONFIRMED}: {row[CONFIRMED]!r} must be yes or empty")
    if not USABLE[0] <= rate < USABLE[1]:
        raise FxError(
            f"{where}, usd_per_unit: {text} is outside {USABLE[0]:g} to {USABLE[1]:g}, which no conversion can use"
        )
    if not PLAUSIBLE[0] <= rate <= PLAUSIBLE[1] and confirmed != "yes":
        raise FxError(
            f"{where}, usd_per_unit: {text} is outside {PLAUSIBLE[0]:g} to {PLAUSIBLE[1]:g} USD per unit; "
            f"if it is right, add a `{CONFIRMED}` column saying yes on this row"
        )


def converted(amount: str) -> str:
    """SQL: `amount` in the reporting currency, in a query joining `FxTable.join_frame` as `fx`. Sums
    stay DECIMAL; the factor is cut to 9 decimals, far below a cent on any realistic total."""
    return f"({amount}) * CAST(fx.factor AS DECIMAL(18, 9))"


def load_fx(path: Path | str = DEFAULT_FX_PATH) -> FxTable:
    """Read and check the rates file: valid_from (YYYY-MM-DD), currency (ISO 4217), usd_per_unit > 0."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise FxError(f"{path}: no exchange-rate file") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise FxError(f"{path}: not a readable CSV ({exc})") from exc
    columns = list(frame.columns)
    if columns not in (COLUMNS, [*COLUMNS, CONFIRMED]):
        raise FxError(f"{path}: header must be {','.join(COLUMNS)}[,{CONFIRMED}], found {','.join(columns)}")
    for index, row in frame.iterrows():
        _check(path, int(str(index)) + 2, row)
    duplicated = frame.duplicated(["valid_from", "currency"])
    if duplicated.any():
        line = int(duplicated.to_numpy().nonzero()[0][0]) + 2
        raise FxError(f"{path}, line {line}: a second rate for the same currency and day")
    rates = pd.DataFrame(
        {
            "valid_from": pd.to_datetime(frame["valid_from"]).dt.date,
            "currency": frame["currency"],
            "usd_per_unit": frame["usd_per_unit"].astype(float),
        }
    )
    return FxTable(rates=rates, source=str(path))
