"""Who acts, and the one rule of what they may touch.

Every management service takes the acting user (`Actor`) and the ids of the things it
touches, and passes each thing it loads through `owned` (a user through `owner`) before
using it. Another user's thing is refused exactly as a missing one is (`NotFound`), so no
caller — the command line, or the API's 404 — learns that it exists. Operator-only verbs
check `require_operator` (`Forbidden`).

Names and e-mails never reach the services: each door resolves them to ids first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from tradewind.domain.accounts import User
from tradewind.domain.errors import Forbidden, NotFound
from tradewind.ports import UserRepository


class Role(StrEnum):
    """What an actor may touch besides their own things."""

    USER = "user"  # their own users' things only
    OPERATOR = "operator"  # every user's things, and the users themselves


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a user (their own things only) or an operator (every user's).

    `user_id` is None only for an operator who is no user: the command line, run by
    whoever runs the installation (they can read its database and key file anyway).
    """

    user_id: int | None
    role: Role = Role.USER

    def __post_init__(self) -> None:
        # A plain user with no id would list everyone's things: never build one.
        if self.user_id is None and self.role is not Role.OPERATOR:
            raise ValueError("a user who acts needs their user id")

    @classmethod
    def user(cls, user_id: int) -> Actor:
        """Return a plain user acting on their own things."""
        return cls(user_id, Role.USER)

    @classmethod
    def operator(cls, user_id: int | None = None) -> Actor:
        """Return an operator: a user with the operator role, or the command line (None)."""
        return cls(user_id, Role.OPERATOR)

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    def may_act_for(self, owner_id: int) -> bool:
        """Tell whether the actor may see and change what `owner_id` owns."""
        return self.is_operator or owner_id == self.user_id


class Owned(Protocol):
    """Anything a user owns: bots, exchange accounts, notification channels."""

    @property
    def user_id(self) -> int: ...


T = TypeVar("T", bound=Owned)


def owned(actor: Actor, thing: T | None, kind: str, key: int) -> T:
    """Return `thing` (`kind` `key`, as loaded) when the actor may act on it.

    NotFound when it is missing or another user's: the two read the same.
    """
    if thing is None or not actor.may_act_for(thing.user_id):
        raise NotFound(f"{kind}: there is no {kind} {key}")
    return thing


def owner(actor: Actor, user: User | None, user_id: int) -> User:
    """Return the user `user_id` (as loaded) when the actor may act for them; else NotFound."""
    if user is None or not actor.may_act_for(user.id):
        raise NotFound(f"user: there is no user {user_id}")
    return user


def scope(actor: Actor, users: UserRepository, user_id: int | None) -> int | None:
    """Return whose things a listing shows: `user_id`'s (who must exist and be the actor's
    to see), or when None everything the actor may see: their own, or every user's (None)
    for an operator."""
    if user_id is not None:
        return owner(actor, users.get(user_id), user_id).id
    return None if actor.is_operator else actor.user_id


def require_operator(actor: Actor, field: str, action: str) -> None:
    """Refuse (`Forbidden`) unless the actor is an operator."""
    if not actor.is_operator:
        raise Forbidden(f"{field}: only an operator may {action}")
