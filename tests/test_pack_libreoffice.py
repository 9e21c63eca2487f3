"""A real client opens the pack: LibreOffice (Debian's libreoffice-calc-nogui) recalculates every
formula and prints the workbook to PDF, headless. Numbers it computes equal those the pack stores;
the PDF has the pages the sheets' layout calls for, each with its footer; page 1 is kept as a PNG
(tests/artifacts/showback-pack-page1.png, with the PDF beside it) for a reviewer to look at."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from tests.showback_helpers import AT, POOL_RULES, cent, copy_with_rules, generate
from tests.tools import PROJECT, require_libreoffice, require_tool

pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]

ARTIFACTS = PROJECT / "tests" / "artifacts"
HOW_TO_ENABLE_POPPLER = "apt-get install poppler-utils"
# Always recalculate an .xlsx on load (LibreOffice's default asks, or trusts the stored values).
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def _poppler() -> None:
    found = shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdfinfo")
    require_tool("poppler-utils (pdfinfo, pdftotext, pdftoppm)", bool(found), HOW_TO_ENABLE_POPPLER)


@pytest.fixture(scope="module")
def converted(sample_db, tmp_path_factory):
    """The pack as written, and as LibreOffice saves it (recalculated) and prints it."""
    soffice = require_libreoffice()
    _poppler()
    work = tmp_path_factory.mktemp("libreoffice")
    con = copy_with_rules(sample_db, work, POOL_RULES)
    try:
        _, _, content = generate(con)
    finally:
        con.close()
    (work / "pack.xlsx").write_bytes(content)
    _canary(work / "canary.xlsx")
    profile = work / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS)

    def convert(target: str, *files: Path, out: Path) -> None:
        command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target]
        subprocess.run([*command, "--outdir", str(out), *map(str, files)], check=True, capture_output=True, timeout=300)

    convert("xlsx:Calc MS Excel 2007 XML", work / "pack.xlsx", work / "canary.xlsx", out=work / "recalculated")
    convert("pdf", work / "pack.xlsx", out=work)
    return work


def _canary(path: Path) -> None:
    """A formula whose stored value is wrong: LibreOffice must replace it, or it did not recalculate."""
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_formula("A1", "=1+1", None, 5)
    book.close()


def test_libreoffice_recalculates_every_formula_to_the_value_the_pack_stores(converted):
    canary = openpyxl.load_workbook(converted / "recalculated" / "canary.xlsx", data_only=True)
    assert canary.active["A1"].value == 2, "LibreOffice kept the stored value: it did not recalculate"
    stored = openpyxl.load_workbook(converted / "pack.xlsx", data_only=True)
    formulas = openpyxl.load_workbook(converted / "pack.xlsx")
    computed = openpyxl.load_workbook(converted / "recalculated" / "pack.xlsx", data_only=True)
    assert computed.sheetnames == stored.sheetnames
    numbers = recalculated = 0
    for ws in stored:
        theirs = computed[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, int | float):
                    continue
                other = theirs[cell.coordinate].value
                where = f"{ws.title}!{cell.coordinate}"
                assert isinstance(other, int | float), f"{where}: LibreOffice has {other!r}"
                if "%" in (cell.number_format or ""):
                    assert other == pytest.approx(cell.value, rel=1e-9, abs=1e-12), where
                else:
                    assert cent(other) == cent(cell.value), where
                numbers += 1
                recalculated += formulas[ws.title][cell.coordinate].data_type == "f"
    assert numbers > 500 and recalculated >= 8


def expected_pages(ws: openpyxl.worksheet.worksheet.Worksheet) -> int:
    """The pages a sheet is laid out on: the pack plans its page breaks (so that no heading is
    stranded at a page's foot), fitted to one page wide; a page that overflowed would make the
    client add a break of its own, and print more pages than these."""
    return len(ws.row_breaks.brk) + 1


def test_the_printed_pack_has_the_pages_its_sheets_call_for_each_with_its_footer(converted):
    pdf = converted / "pack.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    wb = openpyxl.load_workbook(converted / "pack.xlsx")
    expected = {ws.title: expected_pages(ws) for ws in wb}
    assert pages == sum(expected.values()), expected
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    stamp = f"Generated {AT:%Y-%m-%d %H:%M} UTC"
    footers = [re.search(rf"(\S.*?)\s+Page (\d+) of {pages}\s+{stamp}", page) for page in text.split("\f")[:pages]]
    assert all(footers), "every page has its sheet name, page number and generation time"
    assert [int(f.group(2)) for f in footers if f] == list(range(1, pages + 1))
    printed = Counter(f.group(1).strip() for f in footers if f)
    assert printed == Counter(expected), "each sheet prints on the pages its layout calls for"
    # Fit to one page wide: nothing is cut at the right edge, so no page holds only the right-hand columns.
    assert "Variance (total" in text.split("\f")[1]


def test_page_one_is_rendered_and_kept_as_a_test_artifact(converted):
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(converted / "pack.pdf", ARTIFACTS / "showback-pack.pdf")
    png = ARTIFACTS / "showback-pack-page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(converted / "pack.pdf"), str(png)],
        check=True,
        timeout=120,
    )
    image = png.with_suffix(".png").read_bytes()
    assert image.startswith(b"\x89PNG") and len(image) > 10_000
    wb = openpyxl.load_workbook(io.BytesIO((converted / "pack.xlsx").read_bytes()))
    assert wb.sheetnames[0] == "Cover"  # page 1 is the Cover
