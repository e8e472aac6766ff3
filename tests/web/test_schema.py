"""Property tests of the API against its own OpenAPI spec (schemathesis): no 500s, responses
that match the documented models, for an authenticated supervisor. Bounded: a few examples per
read operation, no shrinking, so the whole run stays within seconds."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.conftest import PASSWORDS

CHECKS = [
    schemathesis.checks.not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]


@pytest.fixture(scope="module")
def bearer(site) -> dict[str, str]:  # type: ignore[no-untyped-def]
    accounts = site.app.state.jinpai.accounts
    user = accounts.authenticate("sup", PASSWORDS["sup"], "schemathesis")
    return {"Authorization": f"Bearer {accounts.issue_token(user.user_id, 'schemathesis').token}"}


def run(
    operations: list, examples: int, headers: dict[str, str], username: str | None = None
) -> None:
    """Each operation on ``examples`` generated requests, aimed at shop s1 (and at user
    ``username`` where the path names one)."""
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,  # the same bounded examples on every run (CI)
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            # random shop ids only meet a 403: aim at the shop with data to reach the figures
            if case.path_parameters and "shop" in case.path_parameters:
                case.path_parameters["shop"] = "s1"
            if username and case.path_parameters and "username" in case.path_parameters:
                case.path_parameters["username"] = username
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()


def test_api_conforms_to_its_spec(site, bearer) -> None:  # type: ignore[no-untyped-def]
    # reads only here: imports have their own tests with real files.
    # (schemathesis' pytest plugin does not load on pytest 9, so operations are driven here)
    schema = schemathesis.openapi.from_asgi("/openapi.json", site.app).include(method="GET")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    run(operations, 5, bearer)


def test_settings_writes_conform_and_leave_the_figures_readable(site, bearer) -> None:  # type: ignore[no-untyped-def]
    # whatever a supervisor saves (or has refused with a 422), the reports still answer
    schema = schemathesis.openapi.from_asgi("/openapi.json", site.app).include(
        method="PUT", path_regex="/settings/"
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4  # rules, grading, pay, terms
    run(operations, 25, bearer)
    client = TestClient(site.app, headers=bearer)
    for path in ("report?month=2024-03", "management/pay?month=2024-03",
                 "management/grade?month=2024-03", "management/score?month=2024-03"):  # fmt: skip
        r = client.get(f"/api/v1/shops/s1/{path}")
        assert r.status_code == 200, (path, r.text[:500])


def test_account_writes_conform(site) -> None:  # type: ignore[no-untyped-def]
    # the shop's owner adds users, resets and disables agent a2, makes tokens, changes their own
    # password (wrong current passwords end in the documented 429)
    accounts = site.app.state.jinpai.accounts
    owner = accounts.authenticate("owner", PASSWORDS["owner"], "schemathesis")
    headers = {
        "Authorization": f"Bearer {accounts.issue_token(owner.user_id, 'schemathesis').token}"
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", site.app).include(
        method=["POST", "PATCH"], path_regex="/users|/tokens|/password"
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4  # own password, token, add user, change user
    run(operations, 50, headers, username="a2")
    client = TestClient(site.app, headers=headers)
    r = client.get("/api/v1/shops/s1/users")
    assert r.status_code == 200 and {"owner", "sup"} <= {u["username"] for u in r.json()}
