"""Who am I, one's password and API tokens, and a shop's users."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from jinpai.api import schemas
from jinpai.api.deps import ApiUser, State
from jinpai.api.params import ShopId
from jinpai.services.access import (
    change_own_password,
    change_shop_user,
    check_manager,
    check_owner,
    new_token,
    revoke_own_token,
)
from jinpai.services.accounts import AccountError, Principal, TokenInfo

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=schemas.ERRORS)


def user_out(p: Principal) -> dict[str, Any]:
    return {
        "username": p.username,
        "role": p.role,
        "shops": list(p.shops),
        "agent_id": p.agent_id,
        "active": p.active,
    }


@router.get("/me", response_model=schemas.Me)
def me(user: ApiUser) -> dict[str, Any]:
    """The caller: role, shops and (for an agent) their agent id."""
    return user_out(user)


class PasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


@router.post(
    "/me/password",
    status_code=204,
    responses={429: {"model": schemas.Problem, "description": "too many wrong current passwords"}},
)
def change_password(
    request: Request, user: ApiUser, state: State, body: Annotated[PasswordIn, Body()]
) -> Response:
    """Change the caller's password (the current one is asked again). Every API token and every
    other session of the caller ends."""
    address = request.client.host if request.client else "-"
    keep = getattr(request.state, "session_key", None)
    change_own_password(state, user, body.current_password, body.new_password, address, keep)
    return Response(status_code=204)


class TokenIn(BaseModel):
    name: str = Field(default="", max_length=100)
    days: int | None = Field(
        default=None, ge=1, description="how long it lasts (default and most: the installation's)"
    )


def token_out(info: TokenInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "created_at": info.created_at,
        "last_used_at": info.last_used_at,
        "expires_at": info.expires_at,
    }


@router.post("/tokens", response_model=schemas.TokenOut, status_code=201)
def create_token(user: ApiUser, state: State, body: Annotated[TokenIn, Body()]) -> dict[str, Any]:
    """A new API token for the caller, shown once (send it as ``Authorization: Bearer``). It
    expires after ``days`` (default and most: ``JINPAI_WEB_TOKEN_DAYS``, 90); a new password or
    a disabled sign-in ends it before."""
    made = new_token(state, user, body.name, body.days)
    return {"token": made.token, **token_out(made.info)}


@router.get("/tokens", response_model=list[schemas.TokenInfoOut])
def list_tokens(user: ApiUser, state: State) -> list[dict[str, Any]]:
    """The caller's tokens that still work: name, created, last used, expires (never the token,
    which is not kept)."""
    return [token_out(info) for info in state.accounts.tokens(user.username)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    token_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], user: ApiUser, state: State
) -> Response:
    """Revoke one of the caller's tokens (404 for an id that is not the caller's)."""
    revoke_own_token(state, user, token_id)
    return Response(status_code=204)


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[^\s]+$")
    password: str = Field(min_length=8, max_length=256)
    role: str = Field(pattern="^(owner|supervisor|agent)$")
    agent_id: str | None = Field(default=None, min_length=1, max_length=128)


@router.get("/shops/{shop}/users", response_model=list[schemas.UserOut])
def shop_users(shop: ShopId, user: ApiUser, state: State) -> list[dict[str, Any]]:
    """The users with access to the shop (owners and supervisors)."""
    check_manager(user, shop)
    return [user_out(p) for p in state.accounts.users([shop])]


@router.post("/shops/{shop}/users", response_model=schemas.UserOut, status_code=201)
def add_shop_user(
    shop: ShopId, user: ApiUser, state: State, body: Annotated[UserIn, Body()]
) -> dict[str, Any]:
    """Add a user to the shop (its owner only)."""
    check_owner(user, shop)
    try:
        added = state.accounts.add_user(
            body.username, body.password, body.role, [shop], body.agent_id
        )
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    return user_out(added)


class UserChange(BaseModel):
    password: str | None = Field(default=None, min_length=8, max_length=256)
    active: bool | None = None


@router.patch("/shops/{shop}/users/{username}", response_model=schemas.UserOut)
def change_user(
    shop: ShopId,
    username: Annotated[str, PathParam(min_length=1, max_length=64)],
    user: ApiUser,
    state: State,
    body: Annotated[UserChange, Body()],
) -> dict[str, Any]:
    """Reset a user's password or disable (enable) their sign-in (the shop's owner only). Either
    ends the user's sessions; a disabled user's API tokens stop working too."""
    changed = change_shop_user(state, user, shop, username, body.password, body.active)
    return user_out(changed)
