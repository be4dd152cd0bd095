"""A Binance-compatible REST server over the simulated exchange, for tests and the demo.

It speaks the real spot (`/api/v3`), USDⓈ-M futures (`/fapi`) and wallet (`/sapi`) paths
the Binance adapter and common clients use (the list: README.md here): HMAC-SHA256
signatures over the raw request, the timestamp window, request weights and order counts
with Binance's headers, 429 and 418, Binance's error bodies and refusals, and faults a
test switches on (methods of `BinanceServer`, or JSON under `/_tradewind`).

    server = BinanceServer(venue).start()       # 127.0.0.1, a free port
    server.add_account("key", "secret")
    server.base_url                              # http://127.0.0.1:<port>
    server.stop()
"""

from tradewind.testkit.binance_server.faults import Fault, FaultMode
from tradewind.testkit.binance_server.limits import Limits
from tradewind.testkit.binance_server.server import BinanceServer
from tradewind.testkit.binance_server.signing import sign

__all__ = ["BinanceServer", "Fault", "FaultMode", "Limits", "sign"]
