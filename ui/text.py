"""Showing text that came from the data or a URL inside Markdown without it being interpreted."""

from __future__ import annotations

MAX_SHOWN = 80


def inline_code(text: object) -> str:
    """`text` as a Markdown code span: no emphasis, links, emoji, colours or maths inside.
    Backticks and line breaks are replaced so the span cannot be closed early; long text is cut."""
    shown = str(text).replace("`", "ʼ").replace("\r", " ").replace("\n", " ")
    if len(shown) > MAX_SHOWN:
        shown = shown[: MAX_SHOWN - 1] + "…"
    return f"`{shown}`" if shown.strip() else "`(empty)`"


_MARKDOWN = set("\\`*_{}[]()<>#+-.!|~$:")


def plain(text: object) -> str:
    """`text` inside Markdown shown as written: every character Markdown could read is escaped."""
    return "".join("\\" + c if c in _MARKDOWN else c for c in str(text).replace("\n", " "))
