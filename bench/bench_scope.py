"""What a scope costs: the server-side open of the Overview, Explore and Showback (AppTest, every
data cache cleared before each open) for a user who sees everything and for users limited to one
business unit, one team tag, and a union of two filters. The scoped reader is built once per
generation and scope (its first open includes that); the figures after it are the pages' queries on
the scoped views. Works on a private copy of the sample store.

    python -m bench.bench_scope --rows 10000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import streamlit as st
from streamlit.testing.v1 import AppTest

import ui.identity
from analytics.access import Grant, Scope
from bench.common import PROJECT, peak_rss_mb, private_store

PAGES = ("app_pages/overview.py", "app_pages/explore.py", "app_pages/showback.py")
SCOPES = {
    "everything": Scope(True, ()),
    "alloc:business_unit = Commerce": Scope(False, ((("alloc:business_unit", ("Commerce",)),),)),
    "tag:team = payments": Scope(False, ((("tag:team", ("payments",)),),)),
    "Platform on AWS, or tag:team = search": Scope(
        False,
        (
            (("ProviderName", ("AWS",)), ("alloc:business_unit", ("Platform",))),
            (("tag:team", ("search",)),),
        ),
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with private_store(args.rows) as store:
        os.environ["FINOPS_DB"] = str(store)
        for label, scope in SCOPES.items():
            ui.identity.grant = lambda scope=scope: Grant("viewer", scope, ("bench",))  # type: ignore[misc]
            for page in PAGES:
                at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=600)
                at.switch_page(page)
                runs = []
                for _ in range(args.rounds + 1):
                    st.cache_data.clear()
                    started = time.perf_counter()
                    at.run()
                    runs.append(time.perf_counter() - started)
                    assert not at.exception, [e.value for e in at.exception]
                print(
                    f"{label:>40} {page:>24}: first open {runs[0]:.2f} s, then median "
                    f"{statistics.median(runs[1:]):.2f} s (max {max(runs[1:]):.2f} s) over {args.rounds}"
                )
    print(f"process peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
