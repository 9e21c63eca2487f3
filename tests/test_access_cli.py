"""`python -m analytics access check|who`: the access rules validated against a store, and what one
person gets, as an administrator checks them before a deployment reads the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.access import parse_access
from analytics.cli import main
from analytics.store import DATA_DIR
from tests.app_fixtures import PROJECT, pristine_sample

RULES = """\
rules:
  - name: FinOps team
    emails: [alice@example.com]
    groups: [finops-admins]
    role: admin
    scope: all
  - name: Commerce
    domains: [example.com]
    role: viewer
    scope:
      alloc:business_unit: [Commerce]
  - name: ML on AWS
    groups: [ml]
    role: analyst
    scope:
      tag:team: [ml]
      ProviderName: [AWS]
"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sample as a store with the shipped allocation applied (tags: team, env, app,
    cost-center; alloc:business_unit), as a deployment has it."""
    path = pristine_sample(tmp_path_factory.mktemp("access") / "sample.duckdb")
    assert main(["allocate", "--rules", str(DATA_DIR / "allocation.yaml"), "--db", str(path)]) == 0
    return path


@pytest.fixture(autouse=True)
def no_access_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FINOPS_ACCESS", raising=False)


def write(tmp_path: Path, text: str, name: str = "access.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["access", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_prints_the_rule_count_per_role(sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, RULES)
    code, out, err = run(capsys, "check", "--access", str(path), "--db", str(sample))
    assert (code, err) == (0, "")
    assert out == f"{path}: 3 rules (1 admin, 1 analyst, 1 viewer); groups from the 'groups' claim\n"


def test_check_json_lists_each_rule_with_its_line_role_and_scope(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "groups_claim: roles\n" + RULES)
    code, out, _ = run(capsys, "check", "--access", str(path), "--db", str(sample), "--json")
    report = json.loads(out)
    assert code == 0
    assert report["file"] == str(path) and report["groups_claim"] == "roles"
    assert report["roles"] == {"admin": 1, "analyst": 1, "viewer": 1}
    assert report["rules"][2] == {
        "name": "ML on AWS",
        "line": 13,
        "role": "analyst",
        "scope": "ProviderName = AWS and tag:team = ml",
    }
    assert report["dimensions_checked"] is True and report["notes"] == []


def test_check_refuses_a_dimension_the_data_lacks_in_one_line_exit_2_with_a_guess(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, RULES.replace("alloc:business_unit", "alloc:busines_unit"))
    code, out, err = run(capsys, "check", "--access", str(path), "--db", str(sample))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {path}:11: rule 'Commerce': no allocation dimension 'alloc:busines_unit' in the data; "
        "did you mean alloc:business_unit?\n"
    )


def test_check_refuses_a_tag_key_the_data_lacks(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, RULES.replace("tag:team", "tag:squad"))
    code, _, err = run(capsys, "check", "--access", str(path), "--db", str(sample))
    assert code == 2 and err.startswith(f"error: {path}:16: rule 'ML on AWS': no tag key 'tag:squad' in the data")


def test_check_reads_the_store_without_changing_it(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted((p.name, p.stat().st_mtime_ns) for p in sample.iterdir() if p.suffix in (".json", ".duckdb"))
    assert run(capsys, "check", "--access", str(write(tmp_path, RULES)), "--db", str(sample))[0] == 0
    after = sorted((p.name, p.stat().st_mtime_ns) for p in sample.iterdir() if p.suffix in (".json", ".duckdb"))
    assert after == before


def test_check_of_a_missing_file_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "--access", str(tmp_path / "nope.yaml"), "--db", str(tmp_path / "db"))
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path / 'nope.yaml'}: no such access file; start from data/access.yaml.example " + (
        "(docs/access.md)\n"
    )


def test_check_of_a_file_with_a_syntax_error_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, RULES.replace("groups: [ml]", "groups: [ml"))
    code, _, err = run(capsys, "check", "--access", str(path), "--db", str(tmp_path / "db"))
    assert code == 2 and err.startswith(f"error: {path}:") and "not valid YAML" in err
    assert err.count("\n") == 1


def test_check_without_data_yet_validates_the_file_and_says_dimensions_were_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, RULES.replace("tag:team", "tag:squad"))
    db = tmp_path / "no-store-yet"
    code, out, _ = run(capsys, "check", "--access", str(path), "--db", str(db), "--json")
    report = json.loads(out)
    assert code == 0 and report["dimensions_checked"] is False
    assert report["notes"] == [f"no data at {db} yet, so tag: and alloc: dimensions were not checked"]
    assert not db.exists()  # checking created no empty store


def test_check_notes_when_no_rule_grants_admin(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, RULES.replace("role: admin", "role: analyst"))
    code, out, err = run(capsys, "check", "--access", str(path), "--db", str(sample))
    assert code == 0 and "(0 admin, 2 analyst, 1 viewer)" in out
    assert err == "note: no rule grants admin: nobody can load data or change rules in the app\n"


def test_check_reads_the_file_finops_access_names(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINOPS_ACCESS", str(write(tmp_path, RULES, "team.yaml")))
    code, out, _ = run(capsys, "check", "--db", str(sample))
    assert code == 0 and out.startswith(f"{tmp_path / 'team.yaml'}: 3 rules")


def test_who_prints_the_role_the_scope_and_the_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, RULES)
    code, out, _ = run(capsys, "who", "Bob@Example.com", "--groups", "ml, other", "--access", str(path))
    assert code == 0
    assert out == (
        "Bob@Example.com: analyst, sees ProviderName = AWS and tag:team = ml; or alloc:business_unit = Commerce "
        "(rules: Commerce, ML on AWS)\n"
    )
    assert run(capsys, "who", "alice@example.com", "--access", str(path))[1] == (
        "alice@example.com: admin, sees everything (rules: FinOps team, Commerce)\n"
    )


def test_who_json_gives_the_role_the_scope_filters_and_its_cache_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, RULES)
    code, out, _ = run(capsys, "who", "bob@example.com", "--access", str(path), "--json")
    report = json.loads(out)
    assert code == 0
    assert report == {
        "email": "bob@example.com",
        "groups": [],
        "access": True,
        "role": "viewer",
        "scope": {
            "everything": False,
            "filters": [{"alloc:business_unit": ["Commerce"]}],
            "key": parse_access(RULES, "x").rules[1].scope.key(),
        },
        "describe": "alloc:business_unit = Commerce",
        "rules": ["Commerce"],
    }


def test_who_says_no_access_for_someone_matching_no_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, RULES)
    code, out, _ = run(capsys, "who", "eve@elsewhere.org", "--groups", "ML", "--access", str(path))
    assert (code, out) == (0, f"no access: eve@elsewhere.org matches no rule in {path}\n")
    _, out, _ = run(capsys, "who", "eve@elsewhere.org", "--access", str(path), "--json")
    assert json.loads(out) == {"email": "eve@elsewhere.org", "groups": [], "access": False}


def test_who_with_an_unverified_email_is_matched_by_groups_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, RULES)
    _, out, _ = run(capsys, "who", "alice@example.com", "--unverified", "--access", str(path))
    assert out.startswith("no access: ")
    _, out, _ = run(capsys, "who", "alice@example.com", "--groups", "ml", "--unverified", "--access", str(path))
    assert out.startswith("alice@example.com: analyst, sees ProviderName = AWS and tag:team = ml (rules: ML on AWS)")


@pytest.mark.slow  # a new process
def test_the_real_command_line_refuses_a_bad_file_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, RULES.replace("role: viewer", "role: reader"))
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "access", "who", "bob@example.com", "--access", str(path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"error: {path}:9: rule 'Commerce': role 'reader'; expected admin, analyst or viewer\n"
