"""Access rules (issue 14, item 2): data/access.yaml parsed, refused with the line of each problem,
and matched against signed-in identities."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.access import (
    ALL,
    LOCAL_ADMIN,
    AccessError,
    AccessRules,
    Identity,
    Scope,
    check_dimensions,
    default_access_path,
    load_access,
    parse_access,
)
from analytics.access.scope import union
from analytics.store import DATA_DIR

PROJECT = Path(__file__).resolve().parents[1]

GOOD = """\
groups_claim: roles
rules:
  - name: FinOps team
    emails: [Alice@Example.com]
    groups: [finops-admins]
    role: admin
    scope: all
  - name: Everyone at example.com
    domains: [Example.com]
    role: viewer
    scope:
      alloc:business_unit: [Commerce]
  - name: Retail on AWS
    groups: [retail]
    role: analyst
    scope:
      alloc:business_unit: [Retail]
      ProviderName: [AWS]
  - name: Data accounts
    groups: [Data]
    role: viewer
    scope:
      SubAccountId: [012345678901, 123456789012, "000042"]
"""


def rules() -> AccessRules:
    return parse_access(GOOD, "access.yaml")


def with_rule(body: str) -> str:
    """A file of one rule, `body` indented as the rule's keys (line 2 is the rule's first line)."""
    lines = body.strip("\n").splitlines()
    return "rules:\n  - " + lines[0] + "\n" + "".join(f"    {line}\n" for line in lines[1:])


def test_a_good_file_gives_each_rule_its_role_scope_matchers_and_line() -> None:
    parsed = rules()
    assert parsed.path == Path("access.yaml")
    assert parsed.groups_claim == "roles"
    assert [(r.name, r.role, r.line) for r in parsed.rules] == [
        ("FinOps team", "admin", 3),
        ("Everyone at example.com", "viewer", 8),
        ("Retail on AWS", "analyst", 13),
        ("Data accounts", "viewer", 19),
    ]
    admin, everyone, retail, _ = parsed.rules
    assert admin.scope == ALL and admin.emails == ("alice@example.com",) and admin.groups == ("finops-admins",)
    assert everyone.domains == ("example.com",)
    assert everyone.scope == Scope(False, ((("alloc:business_unit", ("Commerce",)),),))
    assert retail.scope.filters == ((("ProviderName", ("AWS",)), ("alloc:business_unit", ("Retail",))),)
    assert retail.dimension_lines == (("alloc:business_unit", 17), ("ProviderName", 18))


def test_groups_claim_defaults_to_groups() -> None:
    parsed = parse_access(with_rule("name: a\ngroups: [x]\nrole: viewer\nscope: all"), "f.yaml")
    assert parsed.groups_claim == "groups"


def test_account_ids_are_kept_as_written_leading_zeros_included() -> None:
    accounts = rules().rules[3].scope.filters[0]
    assert accounts == (("SubAccountId", ("000042", "012345678901", "123456789012")),)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        pytest.param("rules: []\nowner: me\n", 2, "unknown key 'owner'", id="unknown top-level key"),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope: all\nteam: x"),
            6,
            "unknown key 'team' in a rule",
            id="unknown rule key",
        ),
        pytest.param(with_rule("name: a\ngroups: [x]\nrole: owner\nscope: all"), 4, "role 'owner'", id="bad role"),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: admin\nscope:\n  ProviderName: [AWS]"),
            6,
            "an admin rule must have `scope: all`",
            id="admin with a limited scope",
        ),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope:\n  label:team: [x]"),
            6,
            "'label:team' cannot scope access; a scope can use tag:<key>, alloc:<name> or ProviderName",
            id="unknown dimension kind",
        ),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope:\n  ResourceId: [i-1]"),
            6,
            "'ResourceId' cannot scope access (a detail column",
            id="detail column",
        ),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope:\n  tag:team: []"),
            6,
            "the values of tag:team: list at least one value",
            id="empty values",
        ),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope:\n  tag:team: [~]"),
            6,
            "each of the values of tag:team must be a non-empty text",
            id="null value",
        ),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope:\n  tag:team: [[a, b]]"),
            6,
            "must be a non-empty text",
            id="nested list value",
        ),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope:\n  'tag:': [a]"),
            6,
            "needs a name after the colon",
            id="tag without a key",
        ),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope:\n  alloc:shared_pool: [Support]"),
            6,
            "not who owns it",
            id="the shared pool dimension",
        ),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope: everything"),
            5,
            "scope must be `all` or a mapping",
            id="scope text other than all",
        ),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope: {}"),
            5,
            "the scope names no dimension",
            id="empty scope mapping",
        ),
        pytest.param(
            with_rule("name: a\ngroups: [x]\nrole: viewer\nscope:\n  tag:team: [a]\n  tag:team: [b]"),
            7,
            "'tag:team' appears twice",
            id="a dimension named twice",
        ),
        pytest.param(
            with_rule("name: Ops\ngroups: [x]\nrole: viewer\nscope: all")
            + "  - name: ops\n    groups: [y]\n    role: viewer\n    scope: all\n",
            6,
            "rule name 'ops' is used twice (first on line 2)",
            id="duplicate rule name",
        ),
        pytest.param(with_rule("name: a\nrole: viewer\nscope: all"), 2, "matches nobody", id="no match criteria"),
        pytest.param(with_rule("name: a\ngroups: [x]\nrole: viewer"), 2, "a rule needs `scope`", id="no scope"),
        pytest.param(with_rule("groups: [x]\nrole: viewer\nscope: all"), 2, "a rule needs `name`", id="no name"),
        pytest.param(
            with_rule("name: a\nemails: [alice]\nrole: viewer\nscope: all"),
            3,
            "'alice' is not an email address",
            id="bad email",
        ),
        pytest.param(
            with_rule("name: a\ndomains: ['*.example.com']\nrole: viewer\nscope: all"),
            3,
            "subdomains are not matched",
            id="wildcard domain",
        ),
        pytest.param(
            with_rule("name: a\ndomains: ['@example.com']\nrole: viewer\nscope: all"),
            3,
            "'@example.com' is not a domain",
            id="domain with an at sign",
        ),
        pytest.param(
            with_rule("name: a\ngroups: []\nrole: viewer\nscope: all"),
            3,
            "groups: list at least one value",
            id="empty groups",
        ),
        pytest.param("rules:\n  - name: a\n    groups: [x\n", 4, "not valid YAML", id="YAML syntax error"),
        pytest.param("- name: a\n  role: admin\n", 1, "the file must be a mapping with `rules:`", id="a list"),
        pytest.param("groups_claim: groups\n", 1, "no `rules:`", id="no rules"),
        pytest.param("rules: []\n", 1, "`rules` is empty", id="empty rules"),
        pytest.param("\n# nothing yet\n", 1, "the file is empty", id="empty file"),
        pytest.param("rules:\n  name: a\n", 2, "`rules` must be a list", id="rules as a mapping"),
        pytest.param("rules:\n  - just a name\n", 2, "a rule must be a mapping", id="a rule as text"),
        pytest.param("groups_claim: ''\nrules: []\n", 1, "groups_claim must be a non-empty text", id="empty claim"),
    ],
)
def test_each_problem_is_refused_naming_the_file_and_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(AccessError) as refused:
        parse_access(text, "conf/access.yaml")
    message = str(refused.value)
    assert message.startswith(f"conf/access.yaml:{line}: "), message
    assert problem in message
    assert "\n" not in message


def test_a_refused_dimension_lists_every_rollup_column_a_scope_can_use() -> None:
    with pytest.raises(AccessError, match="SubAccountId, SubAccountName") as refused:
        parse_access(with_rule("name: a\ngroups: [x]\nrole: viewer\nscope:\n  InvoiceId: [1]"), "f.yaml")
    assert "ResourceId" not in str(refused.value)


def identity(email: str | None, *groups: str, verified: bool | None = True) -> Identity:
    return Identity(email, tuple(groups), verified)


def test_emails_match_whatever_their_case() -> None:
    grant = rules().grant(identity("ALICE@example.COM"))
    assert grant is not None and grant.is_admin and grant.rules == ("FinOps team", "Everyone at example.com")


def test_a_domain_matches_that_domain_only_not_its_subdomains_nor_a_lookalike() -> None:
    parsed = rules()
    grant = parsed.grant(identity("bob@EXAMPLE.com"))
    assert grant is not None and grant.role == "viewer" and grant.rules == ("Everyone at example.com",)
    assert parsed.grant(identity("bob@eu.example.com")) is None
    assert parsed.grant(identity("bob@notexample.com")) is None
    assert parsed.grant(identity("example.com")) is None  # no @: not an address at that domain


def test_an_unverified_email_matches_no_email_or_domain_rule_but_groups_still_match() -> None:
    parsed = rules()
    assert parsed.grant(identity("alice@example.com", verified=False)) is None
    grant = parsed.grant(identity("alice@example.com", "retail", verified=False))
    assert grant is not None and grant.rules == ("Retail on AWS",) and grant.role == "analyst"


def test_an_email_whose_verification_the_token_does_not_state_matches() -> None:
    grant = rules().grant(identity("bob@example.com", verified=None))
    assert grant is not None and grant.rules == ("Everyone at example.com",)


def test_groups_match_exactly_and_case_sensitively() -> None:
    parsed = rules()
    assert parsed.grant(identity(None, "data")) is None
    assert parsed.grant(identity(None, "Retail")) is None
    grant = parsed.grant(identity(None, "Data"))
    assert grant is not None and grant.rules == ("Data accounts",)


def test_several_matching_rules_add_up_their_scopes_and_take_the_highest_role() -> None:
    grant = rules().grant(identity("carol@example.com", "retail", "Data"))
    assert grant is not None
    assert grant.role == "analyst" and not grant.is_admin
    assert grant.rules == ("Everyone at example.com", "Retail on AWS", "Data accounts")
    assert grant.scope.everything is False
    assert set(grant.scope.filters) == {
        (("alloc:business_unit", ("Commerce",)),),
        (("ProviderName", ("AWS",)), ("alloc:business_unit", ("Retail",))),
        (("SubAccountId", ("000042", "012345678901", "123456789012")),),
    }
    assert grant.scope.dimensions() == ["ProviderName", "SubAccountId", "alloc:business_unit"]


def test_a_rule_granting_all_makes_the_union_everything() -> None:
    grant = rules().grant(identity("alice@example.com", "retail"))
    assert grant is not None and grant.scope == ALL and grant.scope.key() == "all"


def test_an_identity_that_matches_no_rule_gets_none() -> None:
    assert rules().grant(identity("mallory@elsewhere.org", "admins")) is None
    assert rules().grant(identity(None)) is None


def key_in_another_process(scope: Scope) -> str:
    """The key another process, with another hash seed, gives `scope`."""
    code = f"from analytics.access import Scope; print(Scope(False, {scope.filters!r}).key())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_scope_keys_are_stable_and_differ_between_scopes() -> None:
    commerce = Scope(False, ((("alloc:business_unit", ("Commerce",)),),))
    retail = Scope(False, ((("alloc:business_unit", ("Retail",)),),))
    assert commerce.key() == parse_access(GOOD, "other.yaml").rules[1].scope.key()
    assert commerce.key() == key_in_another_process(commerce)
    assert re.fullmatch(r"s[0-9a-f]{16}", commerce.key())
    assert len({commerce.key(), retail.key(), union([commerce, retail]).key(), ALL.key()}) == 4


def test_a_filter_inside_a_wider_one_adds_nothing_to_the_union() -> None:
    wide = Scope(False, ((("tag:team", ("ml", "web")),),))
    narrow = Scope(False, ((("ProviderName", ("AWS",)), ("tag:team", ("ml",))),))
    assert union([wide, narrow]) == wide
    assert union([narrow, wide]).key() == wide.key()
    assert union([narrow]) == narrow


def test_describe_says_everything_or_each_filter_in_one_line() -> None:
    grant = rules().grant(identity(None, "retail", "Data"))
    assert grant is not None
    assert grant.scope.describe() == (
        "ProviderName = AWS and alloc:business_unit = Retail; or SubAccountId in (000042, 012345678901, 123456789012)"
    )
    assert ALL.describe() == "everything"
    assert LOCAL_ADMIN.is_admin and LOCAL_ADMIN.scope == ALL


def test_check_dimensions_refuses_a_tag_or_alloc_dimension_the_data_lacks_with_a_close_match() -> None:
    text = with_rule("name: Teams\ngroups: [x]\nrole: viewer\nscope:\n  ServiceName: [S3]\n  tag:Team: [ml]")
    parsed = parse_access(text, "a.yaml")
    known = ["ServiceName", "tag:team", "tag:env", "alloc:business_unit"]
    with pytest.raises(AccessError) as refused:
        check_dimensions(parsed, known)
    assert str(refused.value) == "a.yaml:7: rule 'Teams': no tag key 'tag:Team' in the data; did you mean tag:team?"
    check_dimensions(parsed, [*known, "tag:Team"])


def test_check_dimensions_names_an_unknown_alloc_dimension_without_a_guess_when_none_is_close() -> None:
    text = with_rule("name: BU\ngroups: [x]\nrole: viewer\nscope:\n  alloc:cost_owner: [Retail]")
    with pytest.raises(AccessError) as refused:
        check_dimensions(parse_access(text, "a.yaml"), ["tag:env"])
    assert str(refused.value) == "a.yaml:6: rule 'BU': no allocation dimension 'alloc:cost_owner' in the data"


def test_check_dimensions_leaves_rollup_columns_to_the_parser() -> None:
    check_dimensions(rules(), ["alloc:business_unit"])  # SubAccountId is not in `known`, and need not be


def test_a_missing_file_loads_as_none_and_a_good_one_as_rules(tmp_path: Path) -> None:
    assert load_access(tmp_path / "access.yaml") is None
    (tmp_path / "access.yaml").write_text(GOOD, encoding="utf-8")
    loaded = load_access(tmp_path / "access.yaml")
    assert loaded is not None and loaded.path == tmp_path / "access.yaml" and len(loaded.rules) == 4


def test_finops_access_names_the_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FINOPS_ACCESS", raising=False)
    assert default_access_path() == DATA_DIR / "access.yaml"
    monkeypatch.setenv("FINOPS_ACCESS", str(tmp_path / "team.yaml"))
    assert default_access_path() == tmp_path / "team.yaml"
    (tmp_path / "team.yaml").write_text(GOOD, encoding="utf-8")
    loaded = load_access()
    assert loaded is not None and loaded.path == tmp_path / "team.yaml"


def test_an_unreadable_file_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "access.yaml"
    path.write_bytes(b"rules:\n  - name: caf\xe9\n")
    with pytest.raises(AccessError, match=r"access\.yaml: cannot read the access rules"):
        load_access(path)
    with pytest.raises(AccessError, match="cannot read the access rules"):
        load_access(tmp_path)  # a folder


@pytest.mark.parametrize("path", ["data/access.yaml.example", "docs/access.md", "README.md"])
def test_the_shipped_example_and_the_documented_ones_are_valid(path: str) -> None:
    text = (PROJECT / path).read_text(encoding="utf-8")
    blocks = [text] if path.endswith(".example") else re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    examples = [b for b in blocks if "role:" in b]
    assert examples
    for example in examples:
        assert parse_access(example, path).rules
