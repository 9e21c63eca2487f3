"""The commitment instruments one can buy, and the user-editable default discount rates
(data/discount_rates.csv, seeded from algorithms.md §2)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from analytics.store import DATA_DIR

DEFAULT_RATES_PATH = DATA_DIR / "discount_rates.csv"
PAYMENTS: tuple[str, ...] = ("no-upfront", "partial-upfront", "all-upfront")
UPFRONT_SHARE = {"no-upfront": 0.0, "partial-upfront": 0.5, "all-upfront": 1.0}
TERM_HOURS = {1: 8760, 3: 26280}
HOURS_PER_MONTH = 730


class RatesError(ValueError):
    """The discount-rate table is unusable; the message names the file, line and field."""


@dataclass(frozen=True)
class Instrument:
    """One kind of commitment. `flexible` ones are a $/h commitment shared by every eligible family
    of the provider (highest discount first); the others are bought per family."""

    key: str
    label: str
    providers: tuple[str, ...]  # ProviderName values, lower-case
    flexible: bool
    focus_types: tuple[str, ...]  # CommitmentDiscountType values whose realised rate applies, lower-case
    category: str  # CommitmentDiscountCategory of what it buys: Spend or Usage
    # Serverless kinds (demand.SERVERLESS) it also covers, beside instances (algorithms.md §0.3, §1.1).
    # Their default rate is the rates file's row "<key>:<kind>" when there is one, else the instrument's.
    serverless: tuple[str, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        return ("instance", *self.serverless)

    def serves(self, provider: str) -> bool:
        return provider.strip().lower() in self.providers

    def matches_type(self, focus_type: str | None) -> bool:
        """Whether an existing commitment of this FOCUS CommitmentDiscountType is this instrument
        (spaces and case ignored: providers write "Savings Plan" and "SavingsPlan")."""
        wanted = {t.replace(" ", "") for t in self.focus_types}
        return focus_type is not None and focus_type.replace(" ", "").lower() in wanted


_AWS = ("aws", "amazon web services")
_AZURE = ("microsoft", "azure", "microsoft azure")
_GCP = ("google cloud", "gcp", "google cloud platform")

INSTRUMENTS: dict[str, Instrument] = {
    i.key: i
    for i in (
        Instrument(
            "compute-sp",
            "AWS Compute Savings Plan",
            _AWS,
            True,
            ("savings plan", "compute savings plan"),
            "Spend",
            ("lambda", "fargate"),
        ),
        Instrument(
            "ec2-instance-sp", "AWS EC2 Instance Savings Plan", _AWS, False, ("ec2 instance savings plan",), "Spend"
        ),
        Instrument("ri", "AWS Standard Reserved Instance", _AWS, False, ("reserved instance",), "Usage"),
        Instrument("azure-ri", "Azure reservation", _AZURE, False, ("reservation",), "Usage"),
        Instrument("azure-sp", "Azure savings plan for compute", _AZURE, True, ("savings plan",), "Spend"),
        Instrument("gcp-cud", "GCP resource-based CUD", _GCP, False, ("committed use discount",), "Usage"),
        Instrument(
            "gcp-flex-cud",
            "GCP Compute flexible CUD",
            _GCP,
            True,
            ("flexible committed use discount",),
            "Spend",
            ("gke", "cloud-run"),
        ),
    )
}


@dataclass(frozen=True)
class RateTable:
    """Default discount (vs on-demand) per (instrument, term in years, payment option)."""

    rates: dict[tuple[str, int, str], float]
    sources: dict[tuple[str, int, str], str]
    path: str

    def rate(self, instrument: str, term: int, payment: str) -> float:
        key = (instrument, term, payment)
        if key not in self.rates:
            offered = sorted(p for (i, t, p) in self.rates if i == instrument and t == term)
            raise RatesError(
                f"{self.path}: no default rate for {instrument}, {term} year(s), {payment}"
                + (f"; offered: {', '.join(offered)}" if offered else "")
            )
        return self.rates[key]

    def rate_for(self, instrument: str, kind: str, term: int, payment: str) -> tuple[float, str]:
        """The default for usage of this kind: its own row ("compute-sp:lambda") if the file has one,
        else the instrument's; and which row was used."""
        own = (f"{instrument}:{kind}", term, payment)
        if own in self.rates:
            return self.rates[own], own[0]
        return self.rate(instrument, term, payment), instrument

    def payments(self, instrument: str, term: int) -> list[str]:
        offered = {p for (i, t, p) in self.rates if i == instrument and t == term}
        return [p for p in PAYMENTS if p in offered]


def load_rates(path: Path | str = DEFAULT_RATES_PATH) -> RateTable:
    """Read and check data/discount_rates.csv: instrument (or instrument:serverless kind, e.g.
    compute-sp:lambda), term_years (1|3), payment, discount_rate in [0, 1)."""
    path = Path(path)
    expected = ["instrument", "term_years", "payment", "discount_rate", "source"]
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or list(reader.fieldnames) != expected:
                found = ",".join(reader.fieldnames or [])
                raise RatesError(f"{path}: header must be {','.join(expected)}, found {found or '(nothing)'}")
            rates: dict[tuple[str, int, str], float] = {}
            sources: dict[tuple[str, int, str], str] = {}
            for line, record in enumerate(reader, start=2):
                key = _key(path, line, record)
                if key in rates:
                    raise RatesError(f"{path}, line {line}: a second rate for {key[0]}, {key[1]} years, {key[2]}")
                rates[key] = _rate(path, line, record["discount_rate"])
                sources[key] = record.get("source") or ""
    except FileNotFoundError as exc:
        raise RatesError(f"{path}: no discount-rate file") from exc
    except UnicodeDecodeError as exc:
        raise RatesError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    return RateTable(rates, sources, str(path))


def _key(path: Path, line: int, record: dict[str, str]) -> tuple[str, int, str]:
    instrument = (record["instrument"] or "").strip()
    base, _, kind = instrument.partition(":")
    if base not in INSTRUMENTS:
        raise RatesError(f"{path}, line {line}, instrument: {instrument!r} is not one of {', '.join(INSTRUMENTS)}")
    if kind and kind not in INSTRUMENTS[base].serverless:
        offered = ", ".join(f"{base}:{k}" for k in INSTRUMENTS[base].serverless) or f"none for {base}"
        raise RatesError(f"{path}, line {line}, instrument: {instrument!r}: serverless rows are {offered}")
    term = (record["term_years"] or "").strip()
    if term not in ("1", "3"):
        raise RatesError(f"{path}, line {line}, term_years: {term!r} must be 1 or 3")
    payment = (record["payment"] or "").strip()
    if payment not in PAYMENTS:
        raise RatesError(f"{path}, line {line}, payment: {payment!r} is not one of {', '.join(PAYMENTS)}")
    return instrument, int(term), payment


def _rate(path: Path, line: int, text: str | None) -> float:
    try:
        value = float((text or "").strip())
    except ValueError:
        raise RatesError(f"{path}, line {line}, discount_rate: {text!r} is not a number") from None
    if not 0 <= value < 1:
        raise RatesError(f"{path}, line {line}, discount_rate: {value} must be at least 0 and below 1 (0.28 = 28 %)")
    return value
