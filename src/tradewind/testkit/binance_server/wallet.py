"""Wallet route, `/sapi/v1/asset/transfer`: universal transfer between spot and USDⓈ-M futures.

Its weight counts per account (UID), as Binance counts /sapi; the key needs the
universal-transfer permission (-2015 otherwise).
"""

from __future__ import annotations

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.state import Account
from tradewind.testkit.binance_server import errors
from tradewind.testkit.binance_server import order_checks as checks
from tradewind.testkit.binance_server import params as p
from tradewind.testkit.binance_server.context import ROUTES, AccountExtras, Call, Reply
from tradewind.testkit.binance_server.limits import Market

_DIRECTIONS = ("MAIN_UMFUTURE", "UMFUTURE_MAIN")


@ROUTES.add("POST", "/sapi/v1/asset/transfer", Market.SAPI, 300, signed=True, needs_transfer=True)
def transfer(call: Call) -> Reply:
    """Move funds between the spot (MAIN) and the USDⓈ-M futures (UMFUTURE) wallets."""
    direction = p.required(call.params, "type")
    if direction not in _DIRECTIONS:
        raise errors.invalid_value("type")  # other wallets (margin, COIN-M …) are not served
    asset = p.required(call.params, "asset").upper()
    amount = checks.spot_quantity(call.params, "amount")  # eight decimals at most (-1111)

    def move(desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        if direction == "MAIN_UMFUTURE":
            transfer_id = desk.wallets.transfer_spot_to_futures(held, asset, amount)
        else:
            transfer_id = desk.wallets.transfer_futures_to_spot(held, asset, amount)
        return Reply({"tranId": int(transfer_id)})

    return call.state.act(call.signer, move)
