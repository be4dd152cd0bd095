"""Exchange accounts: key and secret go in, and never come out."""

from __future__ import annotations

from fastapi import APIRouter

from tradewind.domain.accounts import Account
from tradewind.entrypoints.api.deps import CurrentUser, StoreDep
from tradewind.entrypoints.api.schemas import AccountCreate, AccountPublic, Id
from tradewind.services import manage

router = APIRouter(tags=["accounts"])
_ANSWERS: dict[int | str, dict[str, object]] = {401: {}, 403: {}}


def account_public(account: Account) -> AccountPublic:
    return AccountPublic(
        id=account.id, name=account.name, kind=account.kind, testnet=account.testnet,
        has_api_key=account.has_api_key,
        paper_balances={k: dict(v) for k, v in account.paper_balances.items()},
        created_at=account.created_at,
    )  # fmt: skip


@router.get("/accounts", responses=_ANSWERS)
def list_accounts(store: StoreDep, who: CurrentUser) -> list[AccountPublic]:
    """Your exchange accounts."""
    accounts = manage.list_accounts(store.manage_uow, who.actor, who.user_id)
    return [account_public(a) for a in accounts]


@router.post("/accounts", status_code=201, responses={**_ANSWERS, 409: {}, 503: {}})
def add_account(body: AccountCreate, store: StoreDep, who: CurrentUser) -> AccountPublic:
    """Add a paper or Binance account. A Binance key and secret are first checked with
    Binance (a signed read of the account): refused, the answer is 422 on `api_key` with
    Binance's reason, and nothing is stored; Binance not answering is 503. Stored, they
    are encrypted, and never returned."""
    account = manage.add_account(
        store.manage_uow, store.clock, who.actor, owner_id=who.user_id, name=body.name,
        kind=body.kind.value, testnet=body.testnet, api_key=body.api_key,
        api_secret=body.api_secret, balance=body.balance, check=store.check_credentials,
    )  # fmt: skip
    return account_public(account)


@router.get("/accounts/{account_id}", responses={**_ANSWERS, 404: {}})
def get_account(account_id: Id, store: StoreDep, who: CurrentUser) -> AccountPublic:
    """One of your exchange accounts."""
    return account_public(manage.get_account(store.manage_uow, who.actor, account_id))
