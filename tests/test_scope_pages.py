"""No page leaks what a scope hides (issue 14): every page, run through app.py as a viewer signed in
with a mocked `st.user`, shows no out-of-scope business unit, account, provider or service anywhere
(text, metrics, tables, captions, widget options, chart data); the Data page, the Explore CSV and the
Showback workbook hold only in-scope values, and their totals are the scoped sums computed here in
plain SQL; a link naming an out-of-scope value shows nothing of it; a viewer is not served an admin's
cached figures; and a user who is not an admin cannot write, whatever they call."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from analytics import store
from analytics.allocation.refresh import refresh
from analytics.engine import DuckDBEngine
from analytics.fx import load_fx
from analytics.schema import ROLLUP_DIMENSIONS
from analytics.showback.data import gather
from analytics.showback.request import PackRequest
from analytics.showback.workbook import pack
from tests.app_fixtures import new_app, page_text, pristine_sample, sign_in_configured
from tests.scope_helpers import SHIPPED_RULES, Part, allocated_sample, scope_sql, to_cent
from tests.showback_helpers import AT, table_rows

COMMERCE = "commerce@example.com"
AWS_ONE = "aws-one@example.com"
EUR_IN_USD = Decimal("1.25")
HIDDEN_DIMENSIONS = ("alloc:business_unit", "SubAccountName", "SubAccountId", "ProviderName", "ServiceName")
APP_WORDS = {"Unallocated"}  # the rules' default owner, and the app's label for spend without one
PAGES = [
    "app_pages/overview.py",
    "app_pages/explore.py",
    "app_pages/allocation.py",
    "app_pages/unit_economics.py",
    "app_pages/forecast.py",
    "app_pages/anomalies.py",
    "app_pages/rightsizing.py",
    "app_pages/commitments.py",
    "app_pages/showback.py",
    "app_pages/data.py",
]


def _q(column: str) -> str:
    return '"' + column + '"'


class Lake:
    """The module's store (the small sample, allocated with the shipped rules) and what each
    test viewer may and may not see in it, found with plain SQL on the unscoped store."""

    def __init__(self, folder: Path) -> None:
        self.path = allocated_sample(folder / "sample.duckdb")
        self.rules = folder / "allocation.yaml"
        shutil.copy(SHIPPED_RULES, self.rules)
        self.rates = folder / "fx_rates.csv"
        self.rates.write_text(f"valid_from,currency,usd_per_unit\n2000-01-01,EUR,{EUR_IN_USD}\n", encoding="utf-8")
        con = store.reader(self.path)
        try:
            self.columns = {str(r[0]) for r in con.execute("DESCRIBE alloc_costs").fetchall()}
            self.account = str(
                con.execute(
                    "SELECT SubAccountId FROM alloc_costs WHERE ProviderName = 'AWS' GROUP BY 1 "
                    "ORDER BY sum(EffectiveCost) DESC LIMIT 1"
                ).fetchall()[0][0]
            )
            self.scopes: dict[str, list[list[Part]]] = {
                COMMERCE: [[("alloc:business_unit", ("Commerce",))]],
                AWS_ONE: [[("SubAccountId", (self.account,))]],
            }
            self.hidden = {who: self._hidden(con, scope) for who, scope in self.scopes.items()}
        finally:
            con.close()

    def _hidden(self, con: duckdb.DuckDBPyConnection, scope: list[list[Part]]) -> dict[str, set[str]]:
        """Per dimension, the values no in-scope row has: none of them may show for this viewer. A
        value some in-scope row carries under another dimension may (an AWS management account's
        name is also the billing account's name), and so may the app's own word `Unallocated`."""
        params: list[object] = []
        allowed = scope_sql(scope, self.columns, params)
        texts = [c for c in (*ROLLUP_DIMENSIONS, "alloc:business_unit", "alloc:shared_pool")]
        rows = con.execute(
            f"SELECT DISTINCT {', '.join(_q(c) for c in texts)} FROM alloc_costs r WHERE {allowed}", params
        )
        visible = {str(v) for row in rows.fetchall() for v in row if v is not None} | APP_WORDS
        params = []
        allowed = scope_sql(scope, self.columns, params)
        tags = con.execute(
            f"SELECT DISTINCT t.TagValue FROM alloc_tags t JOIN alloc_costs r USING (x_TagSetId) WHERE {allowed}",
            params,
        )
        visible |= {str(r[0]) for r in tags.fetchall()}
        found = {}
        for dimension in HIDDEN_DIMENSIONS:
            values = con.execute(f"SELECT DISTINCT {_q(dimension)} FROM alloc_costs").fetchall()
            found[dimension] = {str(r[0]) for r in values if r[0] is not None} - visible
        return found

    def scoped_sum(self, who: str, first: str, last: str, extra: str = "TRUE") -> Decimal:
        """The viewer's EffectiveCost over [first, last] in USD (EUR at the test's one rate)."""
        params: list[object] = [first, last]
        allowed = scope_sql(self.scopes[who], self.columns, params)
        con = store.reader(self.path)
        try:
            value = con.execute(
                f"SELECT sum(r.EffectiveCost * CASE r.BillingCurrency WHEN 'EUR' THEN {EUR_IN_USD} ELSE 1 END) "
                f"FROM alloc_costs r WHERE r.ChargeDay BETWEEN ? AND ? AND {allowed} AND {extra}",
                params,
            ).fetchall()[0][0]
        finally:
            con.close()
        return Decimal(value or 0)

    def in_scope_sources(self, who: str, first: str, last: str) -> dict[tuple[str, str, str], tuple]:
        """Per source file, billing period and currency: the viewer's line items (a pool's share is
        part of a line item, not one of its own), BilledCost and EffectiveCost charged in [first, last]."""
        params: list[object] = [first, last]
        allowed = scope_sql(self.scopes[who], self.columns, params)
        con = store.reader(self.path)
        try:
            rows = con.execute(
                "SELECT s.x_SourceFile, strftime(r.BillingPeriodStart, '%Y-%m'), r.BillingCurrency, "
                "count(*) FILTER (WHERE NOT coalesce(r.x_Shared, FALSE)), sum(r.BilledCost), sum(r.EffectiveCost) "
                "FROM alloc_line_items r JOIN sources s USING (x_SourceId) "
                f"WHERE CAST(r.ChargePeriodStart AS DATE) BETWEEN ? AND ? AND {allowed} GROUP BY ALL",
                params,
            ).fetchall()
        finally:
            con.close()
        return {(f, p, c): (n, to_cent(b), to_cent(e)) for f, p, c, n, b, e in rows}


ACCESS = """\
groups_claim: roles
rules:
  - name: finops team
    emails: [boss@example.com]
    role: admin
    scope: all
  - name: commerce
    emails: [commerce@example.com]
    role: viewer
    scope:
      alloc:business_unit: [Commerce]
  - name: commerce analysts
    emails: [analyst@example.com]
    role: analyst
    scope:
      alloc:business_unit: [Commerce]
  - name: one aws account
    emails: [aws-one@example.com]
    role: viewer
    scope:
      SubAccountId: ["ACCOUNT"]
"""


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return Lake(tmp_path_factory.mktemp("scope-pages"))


@pytest.fixture
def signed_in_app(lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lake]:
    """Sign-in configured the way tests/test_identity.py does it: an [auth] section in a secrets file
    of this test (st.user reads Streamlit's secrets singleton, not AppTest's `at.secrets`), the access
    rules above (FINOPS_ACCESS), the module's store, the shipped rules and the one-rate FX table."""
    access = tmp_path / "access.yaml"
    access.write_text(ACCESS.replace("ACCOUNT", lake.account))
    monkeypatch.setenv("FINOPS_ACCESS", str(access))
    monkeypatch.setenv("FINOPS_DB", str(lake.path))
    monkeypatch.setenv("FINOPS_RULES", str(lake.rules))
    monkeypatch.setenv("FINOPS_LOG", str(tmp_path / "finops.log"))
    monkeypatch.setenv("FINOPS_UNIT_TARGETS", str(tmp_path / "unit_targets.csv"))
    monkeypatch.setattr("ui.data.fx_path", lambda: lake.rates)
    with sign_in_configured(tmp_path):
        yield lake


def run(email: str, page: str | None, query: Mapping[str, str] | None = None) -> AppTest:
    at = new_app(dict(query or {}), page=page)
    at.user = {"is_logged_in": True, "email": email, "sub": email, "email_verified": True}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def pattern(value: str) -> re.Pattern[str]:
    """`value` as a whole word or id (not `Platform` inside `data-platform`, nor `security` inside a
    resource id's `microsoft.security/`); `&` may be an entity."""
    text = re.escape(value).replace("\\&", "(?:&|&amp;|u0026)")
    # A sentence may end right after the value ("owned by Platform."); an id or a path goes on.
    return re.compile(rf"(?<![\w./:-]){text}(?![\w-])(?![./:]\w)")


def leaks(text: str, hidden: dict[str, set[str]]) -> list[str]:
    return sorted({f"{d}={v}" for d, values in hidden.items() for v in values if pattern(v).search(text)})


def test_the_viewers_have_something_to_hide(lake: Lake) -> None:
    """Each test viewer's scope leaves out business units, accounts, providers and services that
    exist: the leak checks below look for them."""
    assert lake.hidden[COMMERCE]["alloc:business_unit"] == {"Data & AI", "Platform"}
    assert lake.hidden[COMMERCE]["SubAccountName"] and lake.hidden[COMMERCE]["SubAccountId"]
    assert len(lake.hidden[AWS_ONE]["SubAccountId"]) >= 10
    assert lake.hidden[AWS_ONE]["ProviderName"] == {"Microsoft", "Google Cloud"}
    assert lake.scoped_sum(COMMERCE, "2026-05-01", "2026-05-31") > 0


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", [COMMERCE, AWS_ONE])
def test_no_page_shows_a_business_unit_account_provider_or_service_outside_the_viewers_scope(
    page: str, who: str, signed_in_app: Lake
) -> None:
    at = run(who, page)
    assert at.session_state["_finops_grant"].role == "viewer"
    text = page_text(at)
    assert not at.error, [e.value for e in at.error]
    assert len(text) > 2000, "the page drew next to nothing: a leak check on it proves nothing"
    assert leaks(text, signed_in_app.hidden[who]) == []


@pytest.mark.parametrize("who", [COMMERCE, AWS_ONE])
def test_the_data_page_lists_each_source_with_only_its_in_scope_rows_and_billed_cost(
    who: str, signed_in_app: Lake
) -> None:
    lake = signed_in_app
    at = run(who, "app_pages/data.py")
    table = next(d.value for d in at.dataframe if "Source" in d.value.columns)
    shown = {(r["Source"], r["Billing periods"]): (int(r["Rows"]), r["BilledCost"]) for r in table.to_dict("records")}
    params: list[object] = []
    allowed = scope_sql(lake.scopes[who], lake.columns, params)
    con = store.reader(lake.path)
    try:
        rows = con.execute(
            # A pool's share is the in-scope part of one line item, not a line item of its own.
            "SELECT s.x_SourceFile, strftime(r.BillingPeriodStart, '%Y-%m'), "
            "count(*) FILTER (WHERE NOT coalesce(r.x_Shared, FALSE)), sum(r.BilledCost), "
            f"any_value(r.BillingCurrency) FROM alloc_line_items r JOIN sources s USING (x_SourceId) WHERE {allowed} "
            "GROUP BY ALL",
            params,
        ).fetchall()
    finally:
        con.close()
    want = {(f, p): (n, f"{to_cent(b):,} {c}") for f, p, n, b, c in rows}
    assert shown == want


@pytest.mark.parametrize("group_by", ["alloc:business_unit", "SubAccountName", "SubAccountId"])
def test_explore_grouped_by_a_scope_dimension_lists_and_downloads_only_in_scope_values(
    group_by: str, signed_in_app: Lake, downloads: dict[str, bytes]
) -> None:
    lake = signed_in_app
    query = {"period": "custom", "from": "2026-04-01", "to": "2026-05-31", "group_by": group_by}
    at = run(COMMERCE, "app_pages/explore.py", query)
    assert leaks(page_text(at), lake.hidden[COMMERCE]) == []
    ((name, content),) = [(n, c) for n, c in downloads.items() if n.endswith(".csv")]
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows and leaks(content.decode("utf-8-sig"), lake.hidden[COMMERCE]) == [], name
    total = sum(Decimal(r["Total (USD)"]) for r in rows)
    assert abs(total - lake.scoped_sum(COMMERCE, "2026-04-01", "2026-05-31")) < Decimal("0.01") * len(rows)
    if group_by == "alloc:business_unit":
        assert [r[group_by] for r in rows] == ["Commerce"]


def workbook_text(content: bytes) -> tuple[str, openpyxl.Workbook]:
    """Every cell's text."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    return "\n".join(cells), book


@pytest.mark.parametrize("who", [COMMERCE, AWS_ONE])
def test_a_viewers_showback_pack_holds_only_their_spend_and_its_total_is_their_scoped_sum(
    who: str, signed_in_app: Lake, downloads: dict[str, bytes], audit_log: Path
) -> None:
    lake = signed_in_app
    at = run(who, "app_pages/showback.py")
    before = store.generations(lake.path)
    at.button(key="showback_build_xlsx").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert store.generations(lake.path) == before  # a viewer's pack is audited, not recorded in the store
    ((name, content),) = [(n, c) for n, c in downloads.items() if n.endswith(".xlsx")]
    text, book = workbook_text(content)
    assert leaks(text, lake.hidden[who]) == [], name
    _, rows = table_rows(book["Summary"], "Owner")
    total = sum(Decimal(str(r[3])) for r in rows if r[0] != "Total")
    assert total == to_cent(lake.scoped_sum(who, "2026-05-01", "2026-05-31")), name
    # The Cover's and the Reconciliation's source totals are the in-scope part of each source.
    assert next(m.value for m in at.metric if m.label == "Reconciliation difference") == "0.00"
    sources = lake.in_scope_sources(who, "2026-05-01", "2026-05-31")
    _, cover = table_rows(book["Cover"], "Source")
    assert {(r[0], r[3], r[4]): (r[5], to_cent(r[6]), to_cent(r[7])) for r in cover} == sources, name
    _, recon = table_rows(book["Reconciliation"], "Currency")
    per_currency: dict[str, Decimal] = {}
    for (_, _, currency), (_, _, effective) in sources.items():
        per_currency[currency] = per_currency.get(currency, Decimal(0)) + effective
    assert {r[0]: to_cent(r[2]) for r in recon if str(r[1]).startswith("Billed in")} == per_currency, name
    owners = {str(r[0]) for r in rows if not str(r[0]).startswith(("Total", "Rounding"))}
    if who == COMMERCE:
        assert owners <= {"Commerce", "Unallocated (no alloc:business_unit)"} and "Commerce" in owners, owners
    entries = audit_log.read_text().splitlines()
    assert any('"showback export"' in e and lake.scopes[who][0][0][0] in e for e in entries)


@pytest.mark.parametrize(
    ("dimension", "value"),
    [("alloc:business_unit", "Platform"), ("SubAccountName", None)],
)
def test_a_link_naming_an_out_of_scope_value_shows_nothing_of_it(
    dimension: str, value: str | None, signed_in_app: Lake
) -> None:
    lake = signed_in_app
    value = value or sorted(lake.hidden[COMMERCE][dimension])[0]
    for page in ("app_pages/explore.py", "app_pages/overview.py"):
        at = run(COMMERCE, page, {dimension: value, "period": "custom", "from": "2026-03-01", "to": "2026-06-14"})
        # The filter widget shows the link's own value back (it is the visitor's text, not data);
        # nothing else on the page may name it, and no spend is shown for it.
        assert not pattern(value).search(page_text(at, skip=("multiselect",))), page
        if page.endswith("explore.py"):
            assert any("no spend for these filters" in i.value for i in at.info)
            assert not at.get("vega_lite_chart") and not at.dataframe


@pytest.mark.parametrize("who", [COMMERCE, "analyst@example.com"])
def test_a_user_who_is_not_an_admin_and_calls_the_writer_is_refused_and_the_store_is_unchanged(
    who: str, signed_in_app: Lake
) -> None:
    lake = signed_in_app
    before = store.generations(lake.path)

    def script() -> None:
        from ui import data, identity

        identity.gate()
        with data.writer() as cur:
            cur.execute("DELETE FROM line_items")

    at = AppTest.from_function(script, default_timeout=60)
    at.user = {"is_logged_in": True, "email": who, "sub": who, "email_verified": True}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["_finops_grant"].role == ("viewer" if who == COMMERCE else "analyst")
    assert any("Only an administrator" in e.value for e in at.error), [e.value for e in at.error]
    assert store.generations(lake.path) == before
    con = store.reader(lake.path)
    try:
        assert con.execute("SELECT count(*) FROM line_items").fetchall()[0][0] > 0
    finally:
        con.close()


@pytest.mark.parametrize("page", ["app_pages/overview.py", "app_pages/explore.py", "app_pages/showback.py"])
def test_a_viewer_right_after_an_admin_is_not_served_the_admins_cached_figures(page: str, signed_in_app: Lake) -> None:
    """The admin's run fills the caches with everything, and the leak check finds on it values the
    viewer may not see (so it would catch a page that showed them); the viewer's run of the same page, in the
    same process, on the same data, shows none of them."""
    query = {"group_by": "alloc:business_unit"} if page.endswith("explore.py") else None
    admin = leaks(page_text(run("boss@example.com", page, query)), signed_in_app.hidden[COMMERCE])
    assert admin, "the admin's page shows nothing the viewer may not see: the check would prove nothing"
    assert leaks(page_text(run(COMMERCE, page, query)), signed_in_app.hidden[COMMERCE]) == []


def test_a_scoped_pack_names_no_owner_outside_the_scope_in_its_shared_cost_rules(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "allocation.yaml"
    rules.write_text(
        SHIPPED_RULES.read_text(encoding="utf-8").replace(
            "split: proportional", "split: fixed\n    weights: {Commerce: 50, Data & AI: 30, Platform: 20}"
        ),
        encoding="utf-8",
    )
    path = pristine_sample(tmp_path / "fixed.duckdb")
    with store.writing(path) as con:
        assert refresh(con, rules).error is None
    scoped = store.scoped_reader(path, store.generation(path), [[("alloc:business_unit", ("Commerce",))]])
    try:
        scope = "alloc:business_unit = Commerce"  # what the app puts in the request of a scoped user
        request = PackRequest(dt.date(2026, 5, 1), dt.date(2026, 5, 1), "alloc:business_unit", scope=scope)
        content = pack(gather(DuckDBEngine(scoped), load_fx(lake.rates), request), AT)
    finally:
        scoped.close()
    text, book = workbook_text(content)
    assert "Shared costs" in book.sheetnames and "Commerce" in text
    assert leaks(text, lake.hidden[COMMERCE]) == []
