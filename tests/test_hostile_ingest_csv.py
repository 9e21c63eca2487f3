"""The CSV rule: a file Python's csv module reads with strict=True loads, with the same rows; a row
cut off before its last fields is refused naming the row and the fields expected and found."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics.ingest.csvread import FIELD_LIMIT
from tests.focus_rows import row
from tests.hostile_exports import load
from tests.store_state import fingerprint

DESCRIPTIONS = [
    "plain",
    "two\nlines",
    "crlf\r\ninside",
    'a "quoted" word',
    "semi;colon|pipe\ttab",
    "",
    "ends,with,commas",
]


def records() -> list[dict[str, str]]:
    return [
        {k: "" if v is None else str(v) for k, v in row(BilledCost=f"{i}.{i:02d}", ChargeDescription=d).items()}
        for i, d in enumerate(DESCRIPTIONS, start=1)
    ]


def render(
    rows: list[dict[str, str]],
    delimiter: str = ",",
    ending: str = "\r\n",
    last: str | None = None,
    quoting: int = 0,
    third: str | None = None,
) -> str:
    """CSV text as a spreadsheet or export tool might write it: `ending` after each line, `last`
    after the final one and `third` after the third (None: the same ending)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n", quoting=quoting)
    lines = []
    for values in [list(rows[0]), *[list(r.values()) for r in rows]]:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        lines.append(buffer.getvalue()[:-1])
    ends = [ending] * (len(lines) - 1) + [ending if last is None else last]
    if third is not None:
        ends[2] = third
    return "".join(line + end for line, end in zip(lines, ends, strict=True))


def python_rows(data: bytes, encoding: str, delimiter: str) -> list[dict[str, str]]:
    """The rows as Python's csv module reads them with strict=True: the reference."""
    text = data.decode(encoding)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))


VALID: dict[str, tuple[Callable[[list[dict[str, str]]], bytes], str, str]] = {
    # name: (bytes of the file, its encoding for the reference reader, delimiter)
    "crlf, quoted newlines": (lambda r: render(r).encode(), "utf-8", ","),
    "lf, quoted newlines": (lambda r: render(r, ending="\n").encode(), "utf-8", ","),
    "crlf except a last lf": (lambda r: render(r, last="\n").encode(), "utf-8", ","),
    "lf except a last crlf": (lambda r: render(r, ending="\n", last="\r\n").encode(), "utf-8", ","),
    "cr only": (lambda r: render(r, ending="\r").encode(), "utf-8", ","),
    "crlf with one lf line": (lambda r: render(r, third="\n").encode(), "utf-8", ","),
    "lf with one crlf line": (lambda r: render(r, ending="\n", third="\r\n").encode(), "utf-8", ","),
    "lf with one cr line": (lambda r: render(r, ending="\n", third="\r").encode(), "utf-8", ","),
    "cr with one lf line": (lambda r: render(r, ending="\r", third="\n").encode(), "utf-8", ","),
    "no newline at the end": (lambda r: render(r, last="").encode(), "utf-8", ","),
    "crlf, no newline at the end": (lambda r: render(r, last="").encode(), "utf-8", ","),
    "blank lines at the end": (lambda r: render(r, last="\n\n\n").encode(), "utf-8", ","),
    "every field quoted": (lambda r: render(r, quoting=csv.QUOTE_ALL).encode(), "utf-8", ","),
    "utf-8 byte order mark": (lambda r: render(r).encode("utf-8-sig"), "utf-8-sig", ","),
    "utf-16 le with bom": (lambda r: render(r).encode("utf-16"), "utf-16", ","),
    "utf-16 be with bom": (lambda r: b"\xfe\xff" + render(r).encode("utf-16-be"), "utf-16", ","),
    "utf-16, mixed line endings": (lambda r: render(r, last="\n").encode("utf-16"), "utf-16", ","),
    "semicolons": (lambda r: render(r, delimiter=";").encode(), "utf-8", ";"),
    "tabs, lf": (lambda r: render(r, delimiter="\t", ending="\n").encode(), "utf-8", "\t"),
    "pipes, mixed endings": (lambda r: render(r, delimiter="|", last="\n").encode(), "utf-8", "|"),
    "semicolons, cr only": (lambda r: render(r, delimiter=";", ending="\r").encode(), "utf-8", ";"),
}


def check_same_rows(con: duckdb.DuckDBPyConnection, reference: list[dict[str, str]]) -> None:
    loaded = con.execute("SELECT BilledCost, coalesce(ChargeDescription, '') FROM line_items ORDER BY 1").fetchall()
    expected = sorted((Decimal(r["BilledCost"]), r["ChargeDescription"]) for r in reference)
    assert [(Decimal(str(c)), d) for c, d in loaded] == expected


# UTF-16 inside gzip is refused instead (see the next test).
CASES = [(c, z) for c in sorted(VALID) for z in (False, True) if not (z and VALID[c][1] == "utf-16")]


@pytest.mark.parametrize(("case", "compressed"), CASES)
def test_a_csv_the_csv_module_reads_strictly_loads_with_the_same_rows(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, case: str, compressed: bool
) -> None:
    make, encoding, delimiter = VALID[case]
    data = make(records())
    reference = python_rows(data, encoding, delimiter)
    assert len(reference) == len(DESCRIPTIONS)
    path = tmp_path / ("export.csv.gz" if compressed else "export.csv")
    path.write_bytes(gzip.compress(data) if compressed else data)
    [report] = load(con, path)
    assert report.status == "loaded", report.error
    assert report.rows_loaded == len(reference)
    check_same_rows(con, reference)


def test_utf16_inside_gzip_is_refused_with_what_to_do(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv.gz"
    path.write_bytes(gzip.compress(render(records()).encode("utf-16")))
    [report] = load(con, path)
    assert (
        report.status == "rejected"
        and report.error == f"{path}: UTF-16 text inside a compressed file; save it as UTF-8"
    )


def test_utf16_text_is_decoded_and_the_load_report_says_so(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes(render(records()).encode("utf-16"))
    [report] = load(con, path)
    assert "UTF-16 text decoded to UTF-8" in report.fixes


def test_mixed_line_endings_are_read_by_the_fallback_and_reported(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(render(records(), last="\n").encode())
    [report] = load(con, path)
    [note] = [w for w in report.warnings if "Python's csv module" in w]
    assert f"({len(DESCRIPTIONS)} rows)" in note


@pytest.mark.parametrize("megabytes", [3, 10])
def test_a_field_of_several_megabytes_loads_whole(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, megabytes: int
) -> None:
    big = "x" * (megabytes << 20)
    path = tmp_path / "big.csv"
    path.write_text(render([records()[0], {**records()[1], "ChargeDescription": big}]), encoding="utf-8")
    [report] = load(con, path)
    assert report.status == "loaded", report.error
    assert con.execute("SELECT max(length(ChargeDescription)) FROM line_items").fetchone() == (len(big),)


@pytest.mark.slow
def test_a_field_over_the_limit_is_refused_naming_row_and_limit(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    huge = {**records()[1], "ChargeDescription": "y" * (FIELD_LIMIT + 10)}
    path.write_text(render([records()[0], huge]), encoding="utf-8")
    before = fingerprint(con)
    [report] = load(con, path)
    assert report.status == "rejected"
    assert report.error == (
        f"{path}: row 2 (after line 2): not readable as CSV (a field is longer than the {FIELD_LIMIT >> 20} MB limit)"
    )
    assert fingerprint(con) == before


# ---- rows that lost fields ------------------------------------------------------------------------


def cut(line: str, fields: int) -> str:
    return ",".join(line.split(",")[:fields])


@pytest.mark.parametrize("kept", [1, 3, 8, 12, 16, 17])
@pytest.mark.parametrize("where", [2, 5])
def test_a_row_cut_off_before_its_last_fields_is_refused_naming_row_and_field_counts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, kept: int, where: int
) -> None:
    rows = [{k: "" if v is None else str(v) for k, v in row(ChargeDescription="d", Tags="").items()}] * 6
    lines = render(rows, ending="\n").splitlines()
    width = len(lines[0].split(","))
    lines[where] = cut(lines[where], kept)
    path = tmp_path / "cut.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = fingerprint(con)
    [report] = load(con, path)
    assert report.status == "rejected"
    assert f"{path}: row {where} (line {where + 1}): expected {width} fields, found {kept}" in str(report.error)
    assert fingerprint(con) == before


def test_a_file_cut_off_in_its_last_row_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text = render(records(), ending="\n")
    path = tmp_path / "truncated.csv"
    path.write_text(text[: text.rindex(",2026-05-03")], encoding="utf-8")
    [report] = load(con, path)
    assert report.status == "rejected" and f"row {len(DESCRIPTIONS)} (line" in str(report.error)


def test_a_row_with_more_fields_than_the_header_is_refused(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    lines = render(records()[:1] * 3, ending="\n").splitlines()
    lines[2] += ",surplus"
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [report] = load(con, path)
    assert "row 2 (line 3): expected 18 fields, found 19; more fields than the header names" in str(report.error)


def test_a_header_naming_a_column_no_row_fills_loads_with_a_warning(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = render(records()[:1] * 3, ending="\n").splitlines()
    path = tmp_path / "longer-header.csv"
    path.write_text("\n".join([lines[0] + ",x_Unused", *lines[1:]]) + "\n", encoding="utf-8")
    [report] = load(con, path)
    assert report.status == "loaded" and report.rows_loaded == 3
    assert any("3 rows end before the last 1 columns, which no row fills (x_Unused)" in w for w in report.warnings)


def test_a_short_row_is_refused_when_another_row_fills_the_columns_it_lacks(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = render(records()[:1] * 3, ending="\n").splitlines()
    path = tmp_path / "one-short.csv"
    body = [lines[1] + ",extra value", lines[2], lines[3] + ",another"]
    path.write_text("\n".join([lines[0] + ",x_Note", *body]) + "\n", encoding="utf-8")
    [report] = load(con, path)
    assert "row 2 (line 3): expected 19 fields, found 18" in str(report.error)


def test_invalid_utf8_after_the_first_megabyte_is_refused_not_crashed(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    good = render(records()[:1] * 6000, ending="\n").encode()
    path = tmp_path / "late-latin1.csv"
    path.write_bytes(
        good + render([{**records()[0], "ChargeDescription": "Dépôt"}]).split("\n", 1)[1].encode("latin-1")
    )
    [report] = load(con, path)
    assert report.status == "rejected" and "not UTF-8" in str(report.error)


def test_a_quote_that_is_never_closed_is_refused_naming_the_row(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    lines = render(records()[:1] * 4, ending="\n").splitlines()
    lines[3] = lines[3].replace(",plain", ',"plain', 1)
    path = tmp_path / "open-quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [report] = load(con, path)
    assert report.status == "rejected" and f"{path}: row 3" in str(report.error)
