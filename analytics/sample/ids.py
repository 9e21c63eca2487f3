"""Stable identifiers derived from hashes, so the same inputs always name things the same way."""

from __future__ import annotations

import hashlib


def digest(*parts: object) -> str:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=32).hexdigest()


def stable_code(length: int, *parts: object) -> str:
    """A stable upper-case code like AWS SKU ids (JRTCKXETXF): digits and letters from a hash."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    number = int(digest(*parts), 16)
    chars = []
    for _ in range(length):
        number, rest = divmod(number, len(alphabet))
        chars.append(alphabet[rest])
    return "".join(chars)


def sku_id(provider: str, *parts: object) -> str:
    if provider == "gcp":
        h = digest(provider, *parts).upper()
        return f"{h[:4]}-{h[4:8]}-{h[8:12]}"
    return stable_code(10 if provider == "aws" else 12, provider, *parts)
