"""Repositories of signing in: logins, browser sessions, API tokens, failed attempts, and
the second factor (TOTP secrets, recovery codes)."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.db.tables import (
    ApiTokenRow,
    LoginAttemptRow,
    LoginRow,
    RecoveryCodeRow,
    TwoFactorRow,
    WebSessionRow,
)
from tradewind.domain.identity import ApiToken, Login, TokenScope, TwoFactor, WebSession
from tradewind.ports import NewToken


def _login_from(row: LoginRow | None) -> Login | None:
    return None if row is None else Login(row.user_id, row.password_hash, row.role, row.disabled)


class SqlLoginRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, user_id: int) -> Login | None:
        return _login_from(self._session.get(LoginRow, user_id, populate_existing=True))

    def save(self, login: Login, updated_at: int) -> None:
        """Insert or replace the user's login."""
        row = self._session.get(LoginRow, login.user_id)
        if row is None:
            row = LoginRow(user_id=login.user_id)
            self._session.add(row)
        row.password_hash = login.password_hash
        row.role = login.role
        row.disabled = login.disabled
        row.updated_at = updated_at
        self._session.flush()


class SqlSessionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, web: WebSession) -> None:
        self._session.execute(
            insert(WebSessionRow).values(
                key_hash=web.key_hash, user_id=web.user_id, csrf_token=web.csrf_token,
                created_at=web.created_at, expires_at=web.expires_at,
            )
        )  # fmt: skip

    def get(self, key_hash: str) -> WebSession | None:
        row = self._session.execute(
            select(WebSessionRow).where(WebSessionRow.key_hash == key_hash)
        ).scalar_one_or_none()
        if row is None:
            return None
        return WebSession(row.key_hash, row.user_id, row.csrf_token, row.created_at, row.expires_at)

    def with_login(self, key_hash: str) -> tuple[WebSession, Login | None] | None:
        found = self._session.execute(
            select(WebSessionRow, LoginRow)
            .outerjoin(LoginRow, LoginRow.user_id == WebSessionRow.user_id)
            .where(WebSessionRow.key_hash == key_hash)
            .execution_options(populate_existing=True)
        ).first()
        if found is None:
            return None
        row, login = found
        web = WebSession(row.key_hash, row.user_id, row.csrf_token, row.created_at, row.expires_at)
        return web, _login_from(login)

    def delete(self, key_hash: str) -> None:
        self._session.execute(delete(WebSessionRow).where(WebSessionRow.key_hash == key_hash))

    def delete_of_user(self, user_id: int) -> int:
        result = self._session.execute(
            delete(WebSessionRow).where(WebSessionRow.user_id == user_id)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def delete_expired(self, now: int) -> int:
        result = self._session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
        return int(result.rowcount)  # type: ignore[attr-defined]


def _token_from(row: ApiTokenRow) -> ApiToken:
    scopes = frozenset(TokenScope(s) for s in row.scopes.split(",") if s)
    return ApiToken(
        row.id, row.user_id, row.name, row.prefix, scopes, row.created_at, row.expires_at,
        row.revoked_at,
    )  # fmt: skip


class SqlTokenRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, token: NewToken) -> ApiToken:
        row = ApiTokenRow(
            user_id=token.user_id,
            name=token.name,
            secret_hash=token.secret_hash,
            prefix=token.prefix,
            scopes=",".join(sorted(token.scopes)),
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=None,
        )
        self._session.add(row)
        self._session.flush()
        return _token_from(row)

    def get(self, token_id: int) -> ApiToken | None:
        row = self._session.get(ApiTokenRow, token_id, populate_existing=True)
        return None if row is None else _token_from(row)

    def by_hash(self, secret_hash: str) -> ApiToken | None:
        row = self._session.execute(
            select(ApiTokenRow).where(ApiTokenRow.secret_hash == secret_hash)
        ).scalar_one_or_none()
        return None if row is None else _token_from(row)

    def with_login(self, secret_hash: str) -> tuple[ApiToken, Login | None] | None:
        found = self._session.execute(
            select(ApiTokenRow, LoginRow)
            .outerjoin(LoginRow, LoginRow.user_id == ApiTokenRow.user_id)
            .where(ApiTokenRow.secret_hash == secret_hash)
            .execution_options(populate_existing=True)
        ).first()
        return None if found is None else (_token_from(found[0]), _login_from(found[1]))

    def of_user(self, user_id: int) -> list[ApiToken]:
        rows = self._session.execute(
            select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id)
        ).scalars()
        return [_token_from(row) for row in rows]

    def revoke(self, token_id: int, revoked_at: int) -> None:
        self._session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=revoked_at)
            .execution_options(synchronize_session=False)
        )


class SqlAttemptRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, keys: list[str], at: int) -> None:
        if keys:
            self._session.execute(insert(LoginAttemptRow), [{"key": k, "at": at} for k in keys])

    def since(self, key: str, since: int) -> list[int]:
        rows = self._session.execute(
            select(LoginAttemptRow.at)
            .where(LoginAttemptRow.key == key, LoginAttemptRow.at >= since)
            .order_by(LoginAttemptRow.at)
        ).scalars()
        return [int(at) for at in rows]

    def forget(self, key: str) -> None:
        self._session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.key == key))

    def forget_before(self, before: int) -> int:
        result = self._session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < before))
        return int(result.rowcount)  # type: ignore[attr-defined]


class SqlTwoFactorRepository:
    """TOTP secrets, encrypted under the master key: a database dump does not hold them."""

    def __init__(self, session: Session, secrets: SecretBox) -> None:
        self._session = session
        self._secrets = secrets

    def get(self, user_id: int) -> TwoFactor | None:
        row = self._session.get(TwoFactorRow, user_id, populate_existing=True)
        if row is None:
            return None
        return TwoFactor(
            row.user_id, self._secrets.decrypt(row.secret_enc), row.created_at,
            row.confirmed_at, row.last_step,
        )  # fmt: skip

    def save(self, second: TwoFactor) -> None:
        row = self._session.get(TwoFactorRow, second.user_id)
        if row is None:
            row = TwoFactorRow(user_id=second.user_id)
            self._session.add(row)
        row.secret_enc = self._secrets.encrypt(second.secret)
        row.created_at = second.created_at
        row.confirmed_at = second.confirmed_at
        row.last_step = second.last_step
        self._session.flush()

    def delete(self, user_id: int) -> None:
        self._session.execute(delete(TwoFactorRow).where(TwoFactorRow.user_id == user_id))


class SqlRecoveryCodeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def replace(self, user_id: int, code_hashes: list[str], created_at: int) -> None:
        self.delete(user_id)
        if code_hashes:
            self._session.execute(
                insert(RecoveryCodeRow),
                [{"user_id": user_id, "code_hash": h, "created_at": created_at, "used_at": None}
                 for h in code_hashes],
            )  # fmt: skip

    def use(self, user_id: int, code_hash: str, used_at: int) -> bool:
        # One statement: of two sign-ins racing with one code, only one changes the row.
        result = self._session.execute(
            update(RecoveryCodeRow)
            .where(
                RecoveryCodeRow.user_id == user_id,
                RecoveryCodeRow.code_hash == code_hash,
                RecoveryCodeRow.used_at.is_(None),
            )
            .values(used_at=used_at)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) > 0  # type: ignore[attr-defined]

    def unused(self, user_id: int) -> int:
        return int(
            self._session.execute(
                select(func.count())
                .select_from(RecoveryCodeRow)
                .where(RecoveryCodeRow.user_id == user_id, RecoveryCodeRow.used_at.is_(None))
            ).scalar_one()
        )

    def delete(self, user_id: int) -> None:
        self._session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))
