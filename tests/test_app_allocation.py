"""Allocation as users meet it: the CLI (`query --group-by alloc:...`, `--rules`, `allocate`) and the
Allocation page (coverage, hygiene one-click mappings, YAML editing, preview, save)."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.allocation.rules import parse_rules
from analytics.store import DATA_DIR, reader
from tests.app_fixtures import new_app, pristine_sample
from tests.test_bad_input import run_cli

SHIPPED = DATA_DIR / "allocation.yaml"
CENT = Decimal("0.01")


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "sample.duckdb"
    pristine_sample(path)
    return path


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped rules as the rules file in force."""
    path = tmp_path / "allocation.yaml"
    shutil.copy(SHIPPED, path)
    monkeypatch.setenv("FINOPS_RULES", str(path))
    return path


def raw(db: Path, sql: str, params: list[object] | None = None) -> Decimal:
    con = reader(db)
    try:
        return Decimal(con.execute(sql, params or []).fetchall()[0][0]).quantize(CENT)
    finally:
        con.close()


def query(db: Path, *args: str) -> list[dict[str, object]]:
    result = run_cli("query", "--db", str(db), "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_the_cli_groups_by_a_virtual_dimension_and_shows_shared_costs_as_such(db: Path) -> None:
    rows = query(db, "--group-by", "alloc:business_unit", "--rules", str(SHIPPED), "--where", "BillingCurrency=USD")
    owners = {r["alloc:business_unit"]: r for r in rows}
    assert set(owners) == {"Commerce", "Data & AI", "Platform", "Unallocated"}
    total = raw(db, "SELECT sum(EffectiveCost) FROM line_items WHERE BillingCurrency = 'USD'")
    assert sum(Decimal(str(r["cost"])) for r in rows) == pytest.approx(total, abs=Decimal("0.03"))
    support = raw(
        db,
        "SELECT sum(EffectiveCost) FROM line_items WHERE BillingCurrency = 'USD' AND ServiceName = ?",
        ["AWS Support (Business)"],
    )
    assert sum(Decimal(str(r["shared"])) for r in rows) == pytest.approx(support, abs=Decimal("0.03"))
    assert owners["Unallocated"]["shared"] == 0


@pytest.mark.slow
def test_the_cli_refuses_rules_that_do_not_validate_naming_the_line(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("shared_costs:\n  - name: X\n    when: {ServiceName: [a]}\n    to: tag:team\n    split: fixed\n")
    result = run_cli("query", "--db", str(db), "--group-by", "ServiceName", "--rules", str(bad))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"error: {bad}, line 2: pool 'X': a fixed split needs `weights` (owner: percent, summing to 100)"
    )
    unknown = run_cli("query", "--db", str(db), "--group-by", "alloc:nothing")
    assert unknown.returncode == 2 and "no virtual dimension 'alloc:nothing'" in unknown.stderr


@pytest.mark.slow
def test_allocate_applies_the_rules_and_reports_the_share_allocated_with_its_mark(db: Path) -> None:
    assert run_cli("allocate", "--db", str(db), "--rules", str(SHIPPED), "--check").returncode == 0
    result = run_cli("allocate", "--db", str(db), "--rules", str(SHIPPED), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["owner_dimension"] == "alloc:business_unit"
    assert summary["percent_allocated"] > 90 and summary["maturity"] == "run"


@pytest.mark.slow
def test_a_broken_rules_file_leaves_the_last_applied_rules_in_force(db: Path, rules: Path) -> None:
    assert run_cli("allocate", "--db", str(db)).returncode == 0
    rules.write_text("dimensions:\n  bu: [\n")
    result = run_cli("query", "--db", str(db), "--group-by", "alloc:business_unit", "--format", "json")
    assert result.returncode == 0 and "alloc:business_unit" in result.stdout


def page(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("FINOPS_DB", str(db))
    at = new_app().run()
    at.switch_page("app_pages/allocation.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.slow
def test_the_page_shows_the_share_allocated_coverage_and_untagged_resources(
    db: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page(db, monkeypatch)
    metric = next(m for m in at.metric if m.label.startswith("% of spend allocated"))
    assert metric.value.endswith("%") and float(metric.value[:-1]) > 90
    assert len(at.dataframe) >= 3  # by account, by team, top untagged


@pytest.mark.slow
def test_saving_edited_rules_applies_them_and_writes_the_file(
    db: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page(db, monkeypatch)
    at.text_area(key="alloc_editor").set_value("dimensions:\n  bu: [\n").run()
    assert any("not valid YAML" in e.value for e in at.error)
    assert not any(b.key == "alloc_save" for b in at.button)  # nothing to save until it validates
    text = rules.read_text().replace("split: proportional ", "split: even        ")
    at.text_area(key="alloc_editor").set_value(text).run()
    at.button(key="alloc_preview").click().run()
    table = next(d.value for d in at.dataframe if "shared_after" in d.value)
    assert table["before"].sum() == pytest.approx(table["after"].sum(), abs=0.01)
    at.button(key="alloc_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "split: even" in rules.read_text()
    assert any("Saved and applied" in s.value for s in at.success)


@pytest.mark.slow
def test_a_key_variant_is_mapped_into_the_draft_in_one_click(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "allocation.yaml"
    empty.write_text("# our rules\n")
    monkeypatch.setenv("FINOPS_RULES", str(empty))
    at = page(db, monkeypatch)
    button = next(b for b in at.button if b.label == "Map onto team")
    button.click().run()
    draft = at.text_area(key="alloc_editor").value
    assert "# our rules" in draft and "team: [Team]" in draft
    assert empty.read_text() == "# our rules\n"  # nothing saved until the user saves


def test_explore_shows_what_each_owner_received_from_shared_costs(
    db: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINOPS_DB", str(db))
    at = new_app({"group_by": "alloc:business_unit", "period": "all"}).run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "alloc:business_unit" in d.value)
    shared = next(c for c in table.columns if c.startswith("Of which shared"))
    assert table[shared].sum() > 0
    assert table.loc[table["alloc:business_unit"] == "Unallocated", shared].sum() == 0


@pytest.mark.slow
def test_a_rules_file_edited_by_hand_is_applied_on_the_next_run(
    db: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page(db, monkeypatch)
    assert any("`Unallocated`" in c.value for c in at.caption)
    rules.write_text(rules.read_text().replace("default: Unallocated", "default: No owner yet"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("`No owner yet`" in c.value for c in at.caption)


@pytest.mark.slow
def test_a_mistyped_finops_rules_keeps_the_applied_rules_and_says_why(
    db: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli("allocate", "--db", str(db)).returncode == 0
    monkeypatch.setenv("FINOPS_RULES", str(rules.with_name("alocation.yaml")))
    result = run_cli("query", "--db", str(db), "--group-by", "alloc:business_unit", "--format", "json")
    assert result.returncode == 0 and "alloc:business_unit" in result.stdout
    assert "alocation.yaml: no such rules file (named by FINOPS_RULES)" in result.stderr


@pytest.mark.slow
def test_a_value_variant_is_mapped_into_the_draft_in_one_click(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "allocation.yaml"
    empty.write_text("tags:\n  keys:\n    env: [Environment, environment]\n")
    monkeypatch.setenv("FINOPS_RULES", str(empty))
    at = page(db, monkeypatch)
    at.selectbox(key="alloc_values_key").set_value("env").run()
    button = next(b for b in at.button if b.label == "Map onto prod")
    button.click().run()
    rules = parse_rules(at.text_area(key="alloc_editor").value)
    prod = dict(dict(rules.value_aliases)["env"])["prod"]
    assert {"Production", "PRD"} <= set(prod)
