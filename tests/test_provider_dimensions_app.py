"""The app on a store written by schema 1, for a viewer signed in with a scope on HostProviderName:
the first page run upgrades the store, applies the allocation again, and Explore grouped by
ServiceProviderName shows that viewer AWS and Houndly (the marketplace SaaS hosted on AWS), nothing
of the other clouds, with the downloaded totals equal to the line items hosted on AWS."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics import store
from analytics.store import snapshots
from tests.app_fixtures import new_app, page_text, sign_in_configured
from tests.scope_helpers import SHIPPED_RULES
from tests.test_store_upgrade import schema_1_store, to_cent

VIEWER = "hosted-on-aws@example.com"
ACCESS = f"""\
rules:
  - name: admins
    emails: [admin@example.com]
    role: admin
    scope: all
  - name: hosted on AWS
    emails: [{VIEWER}]
    role: viewer
    scope:
      HostProviderName: [AWS]
"""


@pytest.fixture
def old_store_signed_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = schema_1_store(tmp_path / "store")
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS, encoding="utf-8")
    rules = tmp_path / "allocation.yaml"
    shutil.copy(SHIPPED_RULES, rules)
    monkeypatch.setenv("FINOPS_ACCESS", str(access))
    monkeypatch.setenv("FINOPS_DB", str(folder))
    monkeypatch.setenv("FINOPS_RULES", str(rules))
    monkeypatch.setenv("FINOPS_LOG", str(tmp_path / "finops.log"))
    monkeypatch.setenv("FINOPS_UNIT_TARGETS", str(tmp_path / "unit_targets.csv"))
    with sign_in_configured(tmp_path):
        yield folder


def hosted_on_aws(folder: Path) -> tuple[dict[str, Decimal], str, str]:
    """EffectiveCost per ServiceProviderName of the line items hosted on AWS, and their first and
    last day, from the schema-1 generation file itself."""
    con = duckdb.connect(str(folder / snapshots.generation_name(1)), read_only=True)
    try:
        rows = con.execute(
            "SELECT ServiceProviderName, sum(EffectiveCost) FROM line_items WHERE HostProviderName = 'AWS' GROUP BY 1"
        ).fetchall()
        span = con.execute(
            "SELECT min(ChargePeriodStart)::DATE, max(ChargePeriodStart)::DATE FROM line_items"
        ).fetchone()
        currencies = con.execute("SELECT DISTINCT BillingCurrency FROM line_items WHERE HostProviderName = 'AWS'")
        assert currencies.fetchall() == [("USD",)]  # no exchange rate between these totals and the page's
    finally:
        con.close()
    assert span is not None
    return {str(s): to_cent(v) for s, v in rows}, str(span[0]), str(span[1])


def test_a_viewer_scoped_to_a_host_provider_sees_exactly_it_in_explore_on_an_upgraded_store(
    old_store_signed_in: Path, downloads: dict[str, bytes]
) -> None:
    folder = old_store_signed_in
    want, first, last = hosted_on_aws(folder)
    assert set(want) == {"AWS", "Houndly, Inc."}
    query = {"period": "custom", "from": first, "to": last, "group_by": "ServiceProviderName"}
    at = new_app(query, page="app_pages/explore.py")
    at.user = {"is_logged_in": True, "email": VIEWER, "sub": VIEWER, "email_verified": True}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    con = store.reader(folder)
    try:
        assert store.generation(folder) >= 3  # the upgrade, then the allocation applied again
        assert {"ServiceProviderName", "HostProviderName"} <= {
            r[0] for r in con.execute("DESCRIBE alloc_costs").fetchall()
        }
    finally:
        con.close()
    text = page_text(at)
    assert "Houndly, Inc." in text
    assert "Google Cloud" not in text and "Microsoft" not in text
    ((_, content),) = [(n, c) for n, c in downloads.items() if n.endswith(".csv")]
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    got = {r["ServiceProviderName"]: Decimal(r["Total (USD)"]) for r in rows}
    assert got == want
