"""The operator's verbs: every user with their role, disabling one, stopping every bot."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from tradewind.entrypoints.api.deps import CurrentUser, StoreDep
from tradewind.entrypoints.api.schemas import Id
from tradewind.services import identity, manage

router = APIRouter(tags=["operator"])
_ANSWERS: dict[int | str, dict[str, object]] = {401: {}, 403: {}}


class UserOverview(BaseModel):
    id: int
    email: str
    name: str | None
    role: str | None  # None: no password set, cannot sign in
    disabled: bool
    bots: int
    running: int


class StoppedBots(BaseModel):
    stopped: list[int]


@router.get("/users", responses=_ANSWERS)
def list_users(store: StoreDep, who: CurrentUser) -> list[UserOverview]:
    """Every user with their role and bots (an operator's view)."""
    users = manage.list_users(store.manage_uow, who.actor)
    signins = identity.logins(store.identity_uow, who.actor)
    counts = manage.bot_counts(store.manage_uow, who.actor)
    overview = []
    for user in users:
        bots, running = counts.get(user.id, (0, 0))
        login = signins.get(user.id)
        overview.append(
            UserOverview(
                id=user.id, email=user.email, name=user.name,
                role=None if login is None else login.role,
                disabled=login is not None and login.disabled,
                bots=bots, running=running,
            )
        )  # fmt: skip
    return overview


def _set_disabled(store: StoreDep, who: CurrentUser, user_id: int, disabled: bool) -> None:
    identity.set_disabled(store.identity_uow, store.clock, who.actor, user_id, disabled)


@router.post("/users/{user_id}/disable", status_code=204, responses={**_ANSWERS, 404: {}})
def disable_user(user_id: Id, store: StoreDep, who: CurrentUser) -> None:
    """Stop a user from signing in: their sessions end and their tokens stop at once."""
    _set_disabled(store, who, user_id, True)


@router.post("/users/{user_id}/enable", status_code=204, responses={**_ANSWERS, 404: {}})
def enable_user(user_id: Id, store: StoreDep, who: CurrentUser) -> None:
    """Let a disabled user sign in again."""
    _set_disabled(store, who, user_id, False)


@router.post("/bots/stop-all", responses=_ANSWERS)
def stop_all_bots(store: StoreDep, who: CurrentUser) -> StoppedBots:
    """Stop every running bot of every user at once; positions stay open and protected."""
    return StoppedBots(stopped=manage.stop_all_bots(store.manage_uow, who.actor))
