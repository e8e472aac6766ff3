"""The typed dependencies of the API's routes: the app's shared objects and the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from jinpai.services.accounts import Principal
from jinpai.services.app_state import AppState


def app_state(request: Request) -> AppState:
    return request.app.state.jinpai


State = Annotated[AppState, Depends(app_state)]


def api_user(request: Request, state: State) -> Principal:
    user = state.identify(request)
    if user is None:
        raise HTTPException(
            status_code=401,
            detail="sign in or send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


ApiUser = Annotated[Principal, Depends(api_user)]
