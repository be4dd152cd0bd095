"""Names and e-mails, as people type them, turned into ids: the one place the CLI does it.

The services take ids and the acting user. Every command resolves what it was given here,
then calls them:

- `--user EMAIL` names the user, who is then also the actor: the command acts as them,
  so the services' ownership rule applies as it does in the API. Without `--user` the
  command line acts as the operator (whoever runs it can read the database and the key
  file anyway).
- `BOT`: digits are a bot id (`7` is always bot 7: names made only of digits are refused
  when a bot is created); anything else is a bot's name, whose with `--user` when
  several users have a bot of that name.
- `--account NAME`, `--channel NAME`: one of the user's, by its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tradewind.domain.accounts import User
from tradewind.domain.bounds import shown
from tradewind.domain.errors import ConfigurationError, NotFound
from tradewind.services.access import Actor
from tradewind.services.manage import looks_like_id

if TYPE_CHECKING:
    from tradewind.bootstrap.store import Store

OPERATOR = Actor.operator()  # the command line, without --user

BOT_HELP = (
    "The bot's id, or its name. A number is always an id: names made only of digits are "
    "refused when a bot is created."
)


@dataclass(frozen=True, slots=True)
class Resolver:
    """Looks up what a command names, in the store it runs on."""

    store: Store

    def user(self, email: str) -> User:
        """Return the user with this email."""
        address = email.strip().lower()
        with self.store.manage_uow() as uow:
            user = uow.users.by_email(address)
        if user is None:
            raise NotFound(
                f"user: there is no user {shown(address)}; add one with `tradewind user add`"
            )
        return user

    def as_user(self, email: str) -> tuple[Actor, User]:
        """Return the user with this email, and them as the actor."""
        user = self.user(email)
        return Actor.user(user.id), user

    def acting(self, email: str | None) -> tuple[Actor, User | None]:
        """Return who acts, and the user `--user` names (None: the operator, for everyone)."""
        return (OPERATOR, None) if email is None else self.as_user(email)

    def acting_on_bot(self, ref: str, email: str | None) -> tuple[Actor, int]:
        """Return who acts (`--user`, else the operator) and the id of the bot `ref` names."""
        actor, user = self.acting(email)
        return actor, self.bot(ref, user)

    def account(self, user: User, name: str | None) -> int:
        """Return the id of the user's account `name`, or of their only account."""
        with self.store.manage_uow() as uow:
            if name is not None:
                account = uow.accounts.by_name(user.id, name.strip())
                if account is None:
                    raise NotFound(
                        f"account: {user.email} has no exchange account named {shown(name.strip())}"
                    )
                return account.id
            accounts = uow.accounts.of_user(user.id)
        if not accounts:
            raise NotFound(
                f"account: {user.email} has no exchange account; add one with "
                "`tradewind account add`"
            )
        if len(accounts) > 1:
            names = ", ".join(account.name for account in accounts)
            raise ConfigurationError(
                f"account: {user.email} has several exchange accounts ({names}); "
                "name one with --account"
            )
        return accounts[0].id

    def bot(self, ref: str, user: User | None) -> int:
        """Return the id of the bot `ref` names: an id, or a name (the user's, if given)."""
        name = ref.strip()
        if looks_like_id(name):
            return int(name)
        with self.store.manage_uow() as uow:
            if user is not None:
                bot = uow.bots.by_name(user.id, name)
                if bot is None:
                    raise NotFound(f"bot: {user.email} has no bot named {shown(name)}")
                return bot.id
            found = uow.bots.find(name=name)
        if not found:
            raise NotFound(f"bot: there is no bot named {shown(name)}")
        if len(found) > 1:
            raise ConfigurationError(
                f"bot: {len(found)} users have a bot named {shown(name)}; say whose with --user"
            )
        return found[0].id

    def channel(self, user: User, name: str) -> int:
        """Return the id of the user's notification channel `name`."""
        with self.store.notify_uow() as uow:
            channel = uow.channels.by_name(user.id, name.strip())
            if channel is not None:
                return channel.id
            names = ", ".join(c.name for c in uow.channels.of_user(user.id)) or "none yet"
        raise NotFound(
            f"channel: {user.email} has no notification channel {shown(name.strip())} "
            f"(channels: {names})"
        )
