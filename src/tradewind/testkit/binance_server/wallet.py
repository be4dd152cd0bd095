"""Wallet routes (`/sapi`): universal transfer between spot and USDⓈ-M futures, its
history, the coin list, the user's assets and the margin pairs clients load with the
markets.

Transfer weight counts per account (UID), as Binance counts /sapi; the key needs the
universal-transfer permission (-2015 otherwise). The history lists the transfers made
through this server. No margin trading is served: margin/allPairs lists the spot pairs,
none of them margin-tradable. COIN-M (`/dapi`) lists no symbols.
"""

from __future__ import annotations

from tradewind.adapters.exchange.simulated.desk import Desk
from tradewind.adapters.exchange.simulated.state import ZERO, Account
from tradewind.domain.types import PositionType
from tradewind.testkit.binance_server import common, errors, render
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

    def move(desk: Desk, held: Account, now: int, extras: AccountExtras) -> Reply:
        if direction == "MAIN_UMFUTURE":
            transfer_id = desk.wallets.transfer_spot_to_futures(held, asset, amount)
        else:
            transfer_id = desk.wallets.transfer_futures_to_spot(held, asset, amount)
        extras.transfers.append(
            {
                "asset": asset,
                "amount": render.plain(amount),
                "type": direction,
                "status": "CONFIRMED",
                "tranId": int(transfer_id),
                "timestamp": render.ms(now),
            }
        )
        return Reply({"tranId": int(transfer_id)})

    return call.state.act(call.signer, move)


@ROUTES.add("GET", "/sapi/v1/asset/transfer", Market.SAPI, 1, signed=True)
def transfer_history(call: Call) -> Reply:
    """List the transfers of one direction, newest first, a page at a time."""
    params = call.params
    direction = p.required(params, "type")
    start = common.millis(params, "startTime", PositionType.SPOT)
    end = common.millis(params, "endTime", PositionType.SPOT)
    page = p.integer(params, "current", default=1, low=1)
    size = p.integer(params, "size", default=10, low=1, high=100)

    def read(_desk: Desk, _held: Account, _now: int, extras: AccountExtras) -> Reply:
        rows = [
            t
            for t in reversed(extras.transfers)
            if t["type"] == direction
            and (start is None or int(str(t["timestamp"])) >= start)
            and (end is None or int(str(t["timestamp"])) <= end)
        ]
        shown = rows[(page - 1) * size : page * size]
        return Reply({"total": len(rows), "rows": shown} if rows else {"total": 0})

    return call.state.act(call.signer, read)


@ROUTES.add("GET", "/sapi/v1/capital/config/getall", Market.SAPI, 10, signed=True)
def coins(call: Call) -> Reply:
    """List the coins of the listed spot symbols with the account's free and locked amounts."""
    assets = sorted(
        {r.base_asset for r in common.listed(call.state, PositionType.SPOT)}
        | {r.quote_asset for r in common.listed(call.state, PositionType.SPOT)}
    )

    def read(_desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        return Reply([_coin(asset, held) for asset in assets])

    return call.state.act(call.signer, read)


def _coin(asset: str, held: Account) -> dict[str, object]:
    balance = held.spot.get(asset)
    network = {
        "network": asset, "coin": asset, "name": asset, "isDefault": True,
        "depositEnable": False, "withdrawEnable": False, "depositDesc": "", "withdrawDesc": "",
        "specialTips": "", "resetAddressStatus": False, "addressRegex": "", "memoRegex": "",
        "withdrawFee": "0", "withdrawMin": "0", "withdrawMax": "0",
        "withdrawIntegerMultiple": "0.00000001", "minConfirm": 1, "unLockConfirm": 0,
        "sameAddress": False, "estimatedArrivalTime": 0, "busy": False,
        "contractAddressUrl": "", "contractAddress": "",
    }  # fmt: skip
    return {
        "coin": asset,
        "name": asset,
        "depositAllEnable": False,  # a test server: no deposits or withdrawals
        "withdrawAllEnable": False,
        "free": render.spot_text(balance.free if balance else ZERO),
        "locked": render.spot_text(balance.locked if balance else ZERO),
        "freeze": "0", "withdrawing": "0", "ipoing": "0", "ipoable": "0", "storage": "0",
        "isLegalMoney": False,
        "trading": True,
        "networkList": [network],
    }  # fmt: skip


@ROUTES.add("POST", "/sapi/v3/asset/getUserAsset", Market.SAPI, 5, signed=True)
def user_assets(call: Call) -> Reply:
    """List the spot wallet's assets held (free + locked above zero), or the one asked.

    `btcValuation` is "0": the server values nothing in BTC (Binance sends it only when
    `needBtcValuation` asks, and clients read it as a hint).
    """
    wanted = p.optional(call.params, "asset")
    p.boolean(call.params, "needBtcValuation")  # a malformed flag is refused

    def read(_desk: Desk, held: Account, _now: int, _extras: AccountExtras) -> Reply:
        rows = [
            {
                "asset": asset,
                "free": render.plain(balance.free),
                "locked": render.plain(balance.locked),
                "freeze": "0",
                "withdrawing": "0",
                "ipoable": "0",
                "btcValuation": "0",
            }
            for asset, balance in sorted(held.spot.items())
            if balance.free + balance.locked > ZERO and (wanted is None or asset == wanted.upper())
        ]
        return Reply(rows)

    return call.state.act(call.signer, read)


@ROUTES.add("GET", "/sapi/v1/margin/allPairs", Market.SAPI, 1)
def margin_pairs(call: Call) -> Reply:
    """List the spot pairs as margin pairs that cannot be traded on margin (none is served)."""
    return Reply(
        [
            {
                "id": number,
                "symbol": r.symbol,
                "base": r.base_asset,
                "quote": r.quote_asset,
                "isMarginTrade": False,
                "isBuyAllowed": False,
                "isSellAllowed": False,
            }
            for number, r in enumerate(common.listed(call.state, PositionType.SPOT), start=1)
        ]
    )


@ROUTES.add("GET", "/dapi/v1/exchangeInfo", Market.FUTURES, 1)
def coin_margined_info(call: Call) -> Reply:
    """Answer COIN-M's exchangeInfo with no symbols (COIN-M is not served)."""
    return Reply(
        {
            "timezone": "UTC",
            "serverTime": call.state.server_ms(),
            "rateLimits": [],
            "exchangeFilters": [],
            "symbols": [],
        }
    )


@ROUTES.add("GET", "/sapi/v1/margin/isolated/allPairs", Market.SAPI, 10, signed=True)
def isolated_margin_pairs(_call: Call) -> Reply:
    """List the isolated margin pairs: none (margin trading is not served)."""
    return Reply([])
