"""For the store's concurrency and kill tests (issue 18): FOCUS files written here, the store's state
as exact sums, and what a store folder holds beyond its published generations."""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from analytics.store import reader, snapshots
from tests.app_fixtures import PROJECT

CENT = Decimal("0.01")
FOCUS_HEADER = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ProviderName",
    "ServiceName",
    "SubAccountName",
    "RegionId",
    "ResourceId",
]
SERVICES = ("Compute", "Storage", "Database", "Networking")


def write_focus(path: Path, rows: int, seed: int, month: str, account: str) -> Path:
    """A FOCUS CSV of `rows` USD charges (up to 4 decimals) in `month` (YYYY-MM) of one billing
    account of a provider no real test file uses, so that its delivery replaces nothing."""
    rnd = random.Random(seed)
    year, number = (int(part) for part in month.split("-"))
    after = f"{year + number // 12:04d}-{number % 12 + 1:02d}"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FOCUS_HEADER)
        for i in range(rows):
            day = f"{month}-{i % 28 + 1:02d}"
            cost = Decimal(rnd.randint(1, 999_999)) / 10_000
            writer.writerow(
                [
                    cost,
                    cost,
                    cost,
                    cost,
                    account,
                    "Store tests",
                    "USD",
                    f"{month}-01T00:00:00Z",
                    f"{after}-01T00:00:00Z",
                ]
                + ["Usage", f"{day}T00:00:00Z", f"{day}T01:00:00Z", "Store Test Cloud", SERVICES[i % 4]]
                + [f"sub-{i % 7}", "eu-west-1", f"r-{i % 5000}"]
            )
    return path


def csv_total(path: Path, column: str) -> tuple[Decimal, int]:
    """(Σ `column`, rows) of a CSV, with the csv module and Decimal: independent of the ingest."""
    total, rows = Decimal(0), 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            rows += 1
            if record[column] not in ("", "NULL", "null"):
                total += Decimal(record[column])
    return total, rows


@dataclass(frozen=True)
class State:
    """What a reader sees: Σ BilledCost in line_items (exact), their number, and the sources."""

    billed: Decimal
    rows: int
    sources: int

    def __add__(self, other: State) -> State:
        return State(self.billed + other.billed, self.rows + other.rows, self.sources + other.sources)

    @property
    def cents(self) -> tuple[Decimal, int, int]:
        """To the cent, the precision every total reconciles to (the store keeps 12 decimals a row,
        some exports have 16)."""
        return (self.billed.quantize(CENT), self.rows, self.sources)


def file_state(path: Path, column: str = "BilledCost") -> State:
    billed, rows = csv_total(path, column)
    return State(billed, rows, 1)


EMPTY = State(Decimal(0), 0, 0)


def store_state(folder: Path) -> State:
    """The store as a new reader sees it, checked for agreement between the line items and their
    daily rollup (a half-published write would show as a difference)."""
    con = reader(folder)
    try:
        billed, rows = con.execute("SELECT coalesce(sum(BilledCost), 0), count(*) FROM line_items").fetchone()  # type: ignore[misc]
        rolled, in_rollup = con.execute(  # type: ignore[misc]
            "SELECT coalesce(sum(BilledCost), 0), coalesce(sum(LineItems), 0) FROM daily_costs"
        ).fetchone()
        (sources,) = con.execute("SELECT count(*) FROM sources").fetchone()  # type: ignore[misc]
    finally:
        con.close()
    assert (Decimal(rolled), int(in_rollup)) == (Decimal(billed), int(rows)), "line items and rollup disagree"
    return State(Decimal(billed), int(rows), int(sources))


def leftovers(folder: Path) -> list[str]:
    """What a store folder holds besides its manifest, lock, current generation and the one before
    it (which a reader that has just read the previous manifest may still open): work and spill
    folders, unpublished generations, staged manifests, WAL files, anything else."""
    current = snapshots.current(folder)
    assert current is not None
    keep = {snapshots.MANIFEST, snapshots.LOCK, current.file.name, snapshots.generation_name(current.generation - 1)}
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name in (snapshots.WORK, snapshots.SPILL) and entry.is_dir():
            found += [f"{entry.name}/{inner.name}" for inner in sorted(entry.iterdir())]
        elif entry.name not in keep:
            found.append(entry.name)
    return found


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m analytics ARGS` in a new process, as cron or a terminal runs it."""
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=PROJECT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
