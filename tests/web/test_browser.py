"""The web app end to end in Debian's Chromium (Playwright, no downloaded browser): sign in,
the daily sheet's charts, an agent's drill-down, a KPI weight change, an upload with a bad row,
the pay sheet's Excel download, and a password change signing out another browser. Screenshots
go to test-output/screenshots/."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.web.conftest import MONTH, PASSWORDS

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = free_port()
    config = uvicorn.Config(site.app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(60_000)  # first reports compute while the test waits
    pg = context.new_page()
    pg.goto("/login")
    pg.fill("input[name=username]", "sup")
    pg.fill("input[name=password]", PASSWORDS["sup"])
    pg.click("button[type=submit]")
    pg.wait_for_url("**/shops/s1/dashboard")
    yield pg
    context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_dashboard_draws_charts(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#trend-sales canvas")
    page.wait_for_selector("#heatmap canvas")
    assert page.locator(".chart canvas").count() >= 5  # four trend lines and the heatmap
    assert page.locator("#daily-sheet tbody tr").count() == 4  # three agents and the shop
    shot(page, "dashboard")


def test_agent_drill_down(page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/shops/s1/agents?month={MONTH}&sort=inquiries")
    page.click("#ranking a:text('小美')")
    page.wait_for_selector("#trend-sales canvas")
    page.click("a.figure[data-metric=inquiries]")
    page.wait_for_selector("#explain section.explained[data-metric=inquiries] table.rows")
    assert "b1" not in page.inner_text("#explain")  # buyers are masked
    shot(page, "agent-explain")


def test_kpi_weight_changes_the_scorecard(page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/shops/s1/scorecard?month={MONTH}")
    before = page.inner_text("main")
    page.goto("/shops/s1/settings")
    form = page.locator("form.plan[data-role=presale]")
    sales = form.locator("input[name=w_sales]")
    aov = form.locator("input[name=w_aov]")
    moved = 5.0
    sales.fill(str(float(sales.input_value()) - moved))
    aov.fill(str(float(aov.input_value()) + moved))
    form.locator("input[name=month]").fill(MONTH)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("p.ok")
    page.goto(f"/shops/s1/scorecard?month={MONTH}")
    after = page.inner_text("main")
    assert after != before
    shot(page, "scorecard")


def test_upload_with_a_bad_row_is_quarantined(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    upload = tmp_path / "orders.csv"
    upload.write_text(
        "order_id,buyer_id,created_at,paid_at,amount,items\n"
        "w1,b7,2024-03-17 11:00:00,,80,1\n"
        "w2,b7,yesterday-ish,,80,1\n",
        encoding="utf-8",
    )
    page.goto("/shops/s1/import")
    page.set_input_files("input[name=file]", str(upload))
    page.select_option("select[name=table]", "orders")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#quarantine")
    assert "created_at" in page.inner_text("#quarantine")
    shot(page, "import-quarantine")


def test_pay_sheet_downloads_as_excel(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/shops/s1/pay?month={MONTH}")
    with page.expect_download() as info:
        page.click("#download-xlsx")
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(str(target))
    assert target.suffix == ".xlsx" and target.read_bytes()[:2] == b"PK"
    shot(page, "pay")


def save_terms(page, agent: str, allowances: str, mentees: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/shops/s1/settings?month={MONTH}")
    form = page.locator("#terms-form")
    form.locator("select[name=agent_id]").select_option(agent)
    form.locator("input[name=allowances]").fill(allowances)
    form.locator("input[name=mentor_of]").fill(mentees)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".ok")


def test_standing_allowance_reaches_the_pay_sheet(page) -> None:  # type: ignore[no-untyped-def]
    save_terms(page, "a1", "全勤奖=200，餐补=100", "a2")
    row = page.locator('#terms tr[data-agent="a1"]')
    assert row.locator('[data-field="allowances"]').inner_text() == "全勤奖=200.0, 餐补=100.0"
    assert row.locator('[data-field="mentor_of"]').inner_text() == "a2"
    shot(page, "settings-terms")
    page.goto(f"/shops/s1/pay?month={MONTH}")
    assert "全勤奖" in page.content()
    save_terms(page, "a1", "无", "无")  # none again for whatever runs next


def test_round_cap_setting_changes_the_ranking(browser, server) -> None:  # type: ignore[no-untyped-def]
    # shop s2 (sup2): the other browser steps work on s1's figures
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "sup2")
    page.fill("input[name=password]", PASSWORDS["sup2"])
    page.click("button[type=submit]")
    page.wait_for_url("**/shops/s2/dashboard")
    ranking = f"/shops/s2/agents?month={MONTH}&sort=avg_response_s"
    page.goto(ranking)
    before = page.inner_text("#ranking")
    page.goto("/shops/s2/settings")
    form = page.locator("#rules-form")
    form.locator("input[name=round_cap_s]").fill("60")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("p.ok")
    assert page.inner_text("td[data-rule=round_cap_s]") == "60.0"
    shot(page, "settings-rules")
    page.goto(ranking)
    assert page.inner_text("#ranking") != before  # the 900 s round now counts 60 s
    page.goto("/shops/s2/settings")  # back to the profile's cap for whatever runs next
    page.locator("#rules-form input[name=round_cap_s]").fill("")
    page.locator("#rules-form button[type=submit]").click()
    page.wait_for_selector("p.ok")
    assert page.inner_text("td[data-rule=round_cap_s]") in ("600", "600.0")
    context.close()


def test_a_new_password_signs_out_the_other_browser(browser, server, site) -> None:  # type: ignore[no-untyped-def]
    old, new = "browser-pass-1", "browser-pass-2"
    site.app.state.jinpai.accounts.add_user("browser_pw", old, "supervisor", ["s2"])

    def signed_in():  # type: ignore[no-untyped-def]
        context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 900})
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", "browser_pw")
        page.fill("input[name=password]", old)
        page.click("button[type=submit]")
        page.wait_for_url("**/shops/s2/dashboard")
        return context, page

    (here, page), (elsewhere, other) = signed_in(), signed_in()
    page.click("a[href='/account/password']")
    page.fill("input[name=current_password]", old)
    page.fill("input[name=new_password]", new)
    page.fill("input[name=confirm_password]", new)
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-form p.ok")
    shot(page, "password-changed")
    page.goto("/shops/s2/settings")  # this browser stays signed in
    assert "/login" not in page.url
    other.goto("/shops/s2/settings")
    other.wait_for_url("**/login?next=*")  # the other one is signed out
    here.close()
    elsewhere.close()


def test_the_pages_run_under_their_content_security_policy_finding_4_of_the_trust_issue(
    page,  # type: ignore[no-untyped-def]
) -> None:
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto("/shops/s1/dashboard")
    page.wait_for_selector("#heatmap canvas")
    page.hover("#trend-sales canvas")  # ECharts' tooltip is styled inline
    page.goto(f"/shops/s1/agents?month={MONTH}&sort=inquiries")
    page.click("#ranking a:text('小美')")
    page.click("a.figure[data-metric=inquiries]")  # an HTMX swap
    page.wait_for_selector("#explain section.explained[data-metric=inquiries] table.rows")
    page.goto("/account/password")
    assert [text for text in refused if "Content Security Policy" in text] == []
