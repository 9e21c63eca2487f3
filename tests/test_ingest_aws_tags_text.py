"""A legacy CUR's tag columns become the same Tags text DuckDB writes for a map of them (to_json),
for keys and values with quotes, backslashes, control characters and non-ASCII text."""

from __future__ import annotations

import json
import random

import duckdb

from analytics.ingest.aws_columns import Columns, quote_ident, quote_text

KEYS = ["team", 'we"ird', "back\\slash", "ünï", "tab\tkey", "ctl\x01", "slash/key", "emoji😀", "quo'te", "sep\u2028"]
VALUES = ["web", "", None, 'a"b', "x\\y", "line\nbreak", "ünï", "\x02", "😀", "it's", "  ", '{"j":1}', "\u2028", "\x7f"]


def test_tag_columns_give_the_json_text_of_their_map() -> None:
    header = [f"resourceTags/user:{key}" for key in KEYS] + ["resourceTags/aws:createdBy"]
    keys = [*KEYS, "aws:createdBy"]
    draw = random.Random(18)
    rows = [[draw.choice(VALUES) for _ in header] for _ in range(400)] + [[None] * len(header), [""] * len(header)]
    con = duckdb.connect()
    con.execute(f"CREATE TABLE raw ({', '.join(f'{quote_ident(h)} VARCHAR' for h in header)})")
    con.executemany(f"INSERT INTO raw VALUES ({', '.join('?' for _ in header)})", rows)
    entries = ", ".join(
        f"{{'k': {quote_text(k)}, 'v': nullif({quote_ident(h)}, '')}}" for h, k in zip(header, keys, strict=True)
    )
    as_map = f"CAST(to_json(map_from_entries(list_filter([{entries}], lambda e: e.v IS NOT NULL))) AS VARCHAR)"
    tags = Columns.of([(h, "VARCHAR") for h in header], snake=False).tags()
    found = con.execute(f"SELECT nullif({as_map}, '{{}}'), {tags} FROM raw").fetchall()
    assert [ours for _, ours in found] == [theirs for theirs, _ in found]
    for record, (_, ours) in zip(rows, found, strict=True):
        expected = {k: v for k, v in zip(keys, record, strict=True) if v}
        assert (json.loads(ours) if ours is not None else {}) == expected
