"""Fixtures for the app tests (AppTest and the browser): one small sample database per session."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit import config
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.secrets import secrets_singleton
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe

from analytics.store import connect
from tests.sample_cache import cached_sample

PROJECT = Path(__file__).resolve().parents[1]
APP = PROJECT / "app.py"
SAMPLE_AS_OF = dt.date(2026, 6, 15)


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small, deterministic sample (3 months to 15 Jun 2026), built once (cached on disk, shared by
    the xdist workers and later runs, tests/sample_cache.py) and copied here for this session."""
    return pristine_sample(tmp_path_factory.mktemp("app") / "sample.duckdb")


def pristine_sample(target: Path) -> Path:
    """The small sample as built, at `target`: not the session's copy, which app tests write to."""
    return cached_sample("app", target, rows=20_000, months=3, seed=7, as_of=SAMPLE_AS_OF)


@pytest.fixture(scope="module")
def sample_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample as built for a module that changes it or needs it unchanged."""
    return pristine_sample(tmp_path_factory.mktemp("copy") / "sample.duckdb")


@pytest.fixture
def sample(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write session on a fresh copy of the sample as built, for a test that changes it."""
    con = connect(pristine_sample(tmp_path / "sample.duckdb"))
    yield con
    con.close()


@pytest.fixture
def app_db(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """FINOPS_DB points at the session's sample for this test."""
    monkeypatch.setenv("FINOPS_DB", str(sample_db))
    return sample_db


def new_app(query: dict[str, str | list[str]] | None = None, page: str | None = "app_pages/explore.py") -> AppTest:
    """The app, not yet run, optionally opened from a link with `query` parameters, at `page`
    (Explore unless told: most app tests are Explore's; None opens the landing page, the Overview)."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    if page is not None:
        at.switch_page(page)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at


@pytest.fixture
def app(app_db: Path) -> AppTest:
    """The app after its first run on the sample, at the Explore page."""
    at = new_app().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@contextlib.contextmanager
def sign_in_configured(folder: Path) -> Iterator[Path]:
    """Sign-in configured: an [auth] section in a secrets file in `folder`.

    st.user and st.login read Streamlit's own secrets singleton, which AppTest's `at.secrets` does not
    reach; the singleton reads the files of the `secrets.files` option. So this points that option
    at the test's file (never the repository's .streamlit/), drops what the singleton had parsed,
    and puts both back afterwards."""
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://localhost:8501/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-of-enough-length"\n'
        'client_id = "finops-lens"\n'
        'client_secret = "test"\n'
        'server_metadata_url = "http://localhost:9/.well-known/openid-configuration"\n'
    )
    before = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(secrets)])
    secrets_singleton._reset()  # the singleton keeps the files it parsed for the life of the process
    try:
        yield secrets
    finally:
        config.set_option("secrets.files", before)
        secrets_singleton._reset()


def page_text(at: AppTest, skip: tuple[str, ...] = ()) -> str:
    """Everything a page shows: every element's message, options, chart spec (with its data) and every
    table's cells; elements of the types in `skip` left out."""
    parts: list[str] = []

    def walk(node: object) -> None:
        if getattr(node, "type", None) in skip:
            return
        if isinstance(node, Dataframe):
            parts.append(node.value.to_csv())
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    # Protobuf text escapes quotes, markdown escapes `&` and friends: compare without backslashes.
    return "\n".join(parts).replace("\\", "")


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Every file a download button of the run serves, by its file name, as the browser would get it."""
    served: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        if filename is not None and isinstance(path_or_data, bytes):
            served[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return served
