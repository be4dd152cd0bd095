"""Repositories of users and their exchange accounts (secrets encrypted at rest)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tradewind.adapters.db import changes
from tradewind.adapters.db.conflicts import add_unique, taken_as_conflict
from tradewind.adapters.db.rows import account_from, balances_from, balances_json, user_from
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.tables import AccountRow, UserRow
from tradewind.domain.accounts import Account, ExchangeKind, User
from tradewind.ports import AccountAccess, NewAccount


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, email: str, name: str | None, created_at: int) -> User:
        """Store a user; the email is expected unique (callers check first)."""
        with taken_as_conflict(f"email: a user with email {email} already exists"):
            user_id = self._session.execute(
                insert(UserRow)
                .values(email=email, name=name, created_at=created_at)
                .returning(UserRow.id)
            ).scalar_one()
        return User(id=user_id, email=email, name=name, created_at=created_at)

    def get(self, user_id: int) -> User | None:
        row = self._session.get(UserRow, user_id)
        return None if row is None else user_from(row)

    def by_email(self, email: str) -> User | None:
        row = self._session.execute(
            select(UserRow).where(UserRow.email == email)
        ).scalar_one_or_none()
        return None if row is None else user_from(row)

    def all(self) -> list[User]:
        rows = self._session.execute(select(UserRow).order_by(UserRow.id)).scalars()
        return [user_from(row) for row in rows]

    def emails(self, user_ids: Collection[int]) -> dict[int, str]:
        """Return the email of each user of `user_ids` there is, in one query."""
        if not user_ids:
            return {}
        query = select(UserRow.id, UserRow.email).where(UserRow.id.in_(sorted(user_ids)))
        return {int(i): str(email) for i, email in self._session.execute(query)}

    def changes(self, user_id: int | None) -> int:
        return changes.version(self._session, user_id)

    def freshness(self, user_id: int | None, bot_id: int | None = None) -> tuple[int, ...] | None:
        return changes.freshness(self._session, user_id, bot_id)


def account_access(
    secrets: SecretBox,
    account_id: int,
    kind: str,
    testnet: bool,
    api_key_enc: str,
    api_secret_enc: str,
    paper_balances: Mapping[str, Mapping[str, str]] | None,
) -> AccountAccess:
    """Return what an exchange adapter needs to act for the account, secrets decrypted."""
    return AccountAccess(
        account_id=account_id,
        kind=ExchangeKind.parse(kind),
        api_key=secrets.decrypt(api_key_enc),
        api_secret=secrets.decrypt(api_secret_enc),
        testnet=testnet,
        paper_balances=balances_from(paper_balances),
    )


class SqlAccountRepository:
    """Exchange accounts; API key and secret are Fernet tokens under the master key."""

    def __init__(self, session: Session, secrets: SecretBox) -> None:
        self._session = session
        self._secrets = secrets

    def access(self, account_id: int) -> AccountAccess | None:
        """Return the account with its secrets decrypted, or None when it does not exist."""
        row = self._session.get(AccountRow, account_id)
        if row is None:
            return None
        return account_access(
            self._secrets, row.id, row.kind, row.testnet, row.api_key_enc, row.api_secret_enc,
            row.paper_balances,
        )  # fmt: skip

    def add(self, account: NewAccount) -> Account:
        """Store the account with its secrets encrypted under the master key."""
        self._refuse_a_foreign_key()
        api_key = account.api_key.get_secret_value()
        api_secret = account.api_secret.get_secret_value()
        row = AccountRow(
            user_id=account.user_id,
            name=account.name,
            kind=account.kind.value,
            testnet=account.testnet,
            api_key_enc=self._secrets.encrypt(api_key),
            api_secret_enc=self._secrets.encrypt(api_secret),
            has_api_key=bool(api_key),
            paper_balances=balances_json(account.paper_balances),
            created_at=account.created_at,
        )
        add_unique(self._session, row, f"name: the user has an account named {account.name!r}")
        return account_from(row)

    def _refuse_a_foreign_key(self) -> None:
        # A wrong master key would store this account's secrets under a key that no other
        # account shares; decrypting one stored token first refuses that.
        token = self._session.execute(select(AccountRow.api_key_enc).limit(1)).scalar()
        if token is not None:
            self._secrets.decrypt(token)

    def names(self, account_ids: Collection[int]) -> dict[int, str]:
        """Return the name of each account of `account_ids` there is, in one query."""
        if not account_ids:
            return {}
        query = select(AccountRow.id, AccountRow.name).where(AccountRow.id.in_(sorted(account_ids)))
        return {int(i): str(name) for i, name in self._session.execute(query)}

    def get(self, account_id: int) -> Account | None:
        row = self._session.get(AccountRow, account_id)
        return None if row is None else account_from(row)

    def by_name(self, user_id: int, name: str) -> Account | None:
        row = self._session.execute(
            select(AccountRow).where(AccountRow.user_id == user_id, AccountRow.name == name)
        ).scalar_one_or_none()
        return None if row is None else account_from(row)

    def of_user(self, user_id: int) -> list[Account]:
        rows = self._session.execute(
            select(AccountRow).where(AccountRow.user_id == user_id).order_by(AccountRow.id)
        ).scalars()
        return [account_from(row) for row in rows]
