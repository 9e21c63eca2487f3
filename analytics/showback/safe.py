"""Text that Excel must show and never evaluate, and valid, unique sheet and table names. Tag values
and resource names come from anyone who can tag a resource, so every data string passes through here."""

from __future__ import annotations

import re

from openpyxl.cell.cell import Cell

# Excel (and the CSV readers that follow it) start a formula with any of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
RESERVED_SHEET_NAMES = {"history"}  # Excel keeps "History" for change tracking


def clean_text(value: object) -> str:
    """The text of `value` without the control characters that XML (and so .xlsx) cannot hold."""
    return _CONTROL.sub("\ufffd", str(value))


def set_text(cell: Cell, value: object) -> None:
    """Write `value` as a string cell: never a formula, whatever it starts with. The quote prefix
    keeps Excel from evaluating it even when someone edits the cell and presses Enter."""
    text = clean_text(value)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True


def sheet_name(wanted: str, used: set[str]) -> str:
    """A valid sheet name close to `wanted`, unique (case-insensitively) among `used`, which it
    joins: no []:*?/\\ characters, no leading or trailing apostrophe, at most 31 characters."""
    base = _SHEET_FORBIDDEN.sub("_", clean_text(wanted)).strip().strip("'").lstrip("=+-@").strip() or "Sheet"
    base = base[:SHEET_NAME_MAX].rstrip("'")
    taken = {u.lower() for u in used} | RESERVED_SHEET_NAMES
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: SHEET_NAME_MAX - len(suffix)].rstrip("'") + suffix
    used.add(name)
    return name


def table_name(wanted: str, used: set[str]) -> str:
    """A valid Excel table name (letters, digits, underscores; starts with a letter), unique."""
    base = re.sub(r"\W", "_", wanted, flags=re.ASCII).strip("_") or "Table"
    if not base[0].isalpha():
        base = "T_" + base
    base = base[:200]
    name, n = base, 1
    while name.lower() in {u.lower() for u in used}:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    return name


def file_name(wanted: str, used: set[str]) -> str:
    """A readable stem for one owner's workbook, safe on Windows, macOS and Linux and in a zip, and
    unique (case-insensitively, as Windows and macOS compare names): "Data & AI" -> "Data-and-AI".
    Letters of any script stay (zip names are UTF-8); "&" reads "and"; every other run of characters
    that a file system or a shell treats specially becomes one hyphen."""
    text = clean_text(wanted).replace("&", " and ")
    base = re.sub(r"[^\w.]+", "-", text, flags=re.UNICODE).replace("_", "-")
    base = re.sub(r"-{2,}", "-", base).strip("-.")[:80].strip("-.") or "owner"
    name, n = base, 1
    while name.lower() in {u.lower() for u in used}:
        n += 1
        name = f"{base}-{n}"
    used.add(name)
    return name
