"""Helpers of tests running real servers on 127.0.0.1: a free port, and waiting for a state."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

_Value = TypeVar("_Value")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def eventually(check: Callable[[], Awaitable[_Value]], within: float = 10.0) -> _Value:
    """``check()``'s first truthy answer, polled until ``within`` seconds pass; then its last."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)
