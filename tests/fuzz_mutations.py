"""Seeded mutations of cost exports for the ingest fuzz test (what each mutated file holds is read
independently by tests/fuzz_oracle.py, so the loader's totals are checked against the file).

A case is planned from its seed alone (`plan`): a base file (a slice of a real export, or a generated
file of every format), zero to two table mutations, a way to write it (CSV dialect, encoding, line
endings; Parquet typing; JSON lines) and zero or one byte-level mutation. `build` writes it."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import gzip
import io
import json
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tests.realdata import REALDATA

REPO_DATA = Path(__file__).parent / "data"

# Per family: the cost column(s) the loader bills from (first present wins, names case-insensitive),
# the timestamp columns, the text columns worth abusing and the tags column.
COST = {
    "focus": ("billedcost",),
    "cur": ("lineitem/unblendedcost",),
    "cur2": ("line_item_unblended_cost",),
    "azure": ("costinbillingcurrency", "cost", "pretaxcost"),
    "gcp": ("cost",),
    "oci": ("cost/mycost",),
}
DATES = {
    "focus": ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart"),
    "cur": ("lineItem/UsageStartDate", "bill/BillingPeriodStartDate"),
    "cur2": ("line_item_usage_start_date", "bill_billing_period_start_date"),
    "azure": ("Date", "date", "BillingPeriodStartDate", "billingPeriodStartDate"),
    "gcp": ("usage_start_time", "usage_end_time"),
    "oci": ("lineItem/intervalUsageStart", "lineItem/intervalUsageEnd"),
}
TEXT = {
    "focus": ("ChargeDescription", "ServiceName", "SubAccountName", "ResourceId"),
    "cur": ("lineItem/LineItemDescription", "lineItem/ResourceId", "product/ProductName"),
    "cur2": ("line_item_line_item_description", "line_item_resource_id", "product_product_name"),
    "azure": ("ResourceId", "ProductName", "MeterName", "meterName", "product", "Product"),
    "gcp": ("sku.description", "project.name", "service.description"),
    "oci": ("product/Description", "product/resourceId", "product/compartmentName"),
}
TAGS = {
    "focus": ("Tags",),
    "azure": ("Tags", "AdditionalInfo", "tags", "additionalInfo"),
    "gcp": ("labels", "system_labels", "project.labels", "credits"),
    "oci": ("tags/Finance.CostCenter",),
    "cur": ("lineItem/ResourceId",),
    "cur2": ("line_item_resource_id",),
}  # the columns that hold JSON (tags, labels, credits), or the nearest text column
# FOCUS says nothing before 2000 or from 2100 on is a real charge period (issue 13, item 1).
DATE_WINDOW = (2000, 2100)


@dataclass
class Table:
    header: list[str]
    rows: list[list[str | None]]

    def index(self, names: tuple[str, ...]) -> list[int]:
        wanted = {n.lower() for n in names}
        return [i for i, h in enumerate(self.header) if h.strip().lower() in wanted]

    def copy(self) -> Table:
        return Table(list(self.header), [list(r) for r in self.rows])


@dataclass(frozen=True)
class Base:
    name: str
    family: str
    container: str  # csv | parquet | jsonl
    make: Callable[[], Table]
    stem: str


def _read_csv(path: Path, limit: int) -> Table:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows: list[list[str | None]] = []
        for record in reader:
            if len(rows) >= limit:
                break
            rows.append(list(record))
    return Table(header, rows)


def _focus_generated() -> Table:
    header = [
        "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingAccountId", "BillingAccountName",
        "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd", "ChargeCategory", "ChargePeriodStart",
        "ChargePeriodEnd", "ProviderName", "ServiceName", "SubAccountName", "RegionId", "ResourceId",
        "ChargeDescription", "Tags",
    ]  # fmt: skip
    rng = random.Random(1234)
    rows: list[list[str | None]] = []
    for i in range(24):
        day = 1 + i % 28
        cost = f"{rng.uniform(0, 500):.6f}" if i % 7 else f"-{rng.uniform(0, 5):.4f}"
        rows.append([
            cost, cost, f"{float(cost) * 1.2:.6f}", cost, "fuzz-acct", "Fuzz, Inc.", "USD",
            "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z", "Usage" if i % 5 else "Credit",
            f"2026-05-{day:02d}T00:00:00Z", f"2026-05-{day:02d}T01:00:00Z", "AWS",
            ["Amazon Elastic Compute Cloud", "Amazon S3", "AWS Lambda"][i % 3], f"team-{i % 4}",
            "us-east-1", f"arn:aws:ec2:us-east-1:1:instance/i-{i:04x}",
            'Compute "on demand", hourly' if i % 2 else "Storage; per GB",
            json.dumps({"team": f"t{i % 3}", "env": "prod" if i % 2 else "dev"}) if i % 4 else "",
        ])  # fmt: skip
    return Table(header, rows)


def _snake(legacy: str) -> str:
    category, _, name = legacy.partition("/")
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", category + "_" + name).lower()


def _cur2() -> Table:
    table = _read_csv(REALDATA / "aws-cur" / "cur-legacy-anonymous.csv", 60)
    return Table([_snake(h) for h in table.header], table.rows)


def _oci() -> Table:
    header = [
        "lineItem/referenceNo", "lineItem/tenantId", "lineItem/intervalUsageStart", "lineItem/intervalUsageEnd",
        "product/service", "product/compartmentId", "product/compartmentName", "product/region",
        "product/resourceId", "usage/billedQuantity", "cost/subscriptionId", "cost/productSku", "product/Description",
        "cost/unitPrice", "cost/myCost", "cost/currencyCode", "cost/overageFlag", "lineItem/isCorrection",
        "tags/Finance.CostCenter",
    ]  # fmt: skip
    rows: list[list[str | None]] = []
    for i in range(12):
        cost = f"{(i + 1) * 1.234567:.9f}"
        rows.append([
            f"r{i}", "ocid1.tenancy.oc1..fuzz", f"2024-03-{1 + i:02d}T00:00Z", f"2024-03-{1 + i:02d}T01:00:00Z",
            ["COMPUTE", "DATABASE", "NETWORK"][i % 3], "ocid1.compartment.oc1..apps", "apps", "eu-frankfurt-1",
            f"ocid1.instance.oc1..{i}", "1", "ocid1.organizationssubscription.oc1..fuzz", "B00001",
            "Compute - Standard - E4 - OCPU", cost, cost, "EUR", "false", "false", str(600000 + i),
        ])  # fmt: skip
    return Table(header, rows)


BASES: dict[str, Base] = {
    b.name: b
    for b in (
        Base("real-focus", "focus", "csv", lambda: _read_csv(REALDATA / "focus" / "focus-1.0-sample.csv", 80), "focus"),
        Base("real-cur", "cur", "csv", lambda: _read_csv(REALDATA / "aws-cur" / "cur-legacy-anonymous.csv", 80), "cur"),
        Base("real-azure-cad", "azure", "csv",
             lambda: _read_csv(REALDATA / "azure" / "ea-actual-anonymous-cad.csv", 100), "azure-ea"),
        Base("real-azure-actual", "azure", "csv",
             lambda: _read_csv(REALDATA / "azure" / "ea-actual-small.csv", 100), "azure-actual"),
        Base("real-gcp", "gcp", "csv",
             lambda: _read_csv(REALDATA / "gcp" / "billing-export-resource-2022-08.csv", 100), "gcp"),
        Base("gen-azure-mca", "azure", "csv", lambda: _read_csv(REPO_DATA / "azure" / "v2-camel-mca.csv", 100), "mca"),
        Base("gen-focus-csv", "focus", "csv", _focus_generated, "focus-gen"),
        Base("gen-focus-parquet", "focus", "parquet", _focus_generated, "focus-gen"),
        Base("gen-focus-jsonl", "focus", "jsonl", _focus_generated, "focus-gen"),
        Base("gen-gcp-jsonl", "gcp", "jsonl",
             lambda: _read_csv(REALDATA / "gcp" / "billing-export-resource-2022-08.csv", 100), "gcp-export"),
        Base("gen-cur2-csv", "cur2", "csv", _cur2, "cur2"),
        Base("gen-cur2-parquet", "cur2", "parquet", _cur2, "cur2"),
        Base("gen-oci", "oci", "csv", _oci, "reports_cost-csv_0000000001"),
        Base("gen-oci-parquet", "oci", "parquet", _oci, "reports_cost-parquet_0000000001"),
        Base("gen-azure-parquet", "azure", "parquet",
             lambda: _read_csv(REALDATA / "azure" / "ea-actual-anonymous-cad.csv", 100), "azure-ea"),
    )
}  # fmt: skip

# ---- table mutations: (table, family, rng) -> what was done ----------------------------------------

EXTREME_NUMBERS = (
    "1e300", "-1e300", "NaN", "inf", "-Infinity", "1" * 5000, "1e-30", "123456789012345678901234567890",
    "1,234.56", "0x1F", "", " 12.5 ", "+7", "1_000", "1e26", "99999999999999.999999999999", "12.5 USD",
)  # fmt: skip
EXTREME_DATES = (
    "-0044-03-15T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2024-02-30T00:00:00Z",
    "not a date", "1700000000", "2024-01-01T00:00:00+14:00", "99999-01-01T00:00:00Z", "1999-12-31T23:00:00Z",
    "2100-01-01T00:00:00Z", "",
)  # fmt: skip
ODD_TEXT = ("\x00", "\u202e", "\U0001f4b8", '"', "'", "=cmd|' /C calc'!A0", "\\", "\ufeff", ";", "\t")


def _pick_row(table: Table, rng: random.Random) -> int | None:
    return rng.randrange(len(table.rows)) if table.rows else None


def _pick_col(table: Table, names: tuple[str, ...], rng: random.Random) -> int | None:
    found = table.index(names)
    return rng.choice(found) if found else None


def _set(table: Table, row: int | None, col: int | None, value: str | None) -> bool:
    if row is None or col is None or col >= len(table.rows[row]):
        return False
    table.rows[row][col] = value
    return True


def drop_column(table: Table, family: str, rng: random.Random) -> str:
    cost = table.index(COST[family])
    col = rng.choice(cost) if cost and rng.random() < 0.3 else rng.randrange(len(table.header))
    name = table.header.pop(col)
    for r in table.rows:
        if col < len(r):
            r.pop(col)
    return f"drop column {name!r}"


def duplicate_column(table: Table, family: str, rng: random.Random) -> str:
    col = rng.randrange(len(table.header))
    table.header.append(table.header[col])
    for r in table.rows:
        r.append(r[col] if col < len(r) else None)
    return f"duplicate column {table.header[col]!r}"


def rename_column(table: Table, family: str, rng: random.Random) -> str:
    col = rng.randrange(len(table.header))
    old = table.header[col]
    table.header[col] = rng.choice([old.upper(), old.lower(), f" {old} ", old + "_x"])
    return f"rename column {old!r} to {table.header[col]!r}"


def extreme_number(table: Table, family: str, rng: random.Random) -> str:
    value = rng.choice(EXTREME_NUMBERS)
    row, col = _pick_row(table, rng), _pick_col(table, COST[family], rng)
    _set(table, row, col, value)
    return f"cost {value[:20]!r} at row {row}"


def extreme_date(table: Table, family: str, rng: random.Random) -> str:
    value = rng.choice(EXTREME_DATES)
    row, col = _pick_row(table, rng), _pick_col(table, DATES[family], rng)
    _set(table, row, col, value)
    return f"date {value!r} at row {row}"


def end_before_start(table: Table, family: str, rng: random.Random) -> str:
    start, end = table.index(DATES[family][:1]), table.index(DATES[family][1:2])
    row = _pick_row(table, rng)
    if not start or not end or row is None:
        return "end before start (no such columns)"
    r = table.rows[row]
    if max(start[0], end[0]) < len(r):
        r[start[0]], r[end[0]] = r[end[0]], r[start[0]]
    return f"end before start at row {row}"


def dates_as_epoch(table: Table, family: str, rng: random.Random) -> str:
    """Every value of one timestamp column as Unix seconds (a Parquet writer then stores integers)."""
    col = _pick_col(table, DATES[family], rng)
    if col is None:
        return "dates as epoch (no such column)"
    for r in table.rows:
        if col < len(r) and r[col]:
            try:
                moment = dt.datetime.fromisoformat(str(r[col]).replace("Z", "+00:00").replace(" UTC", "+00:00"))
            except ValueError:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            r[col] = str(int(moment.timestamp()))
    return f"{table.header[col]!r} as Unix seconds"


def long_string(table: Table, family: str, rng: random.Random) -> str:
    size = rng.choice([70_000, 300_000, 1_100_000])
    row, col = _pick_row(table, rng), _pick_col(table, TEXT[family], rng)
    _set(table, row, col, "x" * size)
    return f"{size}-character text at row {row}"


def odd_text(table: Table, family: str, rng: random.Random) -> str:
    char = rng.choice(ODD_TEXT)
    row, col = _pick_row(table, rng), _pick_col(table, TEXT[family], rng)
    if row is not None and col is not None and col < len(table.rows[row]):
        table.rows[row][col] = f"{table.rows[row][col] or ''}{char}end"
    return f"text with {char!r} at row {row}"


def quoted_newline(table: Table, family: str, rng: random.Random) -> str:
    newline = rng.choice(["\n", "\r\n"])
    row, col = _pick_row(table, rng), _pick_col(table, TEXT[family], rng)
    if row is not None and col is not None and col < len(table.rows[row]):
        table.rows[row][col] = f"first line{newline}second line"
    return f"newline {newline!r} inside a field at row {row}"


def nested_tags(table: Table, family: str, rng: random.Random) -> str:
    depth = rng.choice([3, 200, 5_000, 100_000])
    value, what = '{"a": ' * depth + '"deep"' + "}" * depth, f"nested {depth} deep"
    if rng.random() < 0.3:
        value, what = '{"n": ' + "9" * 5000 + "}", "holding a 5000-digit number"
    col = _pick_col(table, TAGS[family], rng)
    _set(table, _pick_row(table, rng), col, value)
    return f"{table.header[col]!r} {what}" if col is not None else f"tags {what} (no such column)"


def short_row(table: Table, family: str, rng: random.Random) -> str:
    row = _pick_row(table, rng)
    if row is None:
        return "short row (no rows)"
    keep = rng.randrange(1, max(2, len(table.header)))
    table.rows[row] = table.rows[row][:keep]
    return f"row {row} cut to {keep} of {len(table.header)} fields"


def long_row(table: Table, family: str, rng: random.Random) -> str:
    row = _pick_row(table, rng)
    if row is not None:
        table.rows[row] = [*table.rows[row], "surplus", "42"]
    return f"row {row} with two surplus fields"


def duplicate_rows(table: Table, family: str, rng: random.Random) -> str:
    row = _pick_row(table, rng)
    if row is not None:
        table.rows.insert(row, list(table.rows[row]))
    return f"row {row} twice"


def blank_lines(table: Table, family: str, rng: random.Random) -> str:
    at = sorted({rng.randrange(len(table.rows) + 1) for _ in range(2)}, reverse=True)
    for index in at:
        table.rows.insert(index, [])
    return f"blank lines before rows {sorted(at)}"


def trailing_delimiter(table: Table, family: str, rng: random.Random) -> str:
    table.header.append("")
    for r in table.rows:
        r.append("")
    return "a trailing delimiter on every line (an unnamed empty column)"


def header_only(table: Table, family: str, rng: random.Random) -> str:
    table.rows.clear()
    return "header only"


TABLE_MUTATIONS: dict[str, Callable[[Table, str, random.Random], str]] = {
    f.__name__: f
    for f in (
        drop_column, duplicate_column, rename_column, extreme_number, extreme_date, end_before_start, dates_as_epoch,
        long_string, odd_text, quoted_newline, nested_tags, short_row, long_row, duplicate_rows, header_only,
        blank_lines, trailing_delimiter,
    )
}  # fmt: skip
# These keep the file's meaning: a file the csv module reads the same way must load.
MEANING_KEPT = {"quoted_newline", "duplicate_rows", "odd_text", "blank_lines"}


@dataclass(frozen=True)
class Dialect:
    delimiter: str = ","
    quotechar: str = '"'
    quote_all: bool = False
    newline: str = "\n"  # "\n", "\r\n", "\r" or "mixed" (CRLF, the last row LF)
    encoding: str = "utf-8"
    final_newline: bool = True

    @property
    def standard(self) -> bool:
        """Whether any CSV reader should read it without being told the dialect."""
        return self.quotechar == '"' and self.delimiter in (",", ";", "\t") and self.encoding in ("utf-8", "utf-8-sig")


DIALECTS = (
    Dialect(), Dialect(newline="\r\n"), Dialect(newline="\r"), Dialect(newline="mixed"), Dialect(final_newline=False),
    Dialect(delimiter=";"), Dialect(delimiter="\t"), Dialect(delimiter="|"), Dialect(quote_all=True),
    Dialect(quotechar="'"), Dialect(encoding="utf-8-sig"), Dialect(encoding="utf-16"), Dialect(encoding="latin-1"),
    Dialect(newline="\r\n", quote_all=True, encoding="utf-8-sig"),
)  # fmt: skip
BYTE_MUTATIONS = ("truncate", "gzip", "truncated-gzip", "misleading-suffix", "none")
# How the file is named: brackets or stars and question marks a glob would read as a pattern (with a
# decoy the pattern matches), spaces and accents, a link to the data, a link to nothing or to itself.
NAMES = ("plain", "glob", "spaces", "symlink", "star", "broken-link")


@dataclass
class Plan:
    seed: int
    base: str
    table: list[str]
    dialect: int
    typed: bool  # Parquet: typed money and time columns, else all text
    byte: str
    name: str = "plain"  # one of NAMES

    @property
    def id(self) -> str:
        parts = [f"seed{self.seed}", self.base, *self.table]
        if BASES[self.base].container == "csv" and self.dialect:
            parts.append(f"dialect{self.dialect}")
        if self.byte != "none":
            parts.append(self.byte)
        if self.name != "plain":
            parts.append(f"{self.name}-name")
        return "-".join(parts)


def plan(seed: int) -> Plan:
    rng = random.Random(seed)
    base = rng.choice(sorted(BASES))
    count = rng.choices([0, 1, 2], weights=[2, 5, 3])[0]
    mutations = rng.sample(sorted(TABLE_MUTATIONS), count)
    dialect = rng.randrange(len(DIALECTS))
    byte = rng.choices(BYTE_MUTATIONS, weights=[2, 1, 1, 1, 7])[0]
    typed = rng.random() < 0.7
    name = rng.choices(NAMES, weights=[12, 2, 1, 1, 1, 1])[0]
    return Plan(seed, base, mutations, dialect, typed, byte, name)


@dataclass
class Case:
    plan: Plan
    path: Path
    family: str
    container: str  # what the bytes really are: csv | parquet | jsonl
    dialect: Dialect
    gzipped: bool
    done: list[str] = field(default_factory=list)  # what each mutation did, in words

    @property
    def must_load(self) -> bool:
        """Nothing but the spelling changed: a valid file any CSV reader reads must load."""
        return (
            self.container == "csv"
            and self.dialect.standard
            and self.plan.byte in ("none", "gzip")
            and self.plan.name != "broken-link"
            and all(m in MEANING_KEPT for m in self.plan.table)
        )


def _csv_bytes(table: Table, dialect: Dialect) -> bytes:
    buffer = io.StringIO()
    quoting = csv.QUOTE_ALL if dialect.quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(buffer, delimiter=dialect.delimiter, quotechar=dialect.quotechar, quoting=quoting,
                        lineterminator="\n")  # fmt: skip
    writer.writerow(table.header)
    for r in table.rows:
        writer.writerow(["" if v is None else v for v in r])
    lines = buffer.getvalue()
    # csv writes "\n" between records; newlines inside quoted fields are data and stay as they are.
    records = _split_records(lines, dialect)
    ending = {"\n": "\n", "\r\n": "\r\n", "\r": "\r"}.get(dialect.newline, "\r\n")
    text = "".join(rec + (ending if i < len(records) - 1 or dialect.newline != "mixed" else "\n")
                   for i, rec in enumerate(records))  # fmt: skip
    if not dialect.final_newline:
        text = text.rstrip("\r\n")
    encoding = dialect.encoding
    if encoding == "latin-1":
        return text.encode("latin-1", errors="replace")
    return text.encode(encoding)


def _split_records(text: str, dialect: Dialect) -> list[str]:
    """The written records without their "\n" terminators (a quoted field may hold newlines)."""
    out, current, quoted = [], [], False
    for char in text:
        if char == dialect.quotechar:
            quoted = not quoted
        if char == "\n" and not quoted:
            out.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        out.append("".join(current))
    return out


def _number(text: str | None) -> float | None:
    if text is None or text.strip() == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _moments(texts: list[str | None]) -> list[dt.datetime | None] | None:
    """ISO timestamps as naive UTC datetimes; None when one of them is not one."""
    out: list[dt.datetime | None] = []
    for text in texts:
        if text is None:
            out.append(None)
            continue
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            out.append(moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment)
        except (ValueError, OverflowError):
            return None
    return out


def _parquet_bytes(table: Table, family: str, typed: bool) -> bytes:
    columns: list[pa.Array] = []
    money, dates = set(table.index(COST[family])), set(table.index(DATES[family]))
    width = len(table.header)
    rows = [r + [None] * (width - len(r)) for r in table.rows]
    for i in range(width):
        values = [r[i] for r in rows]
        texts = [None if v in (None, "") else v for v in values]
        if typed and i in money and all(v is None or _number(v) is not None for v in texts):
            columns.append(pa.array([_number(v) for v in texts], pa.float64()))
        elif typed and i in dates and texts and all(v is None or re.fullmatch(r"\d{10}", v) for v in texts):
            columns.append(pa.array([None if v is None else int(v) for v in texts], pa.int64()))
        elif typed and i in dates and _moments(texts) is not None:
            columns.append(pa.array(_moments(texts), pa.timestamp("us")))
        else:
            columns.append(pa.array(texts, pa.string()))
    arrow = pa.Table.from_arrays(columns, names=list(table.header))
    sink = io.BytesIO()
    pq.write_table(arrow, sink)
    return sink.getvalue()


GCP_ARRAYS = ("credits", "labels", "project.labels", "system_labels")
GCP_NUMBERS = ("cost", "currency_conversion_rate", "usage.amount", "usage.amount_in_pricing_units")


def _gcp_record(header: list[str], values: list[str | None]) -> dict[str, Any]:
    """One row as BigQuery writes it: `a.b` nested in `a`, label and credit arrays, numbers."""
    record: dict[str, Any] = {}
    for name, value in zip(header, values, strict=False):
        if value is None or value == "":
            continue
        item: Any = value
        if name in GCP_ARRAYS and value.startswith("["):
            try:
                item = ast.literal_eval(value)
            except (ValueError, SyntaxError, RecursionError, MemoryError):
                item = value
        elif name in GCP_NUMBERS and _number(value) is not None:
            item = float(value)
        parent, _, child = name.partition(".")
        if child and isinstance(record.setdefault(parent, {}), dict):
            record[parent][child] = item
        else:
            record[name] = item
    return record


def _jsonl_bytes(table: Table, family: str) -> bytes:
    if family == "gcp":
        lines = [json.dumps(_gcp_record(table.header, r)) if r else "" for r in table.rows]
        return ("\n".join(lines) + "\n").encode()
    money = set(table.index(COST[family]))
    tags = set(table.index(TAGS[family][:1]))
    lines = []
    for r in table.rows:
        if not r:
            lines.append("")
            continue
        parts = []
        for i, value in enumerate(r):
            if i >= len(table.header) or value is None or value == "":
                continue
            text = json.dumps(value)
            if i in money and _number(value) is not None:
                text = repr(float(value)) if math.isfinite(float(value)) else str(float(value))
                text = {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}.get(text, text)
            elif i in tags and value.startswith("{"):
                text = value  # an object, not a string holding one
            parts.append(f"{json.dumps(table.header[i])}: {text}")
        lines.append("{" + ", ".join(parts) + "}")
    return ("\n".join(lines) + "\n").encode()


def _decoy(base: Base) -> bytes:
    """The base file with every cost doubled: loading it instead of the named file shows in the totals."""
    table = base.make().copy()
    for col in table.index(COST[base.family]):
        for r in table.rows:
            value = _number(r[col]) if col < len(r) else None
            if value is not None:
                r[col] = repr(value * 2)
    if base.container == "parquet":
        return _parquet_bytes(table, base.family, True)
    return _jsonl_bytes(table, base.family) if base.container == "jsonl" else _csv_bytes(table, Dialect())


SUFFIXES = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}
MISLEADING = {"csv": (".parquet", ".jsonl", ".csv.gz", ".txt"), "parquet": (".csv", ".jsonl"),
              "jsonl": (".csv", ".parquet", ".json")}  # fmt: skip


def build(p: Plan, folder: Path) -> Case:
    base = BASES[p.base]
    rng = random.Random(p.seed * 7919 + 1)
    table = base.make().copy()
    done = [TABLE_MUTATIONS[name](table, base.family, rng) for name in p.table]
    dialect = DIALECTS[p.dialect] if base.container == "csv" else Dialect()
    if base.container == "csv":
        data = _csv_bytes(table, dialect)
    elif base.container == "parquet":
        data = _parquet_bytes(table, base.family, p.typed)
    else:
        data = _jsonl_bytes(table, base.family)
    suffix = SUFFIXES[base.container]
    gzipped = False
    if p.byte == "truncate" and len(data) > 1:
        cut = rng.randrange(1, len(data))
        data = data[:cut]
        done.append(f"cut at byte {cut}")
    elif p.byte in ("gzip", "truncated-gzip"):
        data, suffix, gzipped = gzip.compress(data, mtime=0), suffix + ".gz", True
        if p.byte == "truncated-gzip":
            data = data[: max(10, len(data) // 2)]
    elif p.byte == "misleading-suffix":
        suffix = rng.choice(MISLEADING[base.container])
    path = folder / f"{base.stem}-{p.seed}{suffix}"
    if p.name == "glob":
        # A name a glob would read as a pattern; the decoy is what that pattern matches.
        path = folder / f"{base.stem}-[{p.seed}]{suffix}"
        (folder / f"{base.stem}-{str(p.seed)[0]}{suffix}").write_bytes(_decoy(base))
    elif p.name == "spaces":
        path = folder / f"{base.stem} (copy) é {p.seed}{suffix}"
    elif p.name == "star":
        path = folder / f"{base.stem}-*{p.seed}?{suffix}"
        (folder / f"{base.stem}-x{p.seed}y{suffix}").write_bytes(_decoy(base))
    if p.name == "symlink":
        # the user names a link; the data lives elsewhere under another name
        target = folder / "store" / f"data-{p.seed}.bin"
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(data)
        path.symlink_to(target)
    elif p.name == "broken-link":
        # a link to a file that is gone, or to itself (a loop): nothing to read, the name must be given
        path.symlink_to(path if p.seed % 2 else folder / "gone" / path.name)
    else:
        path.write_bytes(data)
    return Case(p, path, base.family, base.container, dialect, gzipped, done)
