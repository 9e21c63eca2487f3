"""One way to cache an analytics call in the app. `st.cache_data` keys on a call's own arguments;
what the result also depends on (the loaded data's version, the exchange-rate file, any other file
the call reads) is added here, so no wrapper can forget one and no page passes them by hand.

    @cached_fx(max_entries=32)
    def _forecast(engine: DuckDBEngine, fx: FxTable, where: Filters, currency: str) -> Forecast: ...

    _forecast(filters, currency)  # the engine and the FX table are passed in, never hashed
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import streamlit as st

from analytics.engine import DuckDBEngine
from analytics.fx import FxTable
from ui import data
from ui.data import file_stamp

P = ParamSpec("P")
R = TypeVar("R")
Files = Callable[[], Iterable[str | Path]]
Stamp = Callable[[DuckDBEngine], Hashable]


def _no_files() -> tuple[Path, ...]:
    return ()


def _store(
    fn: Callable[..., R], ttl: int, max_entries: int, spinner: bool | str
) -> Callable[..., R]:  # the cached runner: every argument by keyword, the unhashable ones "_"-named
    @functools.wraps(fn)  # Streamlit tells caches apart by the function's module, name and source
    def run(*, _engine: DuckDBEngine, _fx: FxTable | None, version: Hashable, args: Any, kwargs: Any) -> R:
        head = (_engine,) if _fx is None else (_engine, _fx)
        return fn(*head, *args, **dict(kwargs))

    return st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=spinner)(run)


def _version(engine: DuckDBEngine, fx: FxTable | None, files: Files, stamp: Stamp | None) -> Hashable:
    stamps = tuple(file_stamp(p) for p in files())
    return (
        data.db_key(),
        None if fx is None else file_stamp(fx.source),
        stamps,
        None if stamp is None else stamp(engine),
    )


def cached(
    *,
    max_entries: int,
    ttl: int = data.TTL,
    files: Files = _no_files,
    stamp: Stamp | None = None,
    spinner: bool = False,
) -> Callable[[Callable[Concatenate[DuckDBEngine, P], R]], Callable[P, R]]:
    """Cache `fn(engine, *args)` on its arguments, the loaded data's version, the stamps of the
    `files` it reads and `stamp(engine)` (for data a write does not version, such as metrics)."""

    def decorate(fn: Callable[Concatenate[DuckDBEngine, P], R]) -> Callable[P, R]:
        stored = _store(fn, ttl, max_entries, spinner)

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            engine = data.engine()
            version = _version(engine, None, files, stamp)
            return stored(_engine=engine, _fx=None, version=version, args=args, kwargs=tuple(sorted(kwargs.items())))

        return call

    return decorate


def cached_fx(
    *,
    max_entries: int,
    ttl: int = data.TTL,
    files: Files = _no_files,
    stamp: Stamp | None = None,
    spinner: bool | str = False,
) -> Callable[[Callable[Concatenate[DuckDBEngine, FxTable, P], R]], Callable[P, R]]:
    """As `cached`, for `fn(engine, fx, *args)`: the exchange-rate table is passed in and its file's
    stamp joins the key, so editing the rates re-converts every figure."""

    def decorate(fn: Callable[Concatenate[DuckDBEngine, FxTable, P], R]) -> Callable[P, R]:
        stored = _store(fn, ttl, max_entries, spinner)

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            engine, table = data.engine(), data.fx()
            version = _version(engine, table, files, stamp)
            return stored(_engine=engine, _fx=table, version=version, args=args, kwargs=tuple(sorted(kwargs.items())))

        return call

    return decorate
