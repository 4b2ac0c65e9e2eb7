"""A browser-like HTTP client of the UI: keeps cookies, follows nothing, fills CSRF fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from .web_support import csrf_of


@dataclass
class Page:
    """A response as a test reads it."""

    status: int
    text: str
    location: str
    headers: Any


@dataclass
class UiClient:
    """An aiohttp session with a cookie jar that accepts cookies of 127.0.0.1."""

    base_url: str
    session: aiohttp.ClientSession

    @classmethod
    @asynccontextmanager
    async def open(cls, base_url: str) -> AsyncIterator[UiClient]:
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: accept cookies of an IP address
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            yield cls(base_url, session)

    async def get(self, path: str) -> Page:
        async with self.session.get(self.base_url + path, allow_redirects=False) as response:
            return await _page(response)

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> Page:
        async with self.session.post(
            self.base_url + path, data=data, allow_redirects=False
        ) as response:
            return await _page(response)

    async def submit(self, form_page: str, path: str, **fields: str) -> Page:
        """POST ``fields`` to ``path`` with the CSRF token of the page at ``form_page``."""
        token = csrf_of((await self.get(form_page)).text)
        return await self.post(path, {"csrf": token, **fields})

    async def sign_in(self, token: str, next_path: str = "/ui/queue") -> Page:
        """Sign in with ``token`` through the sign-in form."""
        return await self.submit("/ui/login", "/ui/login", key=token, next=next_path)


async def _page(response: aiohttp.ClientResponse) -> Page:
    return Page(response.status, await response.text(), response.headers.get("Location", ""),
                response.headers)  # fmt: skip
