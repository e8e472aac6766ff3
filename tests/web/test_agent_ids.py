"""An agent id with ``/`` (a night shift, ``浪莎旗舰店:小美/夜班``) has its page, its
explanation and its API figures, and every link to it leads there (the low findings of the
trust issue: such an agent had no page)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from jinpai.services import imports
from tests.web.conftest import MONTH, Site, login

NIGHT = "浪莎旗舰店:小美/夜班"
MESSAGES = f"""buyer_id,agent_id,sender,sent_at,is_auto,content
b7,{NIGHT},buyer,2024-03-16 23:10:00,false,还有货吗
b7,{NIGHT},agent,2024-03-16 23:11:00,false,有的亲
"""
AGENTS = f"agent_id,name,role,level,hired_on\n{NIGHT},夜班小美,presale,mid,2023-06-01\n"
PAGE = f"/shops/s1/agents/{quote(NIGHT, safe='')}"


@pytest.fixture(scope="module")
def night(site: Site) -> Site:
    """The night shift's chats and roster row in shop s1, and a user who is that agent."""
    folder = site.root / "night"
    folder.mkdir()
    (folder / "messages.csv").write_text(MESSAGES, encoding="utf-8")
    (folder / "agents.csv").write_text(AGENTS, encoding="utf-8")
    imports.import_path(Path(folder), site.settings, shop="s1")
    time.sleep(1.1)  # the app looks for a new import once a second
    site.app.state.jinpai.accounts.add_user("night", "night-pass-123", "agent", ["s1"], NIGHT)
    return site


def test_an_agent_id_with_a_slash_has_its_page_and_api_figures_the_low_findings_of_the_trust_issue(
    night: Site,
) -> None:
    sup = login(TestClient(night.app), "sup")
    api = sup.get(f"/api/v1{PAGE}", params={"month": MONTH})
    assert api.status_code == 200, api.status_code
    assert api.json()["agent_id"] == NIGHT and api.json()["figures"]["inquiries"] == 1
    page = sup.get(PAGE, params={"month": MONTH})
    assert page.status_code == 200 and "夜班小美" in page.text
    # the figures' rows are loaded with the id as a query parameter, quoted in the page
    assert f"?agent={quote(NIGHT, safe='')}&month=" in page.text
    explain = sup.get("/api/v1/shops/s1/explain/inquiries", params={"agent": NIGHT, "month": MONTH})
    assert explain.status_code == 200 and explain.json()["value"] == 1
    fragment = sup.get("/shops/s1/explain/inquiries", params={"agent": NIGHT, "month": MONTH})
    assert fragment.status_code == 200


def test_links_to_an_agent_with_a_slash_lead_to_their_page_the_low_findings_of_the_trust_issue(
    night: Site,
) -> None:
    sup = login(TestClient(night.app), "sup")
    for listing in ("/shops/s1/agents", "/shops/s1/dashboard"):
        text = sup.get(listing, params={"month": MONTH}).text
        assert f'href="{PAGE}' in text, listing
    assert sup.get(PAGE, params={"month": MONTH}).status_code == 200
    # the agent signs in and lands on their own page; another agent's page stays closed
    agent = login(TestClient(night.app), "night", "night-pass-123")
    home = agent.get("/", follow_redirects=False)
    assert home.headers["location"] == PAGE
    assert agent.get(PAGE).status_code == 200
    assert agent.get(f"/api/v1{PAGE}").status_code == 200
    assert agent.get("/shops/s1/agents/a1").status_code == 403


def test_the_agent_routes_keep_their_paths_and_parameters_in_the_openapi_document(
    night: Site,
) -> None:
    paths = TestClient(night.app).get("/openapi.json").json()["paths"]
    route = paths["/api/v1/shops/{shop}/agents/{agent_id}"]["get"]
    path_params = {p["name"] for p in route["parameters"] if p["in"] == "path"}
    assert path_params == {"shop", "agent_id"}
    assert not [p for p in paths if ":path" in p]
