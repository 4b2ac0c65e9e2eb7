"""Helpers of tests running real servers on 127.0.0.1: a free port, waiting for a state or
for a server to be ready, and the benchmarks' HTTP sink as a module."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import aiohttp

_Value = TypeVar("_Value")
ROOT = Path(__file__).resolve().parents[2]


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


async def until_ready(base_url: str, within: float, alive: Callable[[], None]) -> None:
    """Return once ``base_url``'s ``/readyz`` answers 200.

    ``alive()`` is called between tries and raises if a server process died;
    after ``within`` seconds this raises ``TimeoutError``.
    """
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while True:
            alive()
            try:
                async with session.get(f"{base_url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{base_url} was not ready within {within:g} s")
            await asyncio.sleep(0.2)


def load_http_sink() -> ModuleType:
    """``benchmarks/http_sink.py`` as a module (benchmarks is not a package)."""
    spec = importlib.util.spec_from_file_location("http_sink", ROOT / "benchmarks" / "http_sink.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("http_sink", module)
    spec.loader.exec_module(module)
    return module
