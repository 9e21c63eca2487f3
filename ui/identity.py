"""Who uses the app and what they may see (issue 14). Without an `[auth]` section in Streamlit's
secrets the app has one user, the person at this machine: single-user mode, served on localhost only.
With one, every visitor signs in (`st.login`, OIDC) and the access rules (data/access.yaml or
FINOPS_ACCESS) grant each identity a role and a scope. `gate()` runs at the top of every page run,
before any data is read: it either keeps this run's grant or draws why there is none and stops."""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
from typing import NoReturn

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.secrets import secrets_singleton

from analytics.access import (
    LOCAL_ADMIN,
    AccessError,
    AccessRules,
    Grant,
    Identity,
    check_dimensions,
    default_access_path,
    load_access,
)
from analytics.logs import log_failure
from ui import first_start
from ui.text import inline_code, plain

LOCAL_USER = "local user"
SHARE_IT = "see 'Share it with your company' in the README"
ASK = "ask your FinOps administrator"
_GRANT = "_finops_grant"  # session state: this run's grant, set by gate() at the top of the run
_RECORDED = "_finops_sign_in_recorded"  # session state: the identity whose sign-in is in the audit log
_log = logging.getLogger(__name__)
_signed_in: set[tuple[str, str]] = set()  # (who, when their ID token was issued) already in the audit log
_reported: dict[str, str] = {}  # a refusal's server-side text -> its reference id: logged once per process


class NotSignedIn(RuntimeError):
    """Data was asked for in a run that no sign-in granted anything (a bug: gate() stops such runs)."""


def auth_configured() -> bool:
    """Whether Streamlit's secrets files hold an `[auth]` section: the very files st.login reads.
    (`st.secrets` raises, a FileNotFoundError subclass, when there is no secrets file at all; and in
    AppTest it is `at.secrets`, which st.login and st.user never see.)"""
    return secrets_singleton.load_if_toml_exists() and "auth" in secrets_singleton


def unreadable_secrets() -> list[str]:
    """Secrets files that exist but could not be read: whether they configure sign-in is unknown, so
    single-user mode (everything visible) must not be assumed."""
    if secrets_singleton.load_if_toml_exists():
        return []
    return [str(p) for p in st.get_option("secrets.files") if os.path.isfile(p)]


def _in_run() -> bool:
    return get_script_run_ctx(suppress_warning=True) is not None


def grant() -> Grant:
    """This session's grant: LOCAL_ADMIN in single-user mode and outside a page run (the first-start
    thread prepares the data for everybody); with sign-in, what gate() found for this run."""
    if not _in_run():
        return LOCAL_ADMIN
    found = st.session_state.get(_GRANT)
    if isinstance(found, Grant):
        return found
    if not auth_configured():
        return LOCAL_ADMIN
    raise NotSignedIn("no sign-in has granted this session access to the data")


def is_admin() -> bool:
    return grant().is_admin


def actor() -> str:
    """Who acts, for the audit log: the signed-in email, or the one local user."""
    if not _in_run() or not auth_configured():
        return LOCAL_USER
    user = st.user
    return str(user.get("email") or user.get("sub") or "signed-in user without an email")


def gate() -> None:
    """Let this run go on only for someone the app may serve; otherwise draw why not and st.stop()."""
    st.session_state.pop(_GRANT, None)
    if not auth_configured():
        if unreadable_secrets():
            _refuse_secrets()
        if not serves_only_this_machine():
            _refuse_network()
        st.session_state[_GRANT] = LOCAL_ADMIN
        return
    rules = _rules_or_refuse()
    if not st.user.get("is_logged_in", False):
        _sign_in_page()
    identity = _identity(rules.groups_claim)
    found = rules.grant(identity)
    if found is None:
        _no_access_page(identity)
    st.session_state[_GRANT] = found
    _check_dimensions_or_refuse(rules)
    _record_sign_in(identity, found)
    _sidebar(identity, found)


def serves_only_this_machine() -> bool:
    """Whether Streamlit listens on a loopback address only (its default, no address, is every interface)."""
    address = str(st.get_option("server.address") or "").strip().strip("[]")
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # empty, a host name or an interface name
        return False


def _identity(groups_claim: str) -> Identity:
    """The ID token's claims as the access rules read them; a single group may come as a string."""
    user = st.user
    email = user.get("email")
    claimed = user.get(groups_claim)
    if isinstance(claimed, str):
        groups: tuple[str, ...] = (claimed,)
    elif isinstance(claimed, list | tuple):
        groups = tuple(str(g) for g in claimed)
    else:
        groups = ()
    verified = user.get("email_verified")
    # Some IdPs send the claim as the string "true"; absent means the IdP does not say.
    email_verified = None if verified is None else verified is True or str(verified).lower() == "true"
    return Identity(str(email) if email else None, groups, email_verified)


def _report(problem: str, exc: BaseException) -> str:
    """Log a refusal's details once per process (the first run that meets it) and return its reference."""
    if problem not in _reported:
        _reported[problem] = log_failure(_log, "Serving the app", exc)
        print(f"FinOps Lens refuses to serve: {problem} (reference {_reported[problem]})", file=sys.stderr)
    return _reported[problem]


def _refuse_network() -> NoReturn:
    configured = st.get_option("server.address")
    address = str(configured) if configured else "every network interface"
    shown = inline_code(address) if configured else address
    problem = (
        f"no sign-in is configured, and the server listens on {address}: without sign-in FinOps Lens "
        "serves only this machine"
    )
    reference = _report(problem, PermissionError(problem))
    st.title("FinOps Lens")
    st.error(
        f"No sign-in is configured, so FinOps Lens only serves this machine, and this server listens on "
        f"{shown}. Run it with `--server.address localhost` (the setting in "
        "`.streamlit/config.toml`), or configure sign-in: an `[auth]` section in `.streamlit/secrets.toml` "
        "(see `.streamlit/secrets.toml.example`) and access rules in `data/access.yaml`; "
        f"{SHARE_IT}. Reference `{reference}`.",
        icon=":material/lock:",
    )
    st.stop()


def _refuse_secrets() -> NoReturn:
    files = unreadable_secrets()
    problem = f"{', '.join(files)}: Streamlit cannot read this secrets file (its console says why)"
    reference = _report(problem, PermissionError(problem))
    st.title("FinOps Lens")
    st.error(
        "The server's secrets file (`secrets.toml`) cannot be read, so it is not known whether sign-in is "
        f"configured, and FinOps Lens serves nobody until it is fixed: {ASK}. Reference `{reference}` "
        "(the details are in the server log).",
        icon=":material/lock:",
    )
    st.stop()


def _rules_or_refuse() -> AccessRules:
    """The access rules; with sign-in configured and none usable, nobody is served (nothing shared by accident)."""
    path = default_access_path()
    try:
        rules = load_access(path)
    except AccessError as exc:
        _refuse_rules(path.name, exc, "cannot be used")
    if rules is None:
        missing = AccessError(
            f"{path}: sign-in is configured ([auth] in secrets) but this access rules file is missing"
        )
        _refuse_rules(path.name, missing, "is missing")
    return rules


def _refuse_rules(name: str, exc: AccessError, what: str) -> NoReturn:
    # The browser gets the file's name and a reference; its path and the problem's line go to the log.
    reference = _report(str(exc), exc)
    st.title("FinOps Lens")
    st.error(
        f"Sign-in is configured, but the access rules file {inline_code(name)} {what}, so FinOps Lens "
        f"serves nobody until it is fixed: {ASK}. Reference `{reference}` (the details are in the server log).",
        icon=":material/lock:",
    )
    st.stop()


def _check_dimensions_or_refuse(rules: AccessRules) -> None:
    """A scope naming a tag or allocation dimension the data lacks would show its people nothing."""
    first_start.wait()  # the data must be ready to be asked for its dimensions
    from ui import data  # here, not at the top: ui.data reads grant() from this module

    data.new_run()  # the newest generation: the one this run's pages read
    try:
        check_dimensions(rules, data.known_dimensions())
    except AccessError as exc:
        st.session_state.pop(_GRANT, None)
        _refuse_rules(rules.path.name, exc, "names a dimension the data does not have")
    except ScriptControlException:  # engine() stopped the run with its own message
        raise
    except Exception as exc:  # noqa: BLE001 - unchecked scopes are not served
        st.session_state.pop(_GRANT, None)
        checking = AccessError(f"{rules.path}: its dimensions could not be checked against the data ({exc})")
        checking.__cause__ = exc
        _refuse_rules(rules.path.name, checking, "could not be checked against the data")


def _sign_in_page() -> NoReturn:
    st.title("FinOps Lens")
    st.write("Cloud cost analytics for your company. Sign in with your company account to see your spend.")
    if st.button("Sign in", type="primary", key="identity_sign_in", icon=":material/login:"):
        st.login()
    st.stop()


def _no_access_page(identity: Identity) -> NoReturn:
    st.title("FinOps Lens")
    st.subheader("No access yet")
    st.markdown(
        f"You are signed in as {inline_code(identity.email or st.user.get('sub') or 'an account without an email')}, "
        f"but no access rule grants this account anything. To get access, {ASK}."
    )
    _sign_out_button()
    st.stop()


def _record_sign_in(identity: Identity, found: Grant) -> None:
    """One `sign-in` audit entry per sign-in: a reload or a new tab is a new session but the same
    sign-in (the same ID token, told apart by when it was issued), so it is not recorded again."""
    who = identity.email or str(st.user.get("sub"))
    if st.session_state.get(_RECORDED) == who:
        return
    token = (who, str(st.user.get("iat") or st.user.get("auth_time") or ""))
    if not token[1] or token not in _signed_in:
        from ui import audit  # here: ui.audit asks this module who the actor is

        audit.record("sign-in", {"role": found.role, "scope": found.scope.describe(), "rules": list(found.rules)})
        _signed_in.add(token)
    st.session_state[_RECORDED] = who


def _sidebar(identity: Identity, found: Grant) -> None:
    with st.sidebar:
        st.caption(f"Signed in as {inline_code(identity.email or st.user.get('sub') or '?')}, {found.role}")
        _sign_out_button()


def _sign_out_button() -> None:
    if st.button("Sign out", key="identity_sign_out", icon=":material/logout:"):
        st.logout()


def mode_note() -> None:
    """For the Data page: who the app serves and, when signed in, what this person may see and why."""
    if not auth_configured():
        st.info(
            f"Single-user mode: no sign-in is configured, so the app serves only this machine (localhost); {SHARE_IT}.",
            icon=":material/person:",
        )
        return
    found = grant()
    st.info(
        f"Signed in as {inline_code(actor())}, role **{found.role}**. You see: {plain(found.scope.describe())}. "
        f"Granted by the access rule(s) {', '.join(inline_code(r) for r in found.rules)}.",
        icon=":material/badge:",
    )
