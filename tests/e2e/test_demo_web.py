"""`tradewind demo --web`: the demo's bots on the dashboard's API, signed in as the demo
user with the password it prints; the server stays up after the replay until Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.waiting import SAFETY_S


def test_the_demo_serves_its_bots_to_its_user_until_interrupted(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    for name in ("TRADEWIND_DATABASE_URL", "TRADEWIND_SECRET_KEY", "TRADEWIND_DATA_DIR"):
        env.pop(name, None)
    demo = subprocess.Popen(
        [sys.executable, "-m", "tradewind.entrypoints.cli", "demo", "--hours", "2", "--no-live",
         "--web", "--web-port", "0", "--data-dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    try:
        assert demo.stdout is not None
        output = []
        login = None
        for line in demo.stdout:
            output.append(line)
            found = re.search(
                r"dashboard: (http://\S+)/\s+sign in as (\S+) with password (\S+)", line
            )
            if found:
                login = found.groups()
            if "stays up" in line:
                break
        assert login is not None, "".join(output)
        url, email, password = login
        with httpx.Client(base_url=url, timeout=30) as browser:
            signed_in = browser.post(
                "/api/v1/auth/login", json={"email": email, "password": password}
            )
            assert signed_in.status_code == 200
            bots = browser.get("/api/v1/bots").json()
            assert len(bots) == 3
            assert browser.get("/api/v1/trades").json()  # two hours of the demo market trade
            assert browser.get("/").status_code == 200
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=SAFETY_S) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
