"""The users of bench/api.py: each a live-updates stream and a poll of two pages, from
client processes of their own (one asyncio loop each, a share of the users).

A user polls as a dashboard tab that re-reads its pages does: GET /bots then GET
/bots/{one of theirs}, every `poll` seconds, sending back the ETag of the last answer
(If-None-Match), as a browser's fetch with `cache: "no-cache"` does; unchanged pages
come back 304 with no body. `etag=False` asks afresh every time.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# aiohttp rather than httpx for the load: the clients share the 2 cores with the server,
# and aiohttp spends about a third of httpx's CPU on a request (README "The API").


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # after the arrival
    arrival_latencies: list[float] = field(default_factory=list)  # its first `warmup` s
    not_modified: int = 0
    errors: list[str] = field(default_factory=list)
    streams: list[tuple[int, int]] = field(default_factory=list)  # (bot events, looks)


@dataclass(frozen=True)
class Load:
    poll: float
    streams: bool
    etag: bool
    # Seconds in which the users arrive (each opens its stream and reads its pages in full
    # for the first time), timed apart from the steady polling after.
    warmup: float


async def _user(
    client: aiohttp.ClientSession,
    token: str,
    bot_id: int,
    load: Load,
    until: float,
    tally: Tally,
    arrived: float,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    tags: dict[str, str] = {}

    async def stream() -> None:
        try:
            async with client.get("/api/v1/events", headers=headers) as answer:
                events = looks = 0
                async for line in answer.content:
                    events += line.startswith(b"event: bot")
                    looks += line.startswith(b": looked")  # one per look at the database
                    if time.monotonic() >= until:
                        break
                tally.streams.append((events, looks))
        except aiohttp.ClientError as e:
            tally.errors.append(f"stream: {type(e).__name__}")

    watcher = asyncio.create_task(stream() if load.streams else asyncio.sleep(0))
    await asyncio.sleep(random.uniform(0, load.poll))  # users do not arrive in step
    while time.monotonic() < until:
        for path in ("/api/v1/bots", f"/api/v1/bots/{bot_id}"):
            asked = headers | ({"If-None-Match": tags[path]} if path in tags else {})
            started = time.perf_counter()
            try:
                async with client.get(path, headers=asked) as answer:
                    await answer.read()
                    if answer.status == 304:
                        tally.not_modified += 1
                    elif answer.status != 200:
                        tally.errors.append(f"{path}: {answer.status}")
                    elif load.etag and "ETag" in answer.headers:
                        tags[path] = answer.headers["ETag"]
            except aiohttp.ClientError as e:
                tally.errors.append(f"{path}: {type(e).__name__}")
            took = time.perf_counter() - started
            (tally.latencies if time.monotonic() >= arrived else tally.arrival_latencies).append(
                took
            )
        await asyncio.sleep(load.poll)
    await watcher


async def _run(base: str, users: list[tuple[str, int]], load: Load, until: float) -> Tally:
    tally = Tally()
    # One session (one pool) for all of the process's users: a stream and a poll each.
    connector = aiohttp.TCPConnector(limit=4 * len(users))
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60.0)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:
        arrived = time.monotonic() + load.warmup
        await asyncio.gather(*(_user(client, t, b, load, until, tally, arrived) for t, b in users))
    return tally


def client_process(
    base: str, users: list[tuple[str, int]], load: Load, go: Any, until: Any, out: Any
) -> None:
    """Say "ready" on `out`, wait for `go`, run the users until `until.value`
    (time.monotonic), then put their Tally on `out`."""
    out.put("ready")
    go.wait()
    tally = asyncio.run(_run(base, users, load, until.value))
    out.put(tally)
