"""The Allocation page's three tabs: coverage, tag hygiene, and the rules (form, YAML, preview, save;
for a user who is not an admin, the rules read-only, and only to one who sees all spend)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.allocation import charts, edit, hygiene
from analytics.allocation.coverage import Allocated, unowned_values
from analytics.allocation.rules import SPLITS, Rules
from analytics.charts import money_text
from analytics.maturity import Kpi, goals_text
from analytics.schema import EVERYTHING, ROLLUP_DIMENSIONS
from ui import allocation, queries, read_only
from ui import format as fmt
from ui.filters import View
from ui.text import inline_code


def kpis(share: Allocated, currency: str, rules: Rules) -> None:
    cols = st.columns(3)
    if share.owner_dimension is None:
        cols[0].metric("% of spend allocated", "—", help="No owner dimension: add `owner:` to the rules.")
        return
    cols[0].metric(
        f"% of spend allocated ({share.owner_dimension})",
        f"{share.percent:.1f}%",
        delta=share.mark,
        delta_color="off",
        help=f"Spend with an owner after the rules. FinOps maturity marks: {goals_text(Kpi.ALLOCATED)}.",
    )
    cols[1].metric("Unallocated", money_text(share.total - share.allocated, currency))
    unowned = [v for v in unowned_values(rules, share.owner_dimension) if v]
    pools = ", ".join(p.name for p in rules.pools) or "none"
    cols[2].metric("Shared costs split onto owners", money_text(share.shared, currency), help=f"Pools: {pools}")
    if unowned:
        st.caption(f"No owner means not set, or {', '.join(inline_code(v) for v in unowned)}.")


def coverage_tab(view: View) -> None:
    history = allocation.allocated(EVERYTHING, view.currency).by_month
    if not history.empty:
        st.markdown("**% of spend allocated, by month** (all the data)")
        span = queries.data_span()
        st.altair_chart(charts.allocated_trend(history, span[1] if span else None), width="stretch", theme=None)
    overall = allocation.tag_coverage(view.filters, None, view.currency)
    if overall.empty:
        st.info("No tags in the data for these dates.")
        return
    st.markdown("**Cost-weighted tag coverage** (after key normalisation, before shared costs are split)")
    st.altair_chart(charts.coverage_bars(overall), width="stretch", theme=None)
    keys = list(overall.sort_values("percent", ascending=False)["key"])
    for title, by in (("By account", "SubAccountName"), ("By team", "tag:team")):
        if by.startswith("tag:") and by[4:] not in keys:
            continue
        st.markdown(f"**{title}** ({inline_code(by)}): % of each group's spend carrying each key")
        st.caption("Spend here leaves credits out: they carry no resource's tags.")
        pivot = allocation.coverage_pivot(allocation.tag_coverage(view.filters, by, view.currency), keys)
        config = {k: fmt.share_bar(k) for k in keys}
        config["Spend"] = fmt.money("Spend", view.currency)
        fmt.table(pivot, config, hide_index=False)
    first = sorted(keys, key=lambda k: k != "team")  # the usual owner key first
    key = st.selectbox("Top untagged resources, for the tag key", first, key="alloc_untagged_key")
    fmt.table(
        allocation.untagged(view.filters, key, view.currency),
        {"cost": fmt.money(fmt.label("EffectiveCost"), view.currency)},
    )


def _map_button(label: str, key: str, text: str, notice: str) -> None:
    if st.button(label, key=key, icon=":material/add_link:"):
        allocation.set_draft(text, notice)
        st.rerun()


def hygiene_tab(rules: Rules, editable: bool = True) -> None:
    """Keys and values spelt several ways; an admin maps them onto one spelling in the draft."""
    if not editable:
        read_only.note("map spellings onto one in the allocation rules")
    ranking = allocation.key_ranking(rules)
    st.markdown("**Tag keys by the share of spend that carries them** (as loaded, before the rules)")
    fmt.table(
        ranking.rename(columns={"share": "% of spend", "becomes": f"under the {'draft ' if editable else ''}rules"}),
        {
            "% of spend": fmt.share_bar("% of spend"),
            "spend": st.column_config.NumberColumn("Spend (billing currencies)", format=fmt.MONEY_FORMAT),
        },
    )
    variants = hygiene.key_variants(ranking, rules)
    st.markdown("**Keys spelt several ways**")
    if not variants:
        st.caption("None: every spelling found is already mapped to one key.")
    for i, v in enumerate(variants):
        names = ", ".join(inline_code(a) for a in v.aliases)
        st.write(f"{names} → {inline_code(v.canonical)} ({v.reason}; {v.spend:,.0f} of spend)")
        if editable:
            text = edit.add_key_aliases(allocation.draft(), v.canonical, list(v.aliases))
            _map_button(f"Map onto {v.canonical}", f"alloc_map_key_{i}", text, f"Mapped {names} onto `{v.canonical}`.")
    st.markdown("**Values spelt several ways** (of the keys as the rules in force name them)")
    key = st.selectbox("Tag key", [k for k in dict.fromkeys(ranking["becomes"])], key="alloc_values_key")
    found = allocation.value_variants(key) if key else []
    if not found:
        st.caption("None found for this key.")
    for i, v in enumerate(found):
        names = ", ".join(inline_code(a) for a in v.aliases)
        st.write(f"{names} → {inline_code(v.canonical)} ({v.reason}; {v.spend:,.0f} of spend)")
        if editable:
            text = edit.add_value_aliases(allocation.draft(), key, v.canonical, list(v.aliases))
            _map_button(
                f"Map onto {v.canonical}", f"alloc_map_value_{i}", text, f"Mapped {names} onto `{v.canonical}`."
            )


def pool_form(rules: Rules, view: View) -> None:
    """Add or replace a shared-cost pool: which rows, to which owners, how split."""
    cols = st.columns([1, 1, 2])
    name = cols[0].text_input("Pool name", key="alloc_pool_name", placeholder="e.g. Support")
    choices = _condition_dimensions(rules)
    dimension = cols[1].selectbox("Rows where", choices, index=choices.index("ServiceName"), key="alloc_pool_dim")
    options = [v for v in queries.dimension_values(dimension, view.filters) if v is not None]
    values = cols[2].multiselect("is one of", options, key="alloc_pool_values")
    owners = [*(d.dimension for d in rules.dimensions), *(d for d in queries.dimensions() if d.startswith("tag:"))]
    cols = st.columns([1, 1, 2])
    to = cols[0].selectbox("Split onto the owners of", owners, key="alloc_pool_to") if owners else None
    split = cols[1].radio("Split", SPLITS, horizontal=True, key="alloc_pool_split")
    weights: dict[str, float] = {}
    if split == "fixed" and to is not None:
        table = st.data_editor(
            pd.DataFrame({"owner": pd.Series(dtype=str), "percent": pd.Series(dtype=float)}),
            num_rows="dynamic",
            key="alloc_pool_weights",
            column_config={"percent": st.column_config.NumberColumn("percent", min_value=0, max_value=100)},
        )
        filled = table.dropna()
        weights = {str(o): float(p) for o, p in zip(filled["owner"], filled["percent"], strict=True)}
    if st.button("Add to the draft", key="alloc_pool_add", disabled=not (name and values and to)):
        pool = {"name": name, "when": {dimension: values}, "to": to, "split": split, "weights": weights}
        allocation.set_draft(edit.set_pool(allocation.draft(), pool), f"Pool `{name}` added to the draft.")
        st.rerun()
    if rules.pools:
        cols = st.columns([2, 1])
        drop = cols[0].selectbox("Remove a pool", [p.name for p in rules.pools], key="alloc_pool_drop")
        if cols[1].button("Remove from the draft", key="alloc_pool_remove") and drop:
            allocation.set_draft(edit.remove_pool(allocation.draft(), drop), f"Pool `{drop}` removed from the draft.")
            st.rerun()


def dimension_form(rules: Rules, view: View) -> None:
    """Add a rule to a virtual dimension (or start a new one): rows where a dimension has one of
    some values get this value."""
    cols = st.columns([1, 1, 1])
    names = [d.name for d in rules.dimensions]
    name = cols[0].selectbox("Virtual dimension", [*names, "(a new one)"], key="alloc_dim_name")
    if name == "(a new one)":
        name = cols[0].text_input("Its name", key="alloc_dim_new", placeholder="cost_center")
    value = cols[1].text_input("Value", key="alloc_dim_value", placeholder="e.g. Commerce")
    default = cols[2].text_input("Default for rows no rule matches", "Unallocated", key="alloc_dim_default")
    cols = st.columns([1, 2])
    dimension = cols[0].selectbox("When", _condition_dimensions(rules), key="alloc_dim_when")
    options = [v for v in queries.dimension_values(dimension, view.filters) if v is not None]
    values = cols[1].multiselect("is one of", options, key="alloc_dim_values")
    if st.button("Add to the draft", key="alloc_dim_add", disabled=not (name and value and values)):
        text = edit.add_dimension_rule(allocation.draft(), name, value, {dimension: values}, default or None)
        allocation.set_draft(text, f"Rule `{value}` added to `alloc:{name}` in the draft.")
        st.rerun()


def _condition_dimensions(rules: Rules) -> list[str]:
    """What a condition may test: the rollup columns, the tags, and the virtual dimensions."""
    tags = [d for d in queries.dimensions() if d.startswith("tag:")]
    return [*tags, *ROLLUP_DIMENSIONS, *(d.dimension for d in rules.dimensions)]


def key_form(rules: Rules) -> None:
    cols = st.columns([1, 2, 1])
    canonical = cols[0].text_input("Canonical tag key", key="alloc_key_canonical", placeholder="team")
    keys = list(allocation.key_ranking(rules)["key"])  # the raw spellings, as loaded
    aliases = cols[1].multiselect("Spellings to map onto it", keys, key="alloc_key_aliases")
    if cols[2].button("Add to the draft", key="alloc_key_add", disabled=not (canonical and aliases)):
        text = edit.add_key_aliases(allocation.draft(), canonical, aliases)
        allocation.set_draft(text, f"Mapped {', '.join(aliases)} onto `{canonical}`.")
        st.rerun()


def rules_tab(view: View, draft: Rules | None, error: str | None) -> None:
    with st.expander("Map tag keys", icon=":material/label:"):
        key_form(draft or Rules())
    with st.expander("Virtual dimensions", icon=":material/category:"):
        dimension_form(draft or Rules(), view)
    with st.expander("Shared costs", icon=":material/call_split:"):
        pool_form(draft or Rules(), view)
    allocation.editor_state()
    st.text_area(
        "The rules (YAML): edit here, or with the forms above",
        key=allocation.EDITOR,
        on_change=allocation.take_editor,
        height=420,
    )
    if draft is None:
        st.error(error or "The rules do not validate.", icon=":material/error:")
        return
    for warning in allocation.warnings(draft):
        st.warning(warning, icon=":material/warning:")
    changed = draft.text != allocation.saved_text()
    owners = [d for d in dict.fromkeys([draft.owner_dimension(), *(d.dimension for d in draft.dimensions)]) if d]
    owners += [d for d in queries.dimensions() if d.startswith("tag:")]
    owner = st.selectbox("Preview per owner of", owners, key="alloc_preview_owner")
    if owner and st.button("Preview the effect", key="alloc_preview", icon=":material/compare_arrows:"):
        table = allocation.preview_table(draft, owner, view.filters)
        titles = {"before": "Before", "after": "After", "shared_after": "Of which shared", "change": "Change"}
        money = {c: st.column_config.NumberColumn(f"{t} ({view.currency})", format="%,.2f") for c, t in titles.items()}
        st.dataframe(table, column_config=money, hide_index=True, width="stretch")
        st.caption(
            f"Totals: before {table['before'].sum():,.2f}, after {table['after'].sum():,.2f} {view.currency}: "
            "allocation moves spend between owners and never adds or removes any."
        )
    cols = st.columns([1, 1, 3])
    if cols[0].button("Save and apply", type="primary", disabled=not changed, key="alloc_save", icon=":material/save:"):
        failure = allocation.save(draft.text)
        if failure:
            st.error(failure, icon=":material/error:")
        else:
            allocation.set_draft(draft.text, "Saved and applied to all the data.")
            st.rerun()
    if cols[1].button("Discard the draft", disabled=not changed, key="alloc_discard"):
        allocation.set_draft(allocation.saved_text(), "Draft discarded.")
        st.rerun()
    if not changed:
        cols[2].caption("The draft is the saved rules.")


def rules_read_only(rules: Rules, everything: bool) -> None:
    """The rules in force for a user who is not an admin: their text names every owner (teams, business
    units), so it is shown only to one whose scope is all spend."""
    read_only.note("change the allocation rules")
    if not everything:
        st.caption("The rules name every owner, so their text is shown only to those who see all spend.")
        return
    st.code(rules.text or "# No rules: nothing is allocated.", language="yaml")
