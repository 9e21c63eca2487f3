"""Tags are parsed once, at ingest, into tag sets: one id per distinct set of key/value pairs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

TagSet = dict[str, str | None]


class UnreadableTags(ValueError):
    """Tags text Python's JSON parser cannot take at all; the message says why, in a few words."""


@dataclass(frozen=True)
class ParsedTags:
    tags: TagSet | None  # None when the text could not be read as tags
    fixed: str | None = None  # what was repaired, for the ingest report


def parse_tags(raw: str) -> ParsedTags:
    """Read a FOCUS Tags value: a JSON object; Azure writes it without the outer braces.
    Raises UnreadableTags for JSON no parser should be asked to read (see checks.py)."""
    text = raw.strip()
    fixed = None
    if text and not text.startswith("{"):
        text = "{" + text + "}"
        fixed = "Tags without outer braces (Azure style) read as a JSON object"
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return ParsedTags(None)
    except RecursionError as exc:
        raise UnreadableTags("nested too deeply to read (hundreds of levels)") from exc
    except ValueError as exc:
        # Python refuses integers of more than 4,300 digits rather than spend quadratic time on them.
        raise UnreadableTags(f"holds a number too long to read ({first_clause(exc)})") from exc
    if not isinstance(value, dict):
        return ParsedTags(None)
    return ParsedTags({str(k): _tag_value(v) for k, v in value.items()}, fixed)


def first_clause(exc: BaseException) -> str:
    return str(exc).split(";")[0].split(":")[0]


def _tag_value(value: object) -> str | None:
    # FOCUS gives valueless tags the value true; keep every value as text so grouping is uniform.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True)


def tag_set_id(tags: TagSet) -> int | None:
    """A stable 64-bit id for a set of tags, the same in every ingest; None for no tags."""
    if not tags:
        return None
    canonical = json.dumps(sorted(tags.items()), ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.blake2b(canonical.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
