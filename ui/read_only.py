"""What a user who is not an administrator sees where an administrator has a control that writes
(issue 14: loads, removals, rules, budgets and targets are for admins only): the same page, with a
one-line note instead of the control. ui.data.writer() refuses anyone else as a backstop."""

from __future__ import annotations

import re

import streamlit as st

from ui import identity

# An absolute path on the server inside a message: every folder of it, up to its last component.
_SERVER_PATH = re.compile(r"(?<![\w.~/:-])(?:/[^/\s,;:'\"`()]+)+/(?=[^/\s,;:'\"`()]+)")


def can_write() -> bool:
    """Whether this session's user may change the data, rules, budgets or targets."""
    return identity.is_admin()


def can_model() -> bool:
    """Whether this session's user may bring inputs that stay in the session (a price sheet for a
    what-if): admins and analysts; viewers only read."""
    return identity.grant().role != "viewer"


def sees_everything() -> bool:
    """Whether this session's user may see all spend (the allocation rules name every owner)."""
    return identity.grant().scope.everything


def seen() -> str:
    """What this session's figures cover, for captions: everything, or the user's scope."""
    scope = identity.grant().scope
    return "all accounts and providers" if scope.everything else f"the spend your access grants ({scope.describe()})"


def note(what: str) -> None:
    """The line shown instead of a control that writes: 'Read-only: only an administrator can <what>.'"""
    st.caption(f":material/lock: Read-only: only an administrator can {what}.")


def without_paths(text: str) -> str:
    """`text` with every absolute server path in it cut to its last component (a file's name):
    users who are not admins never see where the server keeps its files."""
    return _SERVER_PATH.sub("", text)
