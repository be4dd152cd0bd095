"""Account secrets: encrypted at rest, a key file only its owner reads, rotation, no leaks."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.db_builders import paper_account
from tradewind.adapters.db.secrets import (
    SecretBox,
    create_key_file,
    generate_key,
    key_file_path,
    read_key_file,
    rotate_key_file,
    rotate_master_key,
)
from tradewind.adapters.db.tables import AccountRow
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.errors import ConfigurationError
from tradewind.ports import AccountAccess
from tradewind.settings import Settings

KEY, SECRET = "api-key-PLAIN-0001", "api-secret-PLAIN-0002"


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.usefixtures("permissive_umask")
def test_the_key_file_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = key_file_path(tmp_path / "data")
    assert create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(read_key_file(path)) == 1


def test_an_existing_key_file_is_kept(tmp_path: Path) -> None:
    path = key_file_path(tmp_path)
    create_key_file(path)
    before = path.read_bytes()
    assert not create_key_file(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_key_file_others_may_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = key_file_path(tmp_path)
    create_key_file(path)
    path.chmod(mode)
    with pytest.raises(ConfigurationError, match=rf"open to other users .*chmod 600 {path}"):
        read_key_file(path)
    with pytest.raises(ConfigurationError, match="open to other users"):
        create_key_file(path)


def test_no_key_at_all_says_how_to_get_one(tmp_path: Path) -> None:
    box = SecretBox.from_settings(Settings(data_dir=tmp_path))
    with pytest.raises(
        ConfigurationError, match=r"no master key: set TRADEWIND_SECRET_KEY, or run"
    ):
        box.encrypt("x")


def test_a_malformed_key_is_refused_without_repeating_it(tmp_path: Path) -> None:
    box = SecretBox.from_settings(
        Settings(data_dir=tmp_path, secret_key=SecretStr("hunter2-not-a-key"))
    )
    with pytest.raises(ConfigurationError, match="TRADEWIND_SECRET_KEY: not a master key") as e:
        box.encrypt("x")
    assert "hunter2" not in str(e.value)


def test_a_secret_round_trips_and_its_token_does_not_contain_it() -> None:
    box = SecretBox.from_keys([generate_key()])
    token = box.encrypt(SECRET)
    assert SECRET not in token
    assert box.decrypt(token) == SECRET


def test_a_wrong_master_key_is_a_clear_error_that_reveals_nothing() -> None:
    right, wrong = generate_key(), generate_key()
    token = SecretBox.from_keys([right]).encrypt(SECRET)
    with pytest.raises(ConfigurationError, match="cannot decrypt the stored account secrets") as e:
        SecretBox.from_keys([wrong], "TRADEWIND_SECRET_KEY").decrypt(token)
    for revealing in (SECRET, right.decode(), wrong.decode(), token):
        assert revealing not in str(e.value)


def test_secrets_never_show_in_a_repr() -> None:
    key = generate_key()
    access = AccountAccess(account_id=1, kind=ExchangeKind.BINANCE, api_key=KEY, api_secret=SECRET)
    new = paper_account(1, key=KEY, secret=SECRET)
    box = SecretBox.from_keys([key])
    for shown in (repr(access), repr(new), repr(box), str(Settings(secret_key=SecretStr("k")))):
        assert KEY not in shown
        assert SECRET not in shown
        assert key.decode() not in shown


def test_several_keys_in_the_variable_all_decrypt_and_the_first_encrypts(tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    token = SecretBox.from_keys([old]).encrypt(SECRET)
    both = SecretBox.from_settings(
        Settings(data_dir=tmp_path, secret_key=SecretStr(f"{new.decode()},{old.decode()}"))
    )
    assert both.decrypt(token) == SECRET
    assert SecretBox.from_keys([new]).decrypt(both.encrypt(KEY)) == KEY


# --- With a database ---------------------------------------------------------------------


def _store_account(sessions: sessionmaker[Session], box: SecretBox) -> int:
    with SqlManageUnitOfWork(sessions, box) as uow:
        user = uow.users.add("a@example.com", None, 1)
        account_id = uow.accounts.add(paper_account(user.id, key=KEY, secret=SECRET)).id
        uow.commit()
    return account_id


def _tokens(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(select(AccountRow.api_key_enc, AccountRow.api_secret_enc))
        return [(key, secret) for key, secret in rows]


def _access(sessions: sessionmaker[Session], box: SecretBox, account_id: int) -> AccountAccess:
    with SqlUnitOfWork(sessions, box) as uow:
        access = uow.accounts.access(account_id)
    assert access is not None
    return access


def test_rotation_re_encrypts_every_secret_and_the_old_key_stops_working(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    old_key, new_key = generate_key(), generate_key()
    old, new = SecretBox.from_keys([old_key]), SecretBox.from_keys([new_key])
    account_id = _store_account(sessions, old)
    before = _tokens(engine)
    assert rotate_master_key(sessions, old, new_key) == 1
    assert _tokens(engine) != before
    access = _access(sessions, new, account_id)
    assert (access.api_key, access.api_secret) == (KEY, SECRET)
    with pytest.raises(ConfigurationError, match="cannot decrypt"):
        _access(sessions, SecretBox.from_keys([old_key]), account_id)


def test_rotation_with_a_wrong_current_key_changes_nothing(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    right = SecretBox.from_keys([generate_key()])
    account_id = _store_account(sessions, right)
    before = _tokens(engine)
    with pytest.raises(ConfigurationError, match="cannot decrypt"):
        rotate_master_key(sessions, SecretBox.from_keys([generate_key()]), generate_key())
    assert _tokens(engine) == before
    assert _access(sessions, right, account_id).api_secret == SECRET


def test_an_account_is_not_added_under_a_key_that_cannot_read_the_others(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    _store_account(sessions, SecretBox.from_keys([generate_key()]))
    with (
        pytest.raises(ConfigurationError, match="cannot decrypt"),
        SqlManageUnitOfWork(sessions, SecretBox.from_keys([generate_key()])) as uow,
    ):
        uow.accounts.add(paper_account(1, name="second"))
    assert len(_tokens(engine)) == 1


@pytest.mark.usefixtures("permissive_umask")
def test_rotating_the_key_file_leaves_only_the_new_key_in_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = key_file_path(tmp_path)
    create_key_file(path)
    old_keys = read_key_file(path)
    account_id = _store_account(sessions, SecretBox.from_keys(old_keys))
    assert rotate_key_file(sessions, path) == 1
    new_keys = read_key_file(path)
    assert len(new_keys) == 1
    assert new_keys != old_keys
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _access(sessions, SecretBox.from_keys(new_keys), account_id).api_key == KEY
    with pytest.raises(ConfigurationError):
        _access(sessions, SecretBox.from_keys(old_keys), account_id)


def test_a_failed_key_file_rotation_keeps_the_old_key(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = key_file_path(tmp_path)
    create_key_file(path)
    before = path.read_bytes()
    _store_account(sessions, SecretBox.from_keys([generate_key()]))  # not the file's key
    with pytest.raises(ConfigurationError, match="cannot decrypt"):
        rotate_key_file(sessions, path)
    assert path.read_bytes() == before  # refused before the file was touched


def test_a_rotation_failing_half_way_keeps_the_old_key_encrypting(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = key_file_path(tmp_path)
    create_key_file(path)
    old_keys = read_key_file(path)
    account_id = _store_account(sessions, SecretBox.from_keys(old_keys))

    def database_gone(*_: object) -> int:
        raise ConnectionError("the database went away")

    monkeypatch.setattr("tradewind.adapters.db.secrets.rotate_master_key", database_gone)
    with pytest.raises(ConnectionError):
        rotate_key_file(sessions, path)
    keys = read_key_file(path)
    assert keys[0] == old_keys[0]
    assert _access(sessions, SecretBox.from_keys(keys), account_id).api_secret == SECRET
