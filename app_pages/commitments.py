"""Commitments: coverage, utilisation and savings rate today; what to buy, and the curve behind it."""

import streamlit as st

from ui import commitments as ui
from ui import contract_terms, filters
from ui.commitments import HORIZONS_MONTHS, INSTRUMENTS, LOOKBACKS, charts, level_figures, summarise

st.title("Commitments", anchor=False)
view = filters.current()
if view is None:
    st.info("No cost data is loaded yet. See the Data page for how to load your exports.")
    st.stop()
cur, start, end = view.currency, view.start, view.end
st.caption(f"{start} to {end} (UTC), money in {cur}. Only the sidebar's dates and currency apply on this page.")
k = ui.kpis(cur, start, end)
ui.tiles(k)

today_tab, whatif_tab, expiry_tab = st.tabs(["Today", "What to buy", "Expiring"])
with today_tab:
    ui.today_section(cur, start, end)
    contract_terms.section()  # the Contract Commitment dataset's terms and what was applied to them

with whatif_tab:
    c1, c2, c3, c4 = st.columns(4)
    kind = c1.selectbox(
        "Instrument", list(INSTRUMENTS), format_func=lambda k: INSTRUMENTS[k].label, key="commitments_type"
    )
    term = c2.radio("Term (years)", [1, 3], horizontal=True, key="commitments_term")
    payment = c3.selectbox("Payment", ui.rates().payments(kind, term), key="commitments_payment")
    lookback = c4.selectbox("Lookback (days)", LOOKBACKS, index=1, key="commitments_lookback")
    rate = st.number_input(
        "Discount rate (0 = as realised in your data, else the default table)", 0.0, 0.95, 0.0, 0.01,
        key="commitments_discount",
    )  # fmt: skip
    plan = ui.plan(cur, lookback, kind, term, payment, rate or None, 12)
    if plan is None or not plan.now:
        ui.nothing_eligible(cur, lookback, kind)
    else:
        ui.daily_warning(plan)
        best, safe = summarise(plan.now, "max"), summarise(plan.now, "conservative")
        st.markdown(
            f"**Recommendation: {ui.md_money(best.hourly_commitment, cur)}/h**, saving "
            f"{ui.md_money(best.net_savings_monthly, cur)} a month (conservative: "
            f"{ui.md_money(safe.hourly_commitment, cur)}/h). Sized on the usage your current commitments "
            "leave on demand; commitments ending within 14 days count as gone."
        )
        result = plan.now[ui.family_choice(plan)]
        top = float(result.curve["hourly_commitment"].max()) or 1.0
        level = st.slider(
            f"Your level ({cur}/h)", 0.0, top, float(result.markers["max"]), top / 200, key="commitments_level"
        )
        shown = {**result.figures, "custom": level_figures(result.prepared, result.window, level, term, payment)}
        savings = {m: f.net_savings_monthly for m, f in shown.items()}
        chart = charts.savings_curve(result.curve, {**result.markers, "custom": level}, savings, cur)
        st.altair_chart(chart, width="stretch", theme=None)
        st.dataframe(ui.figures_table(shown, cur), hide_index=True, width="stretch")
        st.caption(f"Per 730-hour month, judged on the last {lookback} days of usage.")
        with st.expander("Discount rates used"):
            ui.show_rates(plan.rates)
        st.subheader("If usage drops", anchor=False)
        stress, drop = ui.stress_frame(result, level, term, payment)
        st.altair_chart(charts.stress_bars(stress, cur), width="stretch", theme=None)
        st.write(
            "At this level: it does not save even now."
            if drop is None
            else f"At this level the commitment stops saving if usage falls by {drop:.0%} or more."
        )

with expiry_tab:
    horizon = st.selectbox("Horizon (months)", HORIZONS_MONTHS, index=2, key="commitments_horizon")
    later = ui.plan(cur, lookback, kind, term, payment, rate or None, horizon)
    if later is None or later.expiring.empty:
        st.info(f"No commitment is estimated to end in the next {horizon} months.")
    else:
        ui.show_inventory(ui.inventory_table(later.expiring, cur), cur)
        cliff = charts.coverage_cliff(later.coverage_now or 0.0, later.coverage_after or 0.0, horizon)
        st.altair_chart(cliff, width="stretch", theme=None)
        after, now = summarise(later.after, "max"), summarise(later.now, "max")
        extra = after.hourly_commitment - now.hourly_commitment
        st.markdown(
            f"Coverage of the {INSTRUMENTS[kind].label} families falls from {ui.pct(later.coverage_now)} to "
            f"{ui.pct(later.coverage_after)}. Sized on the residual demand the remaining commitments leave, hold "
            f"**{ui.md_money(after.hourly_commitment, cur)}/h** in total once they have expired; it would save "
            f"{ui.md_money(after.net_savings_monthly, cur)} a month. "
            + (
                f"That is {ui.md_money(extra, cur)}/h more than today's recommendation."
                if extra > 0.005
                else "Today's recommendation already includes it (commitments ending within 14 days count as gone)."
            )
        )
