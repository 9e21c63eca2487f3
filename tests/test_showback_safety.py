"""Tag values are written as text (never formulas), sheet names are valid and unique, and a pack is
the same every time apart from when it was generated."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest

from analytics.allocation.apply import apply_rules
from analytics.allocation.rules import parse_rules
from analytics.showback.cents import allocate_cents
from analytics.showback.safe import sheet_name
from tests.showback_helpers import AT, copy_with_rules, generate

HYPERLINK = '=HYPERLINK("http://x","click")'
FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@pytest.fixture
def hostile(sample_db, tmp_path):
    """The sample with one team renamed to a formula and another to a long, forbidden name."""
    con = copy_with_rules(sample_db, tmp_path)
    con.execute("UPDATE tag_sets SET TagValue = ? WHERE TagKey = 'team' AND TagValue = 'payments'", [HYPERLINK])
    long_name = "checkout/[ops]: a team name far longer than thirty-one characters?"
    con.execute("UPDATE tag_sets SET TagValue = ? WHERE TagKey = 'team' AND TagValue = 'checkout'", [long_name])
    con.execute("UPDATE tag_sets SET TagValue = ? WHERE TagKey = 'team' AND TagValue = 'catalog'", [long_name + "!"])
    apply_rules(con, parse_rules("", "no rules"))
    yield con
    con.close()


def test_a_formula_in_a_tag_value_is_stored_as_text(hostile):
    _, wb, content = generate(hostile)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value == HYPERLINK]
    assert cells, "the tag value should appear in the pack"
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
        strings = archive.read("xl/sharedStrings.xml").decode()
    assert not re.search(r"<f>[^<]*HYPERLINK", xml)  # no cell formula (charts name the sheet, harmlessly)
    # The text is a shared string, and the cells holding it are string cells (t="s"), not formulas.
    assert re.search(r"<t[^>]*>=HYPERLINK\(", strings)
    assert re.search(r'<c r="A\d+" [^>]*t="s"', xml)


def test_sheet_names_are_valid_and_unique(hostile):
    _, wb, _ = generate(hostile)
    names = wb.sheetnames
    assert len({n.lower() for n in names}) == len(names)
    for name in names:
        assert 0 < len(name) <= 31 and not FORBIDDEN.search(name) and not name.startswith("'"), name
    assert names[:3] == ["Cover", "Summary", "By service"]
    assert names[-3:] == ["Shared costs", "Unallocated", "Reconciliation"]


@pytest.mark.parametrize(
    "wanted",
    ["Summary", "summary", "History", "'quoted'", "a" * 40, "x/y\\z[1]:*?", "", "   ", "=SUM(A1)", "a" * 31],
)
def test_any_owner_name_gives_a_valid_unique_sheet_name(wanted):
    used = {"Cover", "Summary"}
    first = sheet_name(wanted, used)
    second = sheet_name(wanted, used)
    for name in (first, second):
        assert not name.startswith(("=", "+", "-", "@"))
        assert 0 < len(name) <= 31 and not FORBIDDEN.search(name), name
        assert not name.startswith("'") and not name.endswith("'")
        assert name.lower() not in {"cover", "summary", "history"}
    assert first.lower() != second.lower()


@pytest.mark.slow
def test_generation_is_deterministic_apart_from_the_timestamp(sample_db, tmp_path):
    con = copy_with_rules(sample_db, tmp_path)
    try:
        _, first, _ = generate(con, at=AT)
        _, second, _ = generate(con, at=AT + dt.timedelta(hours=5))
    finally:
        con.close()
    assert first.sheetnames == second.sheetnames
    differences = []
    for a, b in zip(first, second, strict=True):
        assert a.dimensions == b.dimensions and list(a.tables) == list(b.tables)
        for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True):
            differences += [(a.title, x.coordinate) for x, y in zip(row_a, row_b, strict=True) if x.value != y.value]
    assert len(differences) == 1 and differences[0][0] == "Cover"  # the "Generated at" cell only


@pytest.mark.parametrize("parts", [[0.333, 0.333, 0.334], [1.005, 2.675, -0.125], [10.0], [0.004] * 7, []])
def test_penny_allocation_keeps_each_part_within_a_cent_and_the_sum_exact(parts):
    from decimal import Decimal

    rounded = allocate_cents(parts)
    exact = [Decimal(repr(p)) for p in parts]
    assert sum(rounded, Decimal(0)) == sum(exact, Decimal(0)).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    assert all(abs(r - e) < Decimal("0.01") for r, e in zip(rounded, exact, strict=True))


@pytest.mark.parametrize(
    ("parts", "target"),
    [([0.333, 0.333, 0.334], "1.01"), ([1.005, 2.675, -0.125], "3.54"), ([0.004] * 7, "0.00"), ([5.0, 5.0], "10.05")],
)
def test_penny_allocation_to_a_total_rounded_elsewhere_reaches_it_exactly(parts, target):
    from decimal import Decimal

    from analytics.showback.cents import allocate_to

    rounded = allocate_to(parts, Decimal(target))
    assert sum(rounded, Decimal(0)) == Decimal(target)
    assert all(abs(r - Decimal(repr(p))) <= Decimal("0.03") for r, p in zip(rounded, parts, strict=True))
