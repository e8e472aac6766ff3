"""Models round-trip on both backends, and the database enforces its own rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from jinpai.store import imports, roster, shops, users
from jinpai.store.db import session_factory
from jinpai.store.models import Agent, AgentTerms, KpiPlan, PayAdjustment, Shop, User
from jinpai.store.types import utcnow

PASSWORD = "correct horse battery"


def test_shop_round_trip_with_defaults(session: Session, engine: Engine) -> None:
    shops.ensure_shop(session, "s1", name="金牌旗舰店", settings={"客服": ["小王"], "n": 1.5})
    session.commit()
    with session_factory(engine)() as other:  # a fresh session reads from the database
        shop = other.get(Shop, "s1")
        assert shop is not None
        assert (shop.name, shop.timezone, shop.profile) == ("金牌旗舰店", "Asia/Shanghai", "taobao")
        assert shop.settings == {"客服": ["小王"], "n": 1.5}
        assert shop.created_at.tzinfo is not None
    shops.ensure_shop(session, "s1", timezone="Asia/Hong_Kong", profile="pdd")
    assert [s.timezone for s in shops.list_shops(session)] == ["Asia/Hong_Kong"]
    with pytest.raises(ValueError, match="time zone"):
        shops.ensure_shop(session, "s1", timezone="Mars/Olympus")


def test_terms_round_trip(session: Session, engine: Engine) -> None:
    roster.upsert_agent(session, "s1", "a1", name="小王", group="A组", hired_on="2024-01-08")
    roster.set_terms(
        session, "s1", "a1", "2024-01", role="presale", level="senior", base_salary=3456.78,
        commission_rate=0.012345, reminder_commission_rate=0.005, sales_target=123456.5,
        allowances={"coaching": 300.0}, mentor_of=["a2", "a3"],
    )  # fmt: skip
    session.commit()
    with session_factory(engine)() as other:
        agent = other.scalars(select(Agent)).one()
        assert (agent.name, agent.group, agent.hired_on) == ("小王", "A组", date(2024, 1, 8))
        [terms] = agent.terms
        assert terms.base_salary == pytest.approx(3456.78)
        assert terms.commission_rate == pytest.approx(0.012345)
        assert isinstance(terms.sales_target, float)
        assert terms.allowances == {"coaching": 300.0} and terms.mentor_of == ["a2", "a3"]


def test_timestamps_are_utc_and_naive_ones_are_refused(session: Session) -> None:
    users.add_user(session, "boss", PASSWORD, "owner")
    user = users.get_user(session, "boss")
    assert user is not None
    shanghai = timezone(timedelta(hours=8))
    user.last_login_at = datetime(2024, 3, 1, 8, 0, tzinfo=shanghai)
    session.commit()
    session.expire_all()
    assert user.last_login_at == datetime(2024, 3, 1, 0, 0, tzinfo=UTC)
    user.last_login_at = datetime(2024, 3, 1, 8, 0)
    with pytest.raises(StatementError, match="naive"):
        session.flush()


def test_import_history(session: Session) -> None:
    run = imports.start_import(session, "exports/2024-03/", shop_id="s1", created_by="boss")
    imports.finish_import(session, run.id, "ok", {"tables": {"orders": {"read": 10}}})
    other = imports.start_import(session, "bad.csv")
    session.commit()
    assert [r.id for r in imports.recent_imports(session)] == [other.id, run.id]
    assert imports.recent_imports(session, shop_id="s1")[0].summary["tables"]["orders"] == {
        "read": 10
    }
    with pytest.raises(ValueError):
        imports.finish_import(session, other.id, "running")


def _violates(session: Session, statement: object) -> None:
    with pytest.raises(IntegrityError):
        session.execute(statement)  # type: ignore[call-overload]
        session.flush()
    session.rollback()


def test_unique_constraints(session: Session) -> None:
    agent = roster.upsert_agent(session, "s1", "a1")
    roster.set_terms(session, "s1", "a1", "2024-01", role="presale")
    users.add_user(session, "boss", PASSWORD, "owner")
    session.add(KpiPlan(shop_id="s1", role="presale", valid_from=date(2024, 1, 1), plan={}))
    session.commit()
    agent_pk = agent.id
    # The same agent_id is fine in another shop.
    roster.upsert_agent(session, "s2", "a1")
    session.commit()

    _violates(session, insert(Agent).values(shop_id="s1", agent_id="a1"))
    _violates(
        session,
        insert(AgentTerms).values(
            agent_pk=agent_pk, valid_from=date(2024, 1, 1), allowances={}, mentor_of=[],
            created_at=utcnow(),
        ),
    )  # fmt: skip
    _violates(
        session,
        insert(KpiPlan).values(
            shop_id="s1", role="presale", valid_from=date(2024, 1, 1), plan={}, created_at=utcnow()
        ),
    )
    with pytest.raises(IntegrityError):
        users.add_user(session, "boss", PASSWORD, "supervisor")
    session.rollback()


def test_foreign_keys_and_checks_are_enforced(session: Session) -> None:
    # SQLite ignores foreign keys unless the connection asks: make_engine does.
    _violates(
        session,
        insert(PayAdjustment).values(
            agent_pk=999, month=date(2024, 3, 1), amount=1, reason="x", created_by="boss",
            created_at=utcnow(),
        ),
    )  # fmt: skip
    _violates(session, insert(Agent).values(shop_id="no-such-shop", agent_id="a1"))
    shops.ensure_shop(session, "s1")
    session.commit()
    _violates(
        session,
        insert(Agent).values(
            shop_id="s1", agent_id="a1", hired_on=date(2024, 3, 1), left_on=date(2024, 2, 1)
        ),
    )
    _violates(
        session,
        insert(User).values(username="x", password_hash="h", role="admin", created_at=utcnow()),
    )
    _violates(
        session,
        insert(User).values(username="x", password_hash="h", role="agent", created_at=utcnow()),
    )
