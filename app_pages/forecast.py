"""Forecast: daily spend ahead with its 80% interval, month and quarter totals, how well the model
did on the past (it scores itself), and budgets per owner (edited by admins only)."""

import streamlit as st

from ui import filters, read_only
from ui import forecast as fc
from ui import format as fmt
from ui.text import inline_code

st.title("Forecast", anchor=False)
view = filters.current()
if view is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()
currency = view.currency
result = fc.forecast_for(view.filters, currency)
scope = "; ".join(
    f"{inline_code(d)} = {', '.join(inline_code('(not set)' if v is None else v) for v in vs)}"
    for d, vs in view.filters.where
)
st.caption(
    f"Effective cost (amortised) in {currency}, without purchases, tax and credits, for "
    f"{scope or 'everything'} (the sidebar's filters; its dates do not apply: the model "
    "learns from all history). Days are UTC."
)
if isinstance(result, str):
    st.info(f"Nothing to forecast: {result}. Clear some filters in the sidebar.")
    st.stop()
if result.note:
    st.warning(result.note, icon=":material/info:")

left, middle, right = st.columns(3)
with left:
    fc.period_metric(f"Month end ({result.month_end.end:%d %b})", result.month_end, currency)
with middle:
    fc.period_metric(f"Quarter end ({result.quarter_end.end:%d %b})", result.quarter_end, currency)
with right:
    excluded = result.excluded_to_date(result.month_end.start)
    st.metric("Purchases, tax and credits this month", fc.money_text(sum(excluded.values()), currency), border=True)
    st.caption(", ".join(f"{k} {fc.money_text(v, currency)}" for k, v in sorted(excluded.items())) or "None so far")
st.altair_chart(fc.forecast_chart(result), width="stretch", theme=None)
st.caption(f"Black: actual. Blue dashes: median forecast; band: 80% interval. {fc.interval_methods(result)}")

st.subheader("How good is this forecast?", anchor=False)
scores = result.backtest
if scores.wape is None or scores.naive_wape is None or scores.coverage_80 is None:
    st.info("Not enough history to backtest yet: a backtest needs at least two months.")
else:
    a, b, c, d = st.columns(4)
    a.metric("WAPE (model)", f"{scores.wape:.1%}", help="Σ|actual − forecast| / Σ actual on held-out days")
    b.metric("WAPE (naive same weekday)", f"{scores.naive_wape:.1%}", help="Each day repeats the last same weekday")
    c.metric("80% interval covered", f"{scores.coverage_80:.0%}", help="Share of held-out days inside the interval")
    d.metric("MAPE", "–" if scores.mape is None else f"{scores.mape:.1%}")
    verdict = "beats" if scores.wape < scores.naive_wape else "does not beat"
    st.caption(
        f"Rolling-origin backtest: {scores.folds} folds of 30 days, each forecast from the days before it. "
        f"The model {verdict} the naive baseline."
    )
    variance, mark = fc.accuracy(result)
    if variance is not None:
        st.write(
            f"Month totals forecast on each month's 1st, last {len(result.months)} months: mean variance "
            f"**{variance:.1%}** — {mark} (community sample goals: {fc.VARIANCE_GOALS})."
        )
        fmt.table(
            fmt.as_percent(fc.months_table(result), ["Variance"]),
            {
                "Forecast on the 1st": fmt.money("Forecast on the 1st", currency),
                "Actual": fmt.money("Actual", currency),
                "Variance": fmt.percent("Variance", signed=True),
            },
            width="content",
        )
    with st.expander("Held-out days of the backtest"):
        st.altair_chart(fc.backtest_chart(result), width="stretch", theme=None)

st.subheader("Budgets", anchor=False)
problem = fc.sync_budgets()
if problem:
    fc.budget_problem(problem)
status = fc.budget_status(currency)
if status.empty:
    hint = " Add rows below (owner dimension such as tag:team, owner, month, amount)." if read_only.can_write() else ""
    st.info(f"No budget for this month.{hint}")
else:
    fc.show_budget_status(status, currency)
    st.caption("Actual is all effective cost so far; projected adds the forecast median.")
fc.budget_editor()
