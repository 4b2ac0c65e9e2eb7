"""Signing out, or revoking the key, ends a UI session on the server, for every instance.

A copy of the session cookie taken before sign-out (and the page's CSRF
token with it) is replayed afterwards against a state-changing POST, on the
instance that signed out and on a second instance sharing the database: both
send it to sign-in and nothing changes. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from structlog.testing import capture_logs

from smsgate.store import MessageStatus
from smsgate.web.context import SESSION_COOKIE
from smsgate.web.sessions import SessionSeal

from .ui_client import UiClient
from .web_support import IDLE, SECRET, UiWorld, csrf_of, serve_ui, start_ui

Fields = list[tuple[str, str]]


@pytest.fixture
async def world(tmp_path: Path, database_url: str) -> AsyncIterator[UiWorld]:
    async for running in start_ui(tmp_path, database_url=database_url):
        yield running


@pytest.fixture
async def twin(world: UiWorld, database_url: str) -> AsyncIterator[str]:
    """The base URL of a second gateway instance with the UI on the same database."""
    async for _, base_url in serve_ui(database_url, world.clock):
        yield base_url


class Copied:
    """A session cookie and CSRF token copied out of a signed-in browser."""

    def __init__(self, cookie: str, csrf: str) -> None:
        self.cookie, self.csrf = cookie, csrf

    @classmethod
    async def of(cls, client: UiClient) -> Copied:
        csrf = csrf_of((await client.get("/ui/held")).text)
        cookie = next(c.value for c in client.session.cookie_jar if c.key == SESSION_COOKIE)
        return cls(cookie, csrf)

    async def post(self, base_url: str, path: str, fields: Fields) -> tuple[int, str]:
        """POST ``fields`` (with the copied CSRF token) under the copied cookie alone."""
        headers = {"Cookie": f"{SESSION_COOKIE}={self.cookie}"}
        data = [("csrf", self.csrf), *fields]
        async with (
            aiohttp.ClientSession() as http,
            http.post(base_url + path, data=data, headers=headers, allow_redirects=False) as answer,
        ):
            return answer.status, answer.headers.get("Location", "")

    async def release(self, base_url: str, message_id: str) -> tuple[int, str]:
        fields = [("action", "release"), ("reason", "ok"), ("message_id", message_id)]
        return await self.post(base_url, "/ui/held/decide", fields)


async def status_of(world: UiWorld, message_id: str) -> MessageStatus:
    async with world.gateway.store.read() as tx:
        message = await tx.messages.get(message_id, creditor_id="acme")
    assert message is not None
    return message.status


class TestSignOutEndsTheSession:
    """After sign-out the old cookie and token change nothing, on this instance or another."""

    async def test_replayed_release_is_refused_where_it_signed_out(
        self, world: UiWorld, client: UiClient
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        copied = await Copied.of(client)
        await client.submit("/ui/queue", "/ui/logout")
        with capture_logs() as logs:
            status, location = await copied.release(world.base_url, world.held["acme"][0])
        assert status == 303
        assert location.startswith("/ui/login?")
        assert "reason=signed_out" in location
        assert await status_of(world, world.held["acme"][0]) is MessageStatus.HELD
        [refused] = [log for log in logs if log["event"] == "ui_session_refused"]
        assert (refused["reason"], refused["actor"]) == (
            "signed_out", world.principals["reviewer"].key_id,
        )  # fmt: skip

    async def test_replayed_opt_out_is_refused_on_another_instance(
        self, world: UiWorld, client: UiClient, twin: str
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        copied = await Copied.of(client)
        first, second = world.held["acme"][:2]
        # Before sign-out the copy works on the other instance: it shares the database.
        assert await copied.release(twin, first) == (303, "/ui/held?notice=released&count=1")
        await client.submit("/ui/queue", "/ui/logout")
        fields = [("phone", "+8613700137000"), ("kind", "opt_out"), ("reason", "replayed")]
        status, location = await copied.post(twin, "/ui/opt-outs/add", fields)
        assert (status, "reason=signed_out" in location) == (303, True)
        assert await copied.release(twin, second) == (303, location)
        assert await status_of(world, second) is MessageStatus.HELD
        async with world.gateway.store.read() as tx:
            assert await tx.opt_outs.active("acme", "+8613700137000") == []

    async def test_signing_in_again_ends_the_browsers_previous_session(
        self, world: UiWorld, client: UiClient, twin: str
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        copied = await Copied.of(client)
        await client.sign_in(world.tokens["second_reviewer"])
        status, location = await copied.release(twin, world.held["acme"][0])
        assert (status, "reason=signed_out" in location) == (303, True)
        assert await status_of(world, world.held["acme"][0]) is MessageStatus.HELD
        assert (await client.get("/ui/held")).status == 200  # the new session works


class TestRevokingTheKeyEndsItsSessions:
    """DELETE /v1/keys/{id} ends the key's UI sessions on every instance."""

    async def test_revoked_through_the_api(
        self, world: UiWorld, client: UiClient, twin: str
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        copied = await Copied.of(client)
        reviewer = world.principals["reviewer"].key_id
        admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
        async with (
            aiohttp.ClientSession() as http,
            http.delete(f"{twin}/v1/keys/{reviewer}", headers=admin) as answer,
        ):
            assert answer.status == 200
        for base_url in (world.base_url, twin):
            status, location = await copied.release(base_url, world.held["acme"][0])
            assert (status, "reason=revoked" in location) == (303, True)
        assert await status_of(world, world.held["acme"][0]) is MessageStatus.HELD
        async with world.gateway.store.read() as tx:
            sessions = await tx.ui_sessions.get(_session_id(world, copied))
        assert sessions is not None
        assert sessions.ended_at == world.clock()


def _session_id(world: UiWorld, copied: Copied) -> str:
    session = SessionSeal(SECRET, IDLE, IDLE * 100).open(copied.cookie, world.clock())
    assert session is not None
    return session.id
