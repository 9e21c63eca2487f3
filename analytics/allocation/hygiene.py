"""Tag hygiene: which raw tag keys carry how much spend, and which keys or values are spellings of
the same thing (case, spacing, separators, known synonyms), offered as mappings for the rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from analytics.allocation.rules import Rules
from analytics.engine import Engine

# Known synonyms, each group's first entry being the spelling suggested as canonical.
KEY_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("env", "environment", "stage", "environmentname", "envname"),
    ("team", "teamname", "ownerteam", "squad"),
    ("costcenter", "costcentre", "cc"),
    ("app", "application", "appname", "applicationname"),
    ("owner", "owneremail", "contact"),
    ("project", "projectname"),
)
VALUE_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("prod", "production", "prd", "live", "prod1"),
    ("staging", "stage", "stg", "preprod", "preproduction"),
    ("dev", "development", "develop", "devel"),
    ("test", "testing", "tst", "qa"),
    ("sandbox", "sbx", "sand"),
)
_SEPARATORS = re.compile(r"[\s_\-.:/]+")


def folded(text: str) -> str:
    """The spelling-free form of a key or value: lower case, without spaces or separators."""
    return _SEPARATORS.sub("", text.strip().lower())


def _group_of(text: str, synonyms: tuple[tuple[str, ...], ...]) -> str:
    form = folded(text)
    for group in synonyms:
        if form in group:
            return group[0]
    return form


@dataclass(frozen=True)
class Variants:
    """Spellings that mean one thing: `canonical` is suggested (the most-spent spelling, or the
    synonym group's usual name), `aliases` the other spellings, `spend` their EffectiveCost."""

    canonical: str
    aliases: tuple[str, ...]
    spend: float
    reason: str


def key_ranking(engine: Engine, rules: Rules) -> pd.DataFrame:
    """Raw tag keys by the share of EffectiveCost whose rows carry them, with the canonical key each
    becomes under `rules`. The rollup is summed per tag set before the join (a few hundred sets)."""
    frame = engine.query(
        """
        WITH r AS (SELECT x_TagSetId, sum(abs(EffectiveCost)) AS spend FROM daily_costs GROUP BY 1),
        total AS (SELECT sum(spend) AS spend FROM r)
        SELECT t.TagKey AS key, CAST(sum(r.spend) AS DOUBLE) AS spend,
               CAST(100 * sum(r.spend) / any_value(total.spend) AS DOUBLE) AS share,
               count(DISTINCT t.TagValue) AS values
        FROM tag_sets t JOIN r ON r.x_TagSetId = t.x_TagSetId, total
        WHERE t.TagValue IS NOT NULL
        GROUP BY t.TagKey ORDER BY spend DESC, t.TagKey
        """
    )
    frame["becomes"] = [rules.alias_of(k) or k for k in frame["key"]]
    return frame


def key_variants(ranking: pd.DataFrame, rules: Rules) -> list[Variants]:
    """Groups of raw keys that are spellings of one key and are not yet mapped to one canonical key."""
    out = []
    ranking = ranking.assign(group=[_group_of(k, KEY_SYNONYMS) for k in ranking["key"]])
    for group, members in ranking.groupby("group", sort=False):
        if len(members) < 2 or members["becomes"].nunique() == 1:
            continue
        keys = list(members.sort_values("spend", ascending=False)["key"])
        mapped = [k for k in keys if rules.alias_of(k) is not None]
        canonical = rules.alias_of(mapped[0]) if mapped else _preferred(str(group), keys)
        aliases = tuple(k for k in keys if k != canonical and (rules.alias_of(k) or k) != canonical)
        if aliases:
            reason = "synonyms" if len({folded(k) for k in keys}) > 1 else "case or separators"
            out.append(Variants(str(canonical), aliases, float(members["spend"].sum()), reason))
    return sorted(out, key=lambda v: -v.spend)


def value_variants(engine: Engine, key: str) -> list[Variants]:
    """Groups of values of canonical tag `key` (after the applied rules) that are one value spelt
    several ways."""
    frame = engine.query(
        """
        WITH r AS (SELECT x_TagSetId, sum(abs(EffectiveCost)) AS spend FROM daily_costs GROUP BY 1)
        SELECT t.TagValue AS value, CAST(sum(r.spend) AS DOUBLE) AS spend
        FROM alloc_tags t JOIN r ON r.x_TagSetId = t.x_TagSetId
        WHERE t.TagKey = ? AND t.TagValue IS NOT NULL
        GROUP BY 1 ORDER BY spend DESC, 1
        """,
        [key],
    )
    frame["group"] = [_group_of(v, VALUE_SYNONYMS) for v in frame["value"]]
    out = []
    for group, members in frame.groupby("group", sort=False):
        values = list(members["value"])
        if len(values) < 2:
            continue
        canonical = _preferred(str(group), values)
        aliases = tuple(v for v in values if v != canonical)
        reason = "synonyms" if len({folded(v) for v in values}) > 1 else "case or separators"
        out.append(Variants(canonical, aliases, float(members["spend"].sum()), reason))
    return sorted(out, key=lambda v: -v.spend)


def _preferred(group: str, spellings: list[str]) -> str:
    """The synonym group's usual name if one of the spellings is exactly it, else the spelling
    with the most spend (the list comes most-spent first)."""
    return group if group in spellings else spellings[0]
