"""The rules file: what validates, what is refused with its line and reason, and edits that keep
the user's comments."""

from __future__ import annotations

import pytest

from analytics.allocation import edit
from analytics.allocation.rules import RulesError, load_rules, parse_rules
from analytics.store import DATA_DIR

VALID = """\
tags:
  keys:
    team: [Team, team_name]
  values:
    env:
      prod: [Production, PRD]
dimensions:
  business_unit:
    rules:
      - value: Platform
        when: {"tag:team": [payments, identity]}
      - value: Data
        when: {SubAccountName: [data-*]}
    default: Unallocated
shared_costs:
  - name: Support
    when: {ServiceName: [AWS Support (Business), Support]}
    to: tag:team
    split: proportional
"""


def refused(text: str) -> str:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "allocation.yaml")
    return str(caught.value)


def test_the_issue_example_validates_into_rules_with_their_lines() -> None:
    rules = parse_rules(VALID)
    assert rules.alias_of("TEAM") == "team" and rules.alias_of("team_name") == "team"
    assert rules.dimensions[0].rules[1].when == (("SubAccountName", ("data-*",)),)
    assert rules.dimensions[0].rules[0].line == 10
    assert rules.pools[0].to == "tag:team" and rules.pools[0].split == "proportional"
    assert rules.owner_dimension() == "alloc:business_unit"


def test_an_unknown_dimension_is_refused_with_its_line() -> None:
    message = refused(VALID.replace("SubAccountName: [data-*]", "ResourceId: [data-*]"))
    assert message.startswith("allocation.yaml, line 13: unknown dimension 'ResourceId'")


def test_a_virtual_dimension_used_before_it_is_defined_is_refused() -> None:
    assert "line 11: unknown dimension 'alloc:later'" in refused(
        VALID.replace('{"tag:team": [payments, identity]}', '{"alloc:later": [x]}')
    )


def test_fixed_weights_that_do_not_add_up_to_100_are_refused_with_the_total() -> None:
    text = VALID.replace("split: proportional", "split: fixed\n    weights: {payments: 40, identity: 50}")
    assert refused(text) == "allocation.yaml, line 20: pool 'Support': the weights add up to 90, not 100"


def test_a_yaml_syntax_error_is_refused_with_its_line() -> None:
    assert refused("tags:\n  keys:\n    team: [Team\n").startswith("allocation.yaml, line 4: not valid YAML")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            "tags:\n  keys:\n    team: [Team]\n    owner: [team]\n",
            "line 4: tag key 'team' is already an alias of 'team'",
        ),
        ("budget: 1\n", "line 1: unknown section 'budget'"),
        ("shared_costs:\n  - name: X\n    when: {ServiceName: [a]}\n    to: tag:t\n    split: half\n", "split 'half'"),
        ("shared_costs:\n  - name: X\n    to: tag:t\n", "a shared cost pool needs `when`"),
        (
            "tags:\n  keys:\n    team: [Team]\ndimensions:\n  bu:\n    rules:\n"
            "      - value: A\n        when: {tag:Team: [x]}\n",
            "'Team' is an alias of 'team'; write tag:team",
        ),
    ],
)
def test_malformed_rules_are_refused_with_the_reason(change: str, reason: str) -> None:
    assert reason in refused(change)


def test_the_shipped_rules_validate() -> None:
    rules = load_rules(DATA_DIR / "allocation.yaml")
    assert rules.owner_dimension() == "alloc:business_unit" and rules.pools


def test_a_missing_rules_file_means_no_rules(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert load_rules(tmp_path / "none.yaml").fingerprint() == parse_rules("").fingerprint()


def test_comments_change_nothing_in_the_fingerprint() -> None:
    assert parse_rules(VALID).fingerprint() == parse_rules("# a note\n" + VALID).fingerprint()
    assert parse_rules(VALID).fingerprint() != parse_rules(VALID.replace("PRD", "PRD, prd1")).fingerprint()


def test_edits_keep_the_users_comments_and_give_valid_rules() -> None:
    text = "# who owns what\n" + VALID.replace("team: [Team, team_name]", "team: [Team, team_name]  # keep")
    text = edit.add_key_aliases(text, "team", ["owner-team", "Team"])
    text = edit.add_value_aliases(text, "env", "prod", ["live", "PRD"])
    text = edit.set_pool(text, {"name": "Net", "when": {"ServiceName": ["VPC"]}, "to": "tag:team", "split": "even"})
    assert "# who owns what" in text and "# keep" in text
    rules = parse_rules(text)
    assert rules.alias_of("owner-team") == "team"
    assert [p.name for p in rules.pools] == ["Support", "Net"]
    assert dict(dict(rules.value_aliases)["env"])["prod"] == ("Production", "PRD", "live")
    assert [p.name for p in parse_rules(edit.remove_pool(text, "Support")).pools] == ["Net"]
    text = edit.add_dimension_rule(text, "business_unit", "Retail", {"tag:team": ["shop"]}, "Other")
    text = edit.add_dimension_rule(text, "tier", "Gold", {"ServiceName": ["VPC"]}, "Standard")
    dims = {d.name: d for d in parse_rules(text).dimensions}
    assert [r.value for r in dims["business_unit"].rules] == ["Platform", "Data", "Retail"]
    assert dims["business_unit"].default == "Unallocated"  # an existing default is kept
    assert dims["tier"].default == "Standard" and dims["tier"].rules[0].when == (("ServiceName", ("VPC",)),)


def test_mapping_a_key_moves_it_from_another_canonical_key() -> None:
    text = edit.add_key_aliases(VALID, "owner", ["team_name"])
    rules = parse_rules(text)
    assert rules.alias_of("team_name") == "owner" and rules.alias_of("Team") == "team"


def test_fixed_weights_name_owners_by_their_canonical_tag_value() -> None:
    text = VALID.replace("to: tag:team", "to: tag:env").replace(
        "split: proportional", "split: fixed\n    weights: {Production: 70, dev: 30}"
    )
    assert parse_rules(text).pools[0].weights == (("prod", 70.0), ("dev", 30.0))
