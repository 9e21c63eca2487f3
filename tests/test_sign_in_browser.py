"""Sign-in for real (issue 14): an OIDC provider (oidc-provider-mock) runs in a thread of this test,
`streamlit run app.py` is configured to sign in against it, and Chromium signs in two people whose
access rules give them one business unit each. Each sees only their unit's spend on the Overview,
on Explore and in a showback pack they download, each total equal to an independent sum over the
store's allocated costs, and then signs out."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlparse

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from analytics.fx import DEFAULT_FX_PATH
from analytics.showback.words import ROUNDING
from analytics.store import reader
from tests.app_fixtures import PROJECT, pristine_sample
from tests.test_browser import CHROMIUM_ARGS, ERRORS, free_port, streamlit_server, wait_for_script
from tests.tools import require_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # The mock provider runs on Authlib APIs that Authlib 1.9 deprecates; harmless with the pinned pair.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib"),
]
MONTH = dt.date(2026, 5, 1)  # the last full month of the small sample (to 15 Jun 2026): every page's default
NEXT_MONTH = dt.date(2026, 6, 1)
UNITS = ("Commerce", "Platform", "Data & AI")  # the sample company's business units (and Unallocated)
ACCESS = """\
rules:
  - name: commerce team
    groups: [commerce]
    role: viewer
    scope:
      alloc:business_unit: [Commerce]
  - name: platform team
    groups: [platform]
    role: viewer
    scope:
      alloc:business_unit: [Platform]
"""
METRIC_VALUE = "[data-testid='stMetricValue']"


@dataclass(frozen=True)
class Person:
    email: str
    group: str
    unit: str


ANN = Person("ann@example.com", "commerce", "Commerce")
BOB = Person("bob@example.com", "platform", "Platform")

# Independent of the app: the stored allocation (alloc_costs, where shared pools are already split
# onto the owners), converted to USD with the rates file's rate as of each charge day.
UNIT_TOTAL = """
WITH rates AS (
    SELECT valid_from, currency, CAST(usd_per_unit AS DECIMAL(18, 9)) AS usd_per_unit
    FROM read_csv(?, header = true, columns = {'valid_from': 'DATE', 'currency': 'VARCHAR', 'usd_per_unit': 'VARCHAR'})
)
SELECT sum(c.EffectiveCost * CASE WHEN c.BillingCurrency = 'USD' THEN 1 ELSE r.usd_per_unit END)
FROM alloc_costs c
ASOF LEFT JOIN rates r ON r.currency = c.BillingCurrency AND c.ChargeDay >= r.valid_from
WHERE c."alloc:business_unit" = ? AND c.ChargeDay >= ? AND c.ChargeDay < ?
"""


def cents(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def unit_total(store: Path, unit: str) -> Decimal:
    """The unit's EffectiveCost in MONTH, in USD, from the store as the server left it (read-only)."""
    con = reader(store)
    try:
        [(total,)] = con.execute(UNIT_TOTAL, [str(DEFAULT_FX_PATH), unit, MONTH, NEXT_MONTH]).fetchall()
    finally:
        con.close()
    assert total is not None, f"no {unit} spend in {MONTH:%B %Y}: the test would prove nothing"
    return cents(total)


def shown_money(text: str) -> Decimal:
    """'$12,345.67' as a tile shows an exact amount."""
    assert re.fullmatch(r"-?\$[\d,]+\.\d\d", text), text
    return Decimal(text.replace("$", "").replace(",", ""))


def shows_compact(text: str, amount: Decimal) -> bool:
    """Whether a compact tile ('$13.08K', '$1.24M') is `amount` rounded to its last digit."""
    match = re.fullmatch(r"(-?)\$([\d.]+)([KM]?)", text)
    assert match, text
    sign, digits, suffix = match.groups()
    scale = Decimal({"": 1, "K": 1_000, "M": 1_000_000}[suffix])
    step = Decimal(1).scaleb(Decimal(digits).as_tuple().exponent) * scale  # the last digit's worth
    return abs(Decimal(sign + digits) * scale - amount) <= step / 2


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium: skipped without it on a developer's machine (one line says how to install
    it), required under CI=true."""
    return str(require_chromium())


@pytest.fixture(scope="module")
def provider(chromium: str) -> Iterator[str]:
    """The identity provider: both people registered, each with their group in the `groups` claim."""
    # The mock's Flask side refuses OAuth over plain http without this; it runs in this process.
    before = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    with warnings.catch_warnings(record=True):  # Authlib turns its import-time deprecations to "always"
        from oidc_provider_mock import User, run_server_in_thread

    users = [
        User(sub=p.email, claims={"email": p.email, "email_verified": True, "groups": [p.group]}) for p in (ANN, BOB)
    ]
    try:
        # Bound to localhost only: the mock runs werkzeug's debugger.
        with run_server_in_thread(port=0, user_claims=users) as server:
            yield f"http://localhost:{server.server_port}"
    finally:
        if before is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = before


@dataclass(frozen=True)
class Served:
    address: str
    store: Path
    audit: Path


@pytest.fixture(scope="module")
def served(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app, signing in against `provider`, on its own copy of the sample with the shipped
    allocation rules (business units) and the access rules above; nothing of it in the repository."""
    folder = tmp_path_factory.mktemp("sign-in")
    store = pristine_sample(folder / "store.duckdb")
    (folder / "access.yaml").write_text(ACCESS)
    port = free_port()
    address = f"http://localhost:{port}"  # the browser must use the redirect URI's host exactly
    (folder / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "{address}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "finops-lens"\n'
        'client_secret = "any-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    env = {
        **os.environ,
        "FINOPS_DB": str(store),
        "FINOPS_RULES": str(PROJECT / "data" / "allocation.yaml"),
        "FINOPS_ACCESS": str(folder / "access.yaml"),
        "FINOPS_AUDIT": str(folder / "audit.jsonl"),
        "FINOPS_LOG": str(folder / "finops.log"),
        # `streamlit run` options as environment variables: --secrets.files replaces the default
        # lookup (~/.streamlit and ./.streamlit), so no secrets file of the machine or repository counts.
        "STREAMLIT_SECRETS_FILES": str(folder / "secrets.toml"),
        "STREAMLIT_SERVER_ADDRESS": "localhost",
    }
    with streamlit_server(env, folder / "streamlit.log", port=port) as served_at:
        assert served_at == address
        yield Served(address, store, folder / "audit.jsonl")


def only_localhost(route: Route) -> None:
    # The provider's pages link a stylesheet on a CDN: offline, and in CI, fail it at once.
    if urlparse(route.request.url).hostname in ("localhost", "127.0.0.1"):
        route.continue_()
    else:
        route.abort()


def shown(page: Page) -> str:
    """The page once its script has finished, with no error box: all its text."""
    wait_for_script(page)
    errors = page.locator(ERRORS)
    assert errors.count() == 0, errors.first.inner_text()
    return page.locator("body").inner_text()


def sign_in(page: Page, address: str, person: Person) -> None:
    page.goto(address)
    text = shown(page)
    assert "Sign in with your company account" in text and page.locator(METRIC_VALUE).count() == 0
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize?**")
    # The mock's authorization form: whoever is typed in is signed in, with the claims registered for them.
    page.locator('input[name="sub"]').fill(person.email)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{address}/**")


def sign_out(page: Page) -> None:
    page.locator("[data-testid='stSidebar']").get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session?**")  # the provider asks to confirm
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    assert page.locator(METRIC_VALUE).count() == 0


def tile(page: Page, label: str) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return metric.locator(METRIC_VALUE).inner_text()


def others(person: Person) -> list[str]:
    return [u for u in UNITS if u != person.unit]


def download_pack(page: Page, address: str, folder: Path, hidden: list[str]) -> openpyxl.Workbook:
    page.goto(f"{address}/showback")
    text = shown(page)
    for other in hidden:
        assert other not in text, f"the Showback page shows {other}"
    page.get_by_role("button", name="Build the workbook").click()
    button = page.get_by_role("button", name=re.compile(r"^Download showback-.*\.xlsx$"))
    button.wait_for(timeout=60_000)
    with page.expect_download() as download:
        button.click()
    saved = folder / download.value.suggested_filename
    download.value.save_as(saved)
    return openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))


def summary_owners(book: openpyxl.Workbook) -> dict[str, Decimal]:
    """Owner -> total on the pack's Summary (the owners' table, to its Total row)."""
    sheet = book["Summary"]
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(rows) if row and row[0] == "Owner")
    owners = {}
    for row in rows[top + 1 :]:
        if not row or row[0] in (None, "Total"):
            break
        owners[str(row[0])] = cents(row[3])
    return owners


def every_cell(book: openpyxl.Workbook) -> str:
    return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)


def sees_only_their_unit(browser: Browser, served: Served, person: Person, folder: Path) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 1800}, accept_downloads=True)
    try:
        page = context.new_page()
        page.route("**/*", only_localhost)
        sign_in(page, served.address, person)
        text = shown(page)  # the Overview; the server has applied the allocation rules by now
        expected = unit_total(served.store, person.unit)
        for other in others(person):  # spend to hide, or not seeing it would prove nothing
            assert unit_total(served.store, other) > 0, other
        assert f"Signed in as {person.email}, viewer" in text
        assert shows_compact(tile(page, "Last full month"), expected), (tile(page, "Last full month"), expected)
        for other in others(person):
            assert other not in text, f"{person.email} sees {other} on the Overview"

        page.goto(f"{served.address}/explore?period=last_month&group_by=alloc:business_unit")
        text = shown(page)
        assert shown_money(tile(page, "Total")) == expected
        assert person.unit in text
        for other in others(person):
            assert other not in text, f"{person.email} sees {other} on Explore"

        book = download_pack(page, served.address, folder, others(person))
        owners = summary_owners(book)
        assert owners.get(person.unit) == expected, owners
        assert set(owners) - {person.unit} <= {ROUNDING}, owners  # no other owner, not even "no owner"
        cells = every_cell(book)
        for other in others(person):
            assert other not in cells, f"{person.email}'s pack names {other}"

        sign_out(page)
    finally:
        context.close()


def test_two_people_sign_in_and_each_sees_only_their_business_units_spend_then_signs_out(
    chromium: str, served: Served, tmp_path: Path
) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for person in (ANN, BOB):
                sees_only_their_unit(browser, served, person, tmp_path)
        finally:
            browser.close()
    entries = [json.loads(line) for line in served.audit.read_text().splitlines()]
    signed = {(e["actor"], e["detail"]["scope"]) for e in entries if e["action"] == "sign-in"}
    assert signed == {(p.email, f"alloc:business_unit = {p.unit}") for p in (ANN, BOB)}
    exports = [e["actor"] for e in entries if e["action"] == "showback export"]
    assert exports == [ANN.email, BOB.email]
