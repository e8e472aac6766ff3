"""The pages render (Chinese by default, English on request) with the figures of the API."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient

from tests.web.conftest import MONTH, csrf_of, page_csrf


def test_dashboard_is_the_daily_sheet(sup: TestClient) -> None:
    r = sup.get("/shops/s1/dashboard")
    assert r.status_code == 200
    assert "客服部每日数据实时表" in r.text and 'id="daily-sheet"' in r.text
    assert 'data-chart="heatmap"' in r.text and "/static/vendor/echarts.min.js" in r.text
    assert "小美" in r.text


def test_language_switch_is_remembered(sup: TestClient) -> None:
    assert "Customer service daily sheet" in sup.get("/shops/s1/dashboard?lang=en").text
    assert "Customer service daily sheet" in sup.get("/shops/s1/dashboard").text
    assert "客服部每日数据实时表" in sup.get("/shops/s1/dashboard?lang=zh").text


def test_ranking_agent_and_drill_down(sup: TestClient) -> None:
    r = sup.get("/shops/s1/agents", params={"sort": "inquiries", "order": "asc", "month": MONTH})
    assert r.status_code == 200 and 'id="ranking"' in r.text
    page = sup.get("/shops/s1/agents/a1", params={"month": MONTH}).text
    assert 'hx-get="/shops/s1/explain/inquiries?agent=a1' in page
    fragment = sup.get("/shops/s1/explain/inquiries", params={"agent": "a1", "month": MONTH})
    assert fragment.status_code == 200 and 'class="explained"' in fragment.text
    assert "<html" not in fragment.text  # a fragment for HTMX, not a page


def test_import_page_shows_quarantined_rows(sup: TestClient) -> None:
    token = page_csrf(sup, "/shops/s1/import")
    csv = "agent_id,name,role,hired_on\nz1,新人,presale,2024-03-01\nz2,新人2,presale,someday\n"
    r = sup.post(
        "/shops/s1/import",
        files={"file": ("agents.csv", io.BytesIO(csv.encode()), "text/csv")},
        data={"table": "agents", "csrf_token": token},
    )
    assert r.status_code == 200
    assert 'id="quarantine"' in r.text and "hired_on" in r.text


def test_management_pages_and_settings(sup: TestClient) -> None:
    for path in ("scorecard", "pay", "grades"):
        r = sup.get(f"/shops/s1/{path}", params={"month": MONTH})
        assert r.status_code == 200, path
    assert 'id="download-xlsx"' in sup.get("/shops/s1/pay").text
    settings = sup.get("/shops/s1/settings")
    assert settings.status_code == 200 and 'data-role="presale"' in settings.text


def presale_weights(score: dict) -> dict[str, float]:
    presale = next(a for a in score["agents"] if a["role"] == "presale")
    return {i["metric"]: i["weight"] for i in presale["indicators"]}


def test_kpi_weight_change_is_saved_and_checked(sup: TestClient) -> None:
    settings = sup.get("/shops/s1/settings").text
    token = csrf_of(settings)
    form = settings[settings.index('data-role="presale"') :]
    form = form[: form.index("</form>")]
    weights = {m: float(v) for m, v in re.findall(r'name="w_(\w+)" value="([^"]+)"', form)}
    base = {"csrf_token": token, "role": "presale", "month": MONTH}
    bad = sup.post("/shops/s1/settings/plan", data={**base, "w_sales": "1000"})
    assert bad.status_code == 400  # the weights no longer sum to 100
    before = sup.get("/api/v1/shops/s1/management/score", params={"month": MONTH}).json()
    # move the whole weight of one indicator onto sales: it leaves the plan
    dropped = next(m for m in weights if m not in ("sales", "quality_check"))
    changed = {"w_sales": str(weights["sales"] + weights[dropped]), f"w_{dropped}": "0"}
    ok = sup.post("/shops/s1/settings/plan", data={**base, **changed})
    assert ok.status_code == 200 and 'role="status"' in ok.text
    after = sup.get("/api/v1/shops/s1/management/score", params={"month": MONTH}).json()
    assert dropped not in presale_weights(after)
    assert presale_weights(after)["sales"] > presale_weights(before)["sales"]


def test_errors_render_as_pages(sup: TestClient) -> None:
    r = sup.get("/shops/s2/dashboard")
    assert r.status_code == 403 and "无权访问" in r.text
    assert sup.get("/shops/s1/agents?month=bad").status_code == 422


def test_an_agent_opens_their_own_pay_scorecard_and_grade(agent1: TestClient) -> None:
    """A supervisor's first day: an agent opening 薪资 got a bare 500 (KeyError 'totals'): their
    sheet has their own row and no team totals."""
    for page in ("pay", "scorecard", "grades"):
        r = agent1.get(f"/shops/s1/{page}", params={"month": MONTH})
        assert r.status_code == 200, (page, r.text[:300])
        # a table cell naming the agent (the page's random CSRF token may hold "a2" by chance)
        cells = set(re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", r.text))
        assert "a1" in cells and "a2" not in cells, (page, sorted(cells)[:20])
