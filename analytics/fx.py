"""Dated exchange rates (data/fx_rates.csv) and the daily factors that turn each billing
currency into the reporting currency."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analytics.store import DATA_DIR

DEFAULT_FX_PATH = DATA_DIR / "fx_rates.csv"
PIVOT = "USD"  # rates are quoted as USD per unit, so any listed currency can be the reporting one
_CURRENCY = re.compile(r"^[A-Z]{3}$")


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
        days = pd.date_range(first, last, freq="D")
        frames = []
        for currency in self.currencies():
            per_unit = self._usd_per_unit(currency, days)
            frames.append(pd.DataFrame({"currency": currency, "day": days.date, **per_unit}))
        table = pd.concat(frames, ignore_index=True)
        target = table[table["currency"] == reporting].set_index("day")["usd"]
        table["factor"] = table["usd"] / table["day"].map(target)
        table.loc[table["currency"] == reporting, "factor"] = 1.0
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
    expected = ["valid_from", "currency", "usd_per_unit"]
    if list(frame.columns) != expected:
        raise FxError(f"{path}: header must be {','.join(expected)}, found {','.join(frame.columns)}")
    for index, row in frame.iterrows():
        line = int(str(index)) + 2
        if not _CURRENCY.match(row["currency"]):
            raise FxError(f"{path}, line {line}, currency: {row['currency']!r} is not a 3-letter code")
        try:
            dt.date.fromisoformat(row["valid_from"])
        except ValueError as exc:
            raise FxError(f"{path}, line {line}, valid_from: {row['valid_from']!r} is not YYYY-MM-DD") from exc
        try:
            rate = float(row["usd_per_unit"])
        except ValueError:
            rate = float("nan")
        if not rate > 0:
            raise FxError(f"{path}, line {line}, usd_per_unit: {row['usd_per_unit']!r} is not a positive number")
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
