"""A dispatcher in a process of its own, for the restart test.

    python -m tests.notify.dispatch_child DATABASE_URL NOW

Runs one delivery pass with its clock at NOW (the parent's clock: the lease it claims
is on the clock the parent moves) and prints "done"; the parent kills it while a try
is under way. The master key comes from the environment (NOTIFY_CHILD_KEY).
"""

from __future__ import annotations

import os
import sys

from tests.notify.desk import Desk
from tradewind.adapters.db.engine import make_engine, session_factory
from tradewind.adapters.db.secrets import SecretBox
from tradewind.services.notify import deliver_due

KEY_ENV = "NOTIFY_CHILD_KEY"


def main() -> None:
    engine = make_engine(sys.argv[1])
    secrets = SecretBox.from_keys([os.environ[KEY_ENV].encode()])
    desk = Desk(session_factory(engine), secrets, timeout=60, start=int(sys.argv[2]))
    done = deliver_due(desk.deps)
    print(f"done {done.sent}", flush=True)
    desk.close()
    engine.dispose()


if __name__ == "__main__":
    main()
