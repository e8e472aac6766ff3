"""The typed dependencies of the pages: the app's shared objects and the signed-in person."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from jinpai.services.accounts import Principal
from jinpai.services.app_state import AppState


def app_state(request: Request) -> AppState:
    return request.app.state.jinpai


State = Annotated[AppState, Depends(app_state)]


class LoginRequired(Exception):
    """A page asked for without a session: the page handler redirects to the login page."""


def page_user(request: Request, state: State) -> Principal:
    user = state.identify(request)
    if user is None:
        raise LoginRequired()
    return user


PageUser = Annotated[Principal, Depends(page_user)]
ShopId = Annotated[str, Path(min_length=1, max_length=64, description="the shop's id")]
AgentId = Annotated[str, Path(min_length=1, max_length=128, description="the agent's id")]
