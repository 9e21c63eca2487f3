"""Two views of one delivery -- actual (invoiced) and amortized -- combined into one set of rows.

A format labels each staged row `<format>-actual` or `<format>-amortized` (x_SourceFormat). Stored
rows keep the label of the views they hold (`<format>-actual+amortized` once combined), so each view
can be read back: the actual view is the rows holding it, priced at BilledCost; the amortized view
the rows holding it, priced at EffectiveCost. A new file replaces its own view of its delivery keys
(ProviderName, BillingAccountId, BillingPeriodStart), except earlier parts of the same ingest batch,
which it joins; the other view is kept. The views are then matched row for row on what describes a
charge, and every row takes BilledCost from the actual and EffectiveCost from the amortized view:
a row only one view has gets 0 for the other's metric. So, whatever the matching, Σ BilledCost is
the actual view's total and Σ EffectiveCost the amortized view's. While a delivery has one view only,
the other metric is that view's estimate, as the format staged it."""

from __future__ import annotations

from analytics.engine import Connection
from analytics.ingest.report import IngestReport
from analytics.schema import FOCUS_COLUMNS

LABEL = "x_SourceFormat"
ACTUAL, AMORTIZED = "actual", "amortized"
# What describes one charge in both views (costs differ between the views, nothing else should).
MATCH = (
    "ProviderName",
    "BillingAccountId",
    "BillingPeriodStart",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargeCategory",
    "PricingCategory",
    "SubAccountId",
    "ResourceId",
    "RegionId",
    "SkuMeter",
    "ChargeDescription",
    "CommitmentDiscountId",
    "PricingQuantity",
    "ConsumedQuantity",
    "Tags",
)
DELIVERY = ("ProviderName", "BillingAccountId", "BillingPeriodStart")


def combine(con: Connection, staged: str, report: IngestReport, batch: str) -> None:
    """Rewrite `staged` (one view of a file) as the combined rows of its deliveries."""
    labels = [r[0] for r in con.execute(f"SELECT DISTINCT {LABEL} FROM {staged}").fetchall()]
    if len(labels) != 1 or not str(labels[0]).endswith((f"-{ACTUAL}", f"-{AMORTIZED}")):
        raise ValueError(f"a staged view needs one label <format>-actual|amortized, not {labels}")
    fmt, view = str(labels[0]).rsplit("-", 1)
    other = AMORTIZED if view == ACTUAL else ACTUAL
    present = {r[0] for r in con.execute(f"DESCRIBE {staged}").fetchall()}
    focus_cols = ", ".join(
        f'"{c}"' if c in present else f'CAST(NULL AS {t}) AS "{c}"' for c, t in FOCUS_COLUMNS.items()
    )
    same = " AND ".join(f't."{k}" IS NOT DISTINCT FROM d."{k}"' for k in DELIVERY)
    views = f"string_split(split_part(t.{LABEL}, '-', -1), '+')"
    # Stored rows of these deliveries, with the views each holds; parts of this batch stay in.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _stored_views AS
        SELECT t.*, list_contains({views}, $1) AS _has_actual, list_contains({views}, $2) AS _has_amortized,
               s.x_IngestBatch = $3 AS _this_batch
        FROM line_items t JOIN sources s USING (x_SourceId)
        WHERE t.{LABEL} LIKE $4 AND EXISTS (SELECT 1 FROM {staged} d WHERE {same})""",
        [ACTUAL, AMORTIZED, batch, f"{fmt}-%"],
    )
    mine = f"_has_{view}"
    new_cost, other_cost = _metric(view), _metric(other)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _view_{view} AS
        SELECT {focus_cols}, "{new_cost}" AS _cost FROM {staged}
        UNION ALL BY NAME
        SELECT {focus_cols}, "{new_cost}" AS _cost FROM _stored_views WHERE {mine} AND _this_batch"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _view_{other} AS
        SELECT {focus_cols}, "{other_cost}" AS _cost FROM _stored_views WHERE _has_{other}"""
    )
    kept = (con.execute(f"SELECT count(*) FROM _view_{other}").fetchone() or (0,))[0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE _views_combined AS {_combine_sql(fmt)}")
    con.execute(f"DROP TABLE {staged}")
    con.execute(f"ALTER TABLE _views_combined RENAME TO {staged}")
    for table in ("_stored_views", "_view_actual", "_view_amortized"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    if not kept:
        report.warn(_ONE_VIEW[view])
    else:
        report.fix(
            f"combined with the {other} view already loaded ({kept:,} rows): BilledCost from the actual, "
            "EffectiveCost from the amortized view, each charge counted once"
        )


_ONE_VIEW = {
    ACTUAL: "actual view only: EffectiveCost equals BilledCost (not amortised) until the amortized view is loaded",
    AMORTIZED: "amortized view only: BilledCost leaves out commitment purchases until the actual view is loaded",
}


def _metric(view: str) -> str:
    return "BilledCost" if view == ACTUAL else "EffectiveCost"


def _combine_sql(fmt: str) -> str:
    numbered = ", ".join(f'"{k}"' for k in MATCH)
    on = " AND ".join(f'a."{k}" IS NOT DISTINCT FROM m."{k}"' for k in MATCH)
    delivery = ", ".join(f'coalesce(m."{k}", a."{k}")' for k in DELIVERY)
    described = ", ".join(
        f'CASE WHEN m._n IS NULL THEN a."{c}" ELSE m."{c}" END AS "{c}"'
        for c in FOCUS_COLUMNS
        if c not in ("BilledCost", "EffectiveCost")
    )
    label = (
        f"'{fmt}-' || CASE WHEN a._n IS NOT NULL AND m._n IS NOT NULL THEN 'actual+amortized' "
        "WHEN a._n IS NOT NULL THEN 'actual' ELSE 'amortized' END"
    )
    # Duplicate descriptions pair off in cost order; a delivery missing a view keeps the estimate.
    return f"""
    WITH a AS (SELECT *, row_number() OVER (PARTITION BY {numbered} ORDER BY _cost) AS _n FROM _view_actual),
         m AS (SELECT *, row_number() OVER (PARTITION BY {numbered} ORDER BY _cost) AS _n FROM _view_amortized),
         pairs AS (
            SELECT a._n AS a_n, a._cost AS a_cost, a."EffectiveCost" AS a_effective,
                   m._n AS m_n, m._cost AS m_cost, m."BilledCost" AS m_billed, {described},
                   {label} AS {LABEL},
                   bool_or(a._n IS NOT NULL) OVER (PARTITION BY {delivery}) AS has_actual,
                   bool_or(m._n IS NOT NULL) OVER (PARTITION BY {delivery}) AS has_amortized
            FROM a FULL OUTER JOIN m ON {on} AND a._n = m._n)
    SELECT * EXCLUDE (a_n, a_cost, a_effective, m_n, m_cost, m_billed, has_actual, has_amortized),
           CASE WHEN has_actual THEN coalesce(a_cost, 0) ELSE m_billed END AS "BilledCost",
           CASE WHEN has_amortized THEN coalesce(m_cost, 0) ELSE a_effective END AS "EffectiveCost"
    FROM pairs"""
