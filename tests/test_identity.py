"""Sign-in (issue 14) through AppTest with a mocked `st.user`: single-user mode, the refusals, the
sign-in and no-access pages, a signed-in admin and a scoped viewer, and the audit entry of a sign-in.
The real OIDC flow in Chromium is tests/test_sign_in_browser.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.runtime.secrets import secrets_singleton
from streamlit.testing.v1 import AppTest

from analytics.access import LOCAL_ADMIN
from tests.app_fixtures import PROJECT, new_app, sign_in_configured
from tests.test_import_root import page_text
from ui import identity

ADMIN = "boss@example.com"
ACCESS = """\
groups_claim: roles
rules:
  - name: finops team
    emails: [boss@example.com]
    role: admin
    scope: all
  - name: machine learning
    groups: [ml-engineers]
    role: viewer
    scope:
      tag:team: [ml]
"""
MONEY = re.compile(r"\$\s?-?[0-9]")  # an amount as the app shows one ($1,234.56, $1.2M)


def signed_in(email: str, **claims: object) -> dict[str, object]:
    return {"is_logged_in": True, "email": email, "sub": email, **claims}


@pytest.fixture
def store(app_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The session's small sample, and this test's own server log."""
    monkeypatch.setenv("FINOPS_LOG", str(tmp_path / "finops.log"))
    return app_db


@pytest.fixture
def auth(tmp_path: Path) -> Iterator[Path]:
    """Sign-in configured for this test (see tests.app_fixtures.sign_in_configured)."""
    with sign_in_configured(tmp_path) as secrets:
        yield secrets


@pytest.fixture
def access(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "access.yaml"
    path.write_text(ACCESS)
    monkeypatch.setenv("FINOPS_ACCESS", str(path))
    return path


def run(user: dict[str, object], page: str | None = None) -> AppTest:
    at = new_app(page=page)
    at.user = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def refusal(at: AppTest) -> str:
    assert len(at.error) == 1, [e.value for e in at.error]
    return str(at.error[0].value)


def no_figures(at: AppTest) -> None:
    assert not at.metric and not at.dataframe and not at.get("vega_lite_chart")
    shown = page_text(at)
    assert not MONEY.search(shown), MONEY.search(shown)


def sign_ins(audit_log: Path) -> list[dict[str, object]]:
    lines = audit_log.read_text().splitlines() if audit_log.exists() else []
    return [e for e in map(json.loads, lines) if e["action"] == "sign-in"]


def test_without_sign_in_the_one_local_user_is_an_admin_and_the_data_page_says_single_user_mode(
    store: Path,
) -> None:
    at = run({}, "app_pages/data.py")
    assert at.session_state["_finops_grant"] == LOCAL_ADMIN
    notes = [i.value for i in at.info if i.value.startswith("Single-user mode")]
    assert notes and "serves only this machine (localhost)" in notes[0] and "Share it with your company" in notes[0]
    labels = [b.label for b in at.button]
    assert "Sign in" not in labels and "Sign out" not in labels


@pytest.mark.parametrize(
    ("address", "named"),
    [("0.0.0.0", "`0.0.0.0`"), ("10.1.2.3", "`10.1.2.3`"), (None, "every network interface")],
)
def test_without_sign_in_a_server_listening_beyond_this_machine_refuses_to_serve(
    address: str | None, named: str, store: Path, tmp_path: Path
) -> None:
    before = config.get_option("server.address")
    config.set_option("server.address", address)  # None: Streamlit's default, every interface
    try:
        at = run({})
    finally:
        config.set_option("server.address", before)
    message = refusal(at)
    assert "only serves this machine" in message and f"this server listens on {named}." in message
    assert "[auth]" in message and "--server.address localhost" in message
    no_figures(at)
    assert "_finops_grant" not in at.session_state
    assert f"listens on {named.strip('`')}" in (tmp_path / "finops.log").read_text()


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1", "::1", "[::1]"])
def test_a_loopback_address_is_this_machine_only(address: str, store: Path) -> None:
    before = config.get_option("server.address")
    config.set_option("server.address", address)
    try:
        at = run({}, "app_pages/data.py")
    finally:
        config.set_option("server.address", before)
    assert not at.error and at.session_state["_finops_grant"] == LOCAL_ADMIN


def test_a_secrets_file_that_cannot_be_read_is_not_taken_for_single_user_mode(
    store: Path, auth: Path, tmp_path: Path
) -> None:
    auth.write_text("[auth\nclient_id = 'finops-lens'\n")
    secrets_singleton._reset()
    at = run({})
    assert "(`secrets.toml`) cannot be read" in refusal(at) and str(tmp_path) not in page_text(at)
    no_figures(at)
    assert "_finops_grant" not in at.session_state
    assert f"{auth}: Streamlit cannot read this secrets file" in (tmp_path / "finops.log").read_text()


def test_with_sign_in_but_no_access_rules_nobody_is_served_and_no_server_path_is_shown(
    store: Path, auth: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "rules" / "access.yaml"
    monkeypatch.setenv("FINOPS_ACCESS", str(missing))
    for user in ({"is_logged_in": False}, signed_in(ADMIN)):
        at = run(user)
        message = refusal(at)
        assert "`access.yaml` is missing" in message and "serves nobody" in message
        reference = re.search(r"Reference `([0-9a-f]{8})`", message)
        assert reference is not None
        assert str(tmp_path) not in page_text(at)
        no_figures(at)
        assert not at.button
    log = (tmp_path / "finops.log").read_text()
    assert f"{missing}: sign-in is configured" in log
    assert log.count("ERROR ui.identity") == 1, "logged once, at the first run that met it"


def test_an_access_file_with_a_syntax_error_refuses_everybody_and_logs_the_line(
    store: Path, auth: Path, access: Path, tmp_path: Path
) -> None:
    access.write_text("rules:\n  - name: broken\n    emails: [a@example.com\n")
    at = run(signed_in(ADMIN))
    message = refusal(at)
    assert "`access.yaml` cannot be used" in message and str(tmp_path) not in page_text(at)
    no_figures(at)
    assert re.search(rf"{re.escape(str(access))}:\d+: not valid YAML", (tmp_path / "finops.log").read_text())


def test_a_scope_naming_a_tag_key_the_data_lacks_refuses_everybody(store: Path, auth: Path, access: Path) -> None:
    access.write_text(ACCESS.replace("tag:team", "tag:tema"))
    at = run(signed_in(ADMIN))
    assert "names a dimension the data does not have" in refusal(at)
    no_figures(at)
    assert "_finops_grant" not in at.session_state


def test_a_signed_out_visitor_sees_the_sign_in_page_and_no_figures(store: Path, auth: Path, access: Path) -> None:
    at = run({"is_logged_in": False}, "app_pages/explore.py")
    assert at.title[0].value == "FinOps Lens"
    assert [b.label for b in at.button] == ["Sign in"]
    no_figures(at)
    assert "_finops_grant" not in at.session_state


def test_a_signed_in_identity_matching_no_rule_sees_the_no_access_page_and_no_figures(
    store: Path, auth: Path, access: Path, audit_log: Path
) -> None:
    at = run(signed_in("stranger@example.com", roles=["sales"]))
    assert at.subheader[0].value == "No access yet"
    text = " ".join(m.value for m in at.markdown)
    assert "`stranger@example.com`" in text and "no access rule grants" in text
    assert "ask your FinOps administrator" in text
    assert [b.label for b in at.button] == ["Sign out"]
    no_figures(at)
    assert sign_ins(audit_log) == []


def test_an_unverified_email_matches_no_email_rule(store: Path, auth: Path, access: Path) -> None:
    at = run(signed_in(ADMIN, email_verified=False))
    assert at.subheader[0].value == "No access yet"
    no_figures(at)


def test_a_signed_in_admin_sees_the_overview_and_who_is_signed_in(store: Path, auth: Path, access: Path) -> None:
    at = run(signed_in(ADMIN, email_verified=True))
    assert at.title[0].value == "Overview"
    assert any(m.label.startswith("Month to date") for m in at.metric)
    assert any(c.value == f"Signed in as `{ADMIN}`, admin" for c in at.sidebar.caption)
    assert "Sign out" in [b.label for b in at.sidebar.button]
    assert at.session_state["_finops_grant"].is_admin


def test_signing_out_leaves_the_sign_in_page(store: Path, auth: Path, access: Path) -> None:
    at = run(signed_in(ADMIN))
    at.button(key="identity_sign_out").click().run()
    at.run()  # st.logout() reloads the page in a browser; AppTest needs the run asked for
    assert at.user == {"is_logged_in": False}
    assert [b.label for b in at.button] == ["Sign in"]
    no_figures(at)


def test_the_groups_claim_named_in_the_rules_may_hold_one_group_as_a_string(
    store: Path, auth: Path, access: Path
) -> None:
    at = run(signed_in("ada@example.com", roles="ml-engineers"), "app_pages/data.py")
    grant = at.session_state["_finops_grant"]
    assert (grant.role, grant.scope.describe(), grant.rules) == ("viewer", "tag:team = ml", ("machine learning",))
    note = next(i.value for i in at.info if i.value.startswith("Signed in as"))
    assert "`ada@example.com`" in note and "**viewer**" in note and "tag\\:team = ml" in note
    assert "`machine learning`" in note
    # The same person under a claim the rules do not name has no groups.
    at = run(signed_in("ada@example.com", groups=["ml-engineers"]))
    assert at.subheader[0].value == "No access yet"


def test_a_sign_in_is_recorded_once_with_its_role_scope_and_rules_however_many_tabs_it_opens(
    store: Path, auth: Path, access: Path, audit_log: Path
) -> None:
    at = run(signed_in("ada@example.com", roles=["ml-engineers"], iat=1_800_000_000))
    at.run()
    at.switch_page("app_pages/explore.py").run()
    entries = sign_ins(audit_log)
    assert len(entries) == 1
    assert entries[0]["actor"] == "ada@example.com"
    assert entries[0]["detail"] == {"role": "viewer", "scope": "tag:team = ml", "rules": ["machine learning"]}
    run(signed_in("ada@example.com", roles=["ml-engineers"], iat=1_800_000_000))  # a reload: the same sign-in
    assert len(sign_ins(audit_log)) == 1
    run(signed_in("ada@example.com", roles=["ml-engineers"], iat=1_800_000_600))  # signed in again: a new token
    assert len(sign_ins(audit_log)) == 2


def test_outside_a_page_run_the_grant_is_the_local_admin_that_prepares_the_data(auth: Path) -> None:
    # The first-start thread builds the sample and warms the caches for everybody, in no session.
    assert identity.auth_configured()
    assert identity.grant() == LOCAL_ADMIN and identity.actor() == "local user"


def test_a_developers_own_sign_in_settings_do_not_put_the_app_tests_behind_a_sign_in_page(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".streamlit").mkdir(parents=True)
    (home / ".streamlit" / "secrets.toml").write_text(
        '[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = "x"\n'
        'client_id = "a"\nclient_secret = "b"\nserver_metadata_url = "https://id.example.com/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    single_user = test_without_sign_in_the_one_local_user_is_an_admin_and_the_data_page_says_single_user_mode
    test = f"tests/test_identity.py::{single_user.__name__}"
    env = {**os.environ, "HOME": str(home)}
    env.pop("STREAMLIT_SECRETS_FILES", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", test],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:]
