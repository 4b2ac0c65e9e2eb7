"""Signing in with a login key, refusals by role, sign-out, session expiry and revocation."""

from __future__ import annotations

import aiohttp
import pytest

from smsgate.web.context import SESSION_COOKIE

from .ui_client import UiClient
from .web_support import IDLE, UiWorld


class TestSignIn:
    """A reviewer's or admin's key opens a session; other keys are refused with a reason."""

    @pytest.mark.parametrize("name", [pytest.param("reviewer", id="reviewer"),
                                      pytest.param("admin", id="admin")])  # fmt: skip
    async def test_ui_role_signs_in_and_lands_on_the_queue(
        self, world: UiWorld, client: UiClient, name: str
    ) -> None:
        answer = await client.sign_in(world.tokens[name])
        assert (answer.status, answer.location) == (303, "/ui/queue")
        queue = await client.get("/ui/queue")
        assert queue.status == 200
        assert world.principals[name].key_id in queue.text

    @pytest.mark.parametrize(
        "name", [pytest.param("sender", id="sender"), pytest.param("author", id="author")]
    )
    async def test_key_without_ui_role_is_refused_with_a_reason(
        self, world: UiWorld, client: UiClient, name: str
    ) -> None:
        answer = await client.sign_in(world.tokens[name])
        assert answer.status == 403
        assert "审核员" in answer.text
        assert (await client.get("/ui/queue")).status == 303

    async def test_unknown_key_is_refused(self, client: UiClient) -> None:
        answer = await client.sign_in("sgk_not-a-real-key")
        assert answer.status == 401
        assert SESSION_COOKIE not in answer.headers.get("Set-Cookie", "")

    async def test_sign_in_form_without_its_token_is_refused(
        self, world: UiWorld, client: UiClient
    ) -> None:
        await client.get("/ui/login")
        answer = await client.post("/ui/login", {"key": world.tokens["reviewer"], "csrf": "x"})
        assert answer.status == 403
        assert (await client.get("/ui/queue")).status == 303

    async def test_pages_redirect_to_sign_in_and_back(
        self, world: UiWorld, client: UiClient
    ) -> None:
        answer = await client.get("/ui/held")
        assert answer.status == 303
        assert answer.location.startswith("/ui/login?next=%2Fui%2Fheld")
        signed = await client.sign_in(world.tokens["reviewer"], next_path="/ui/held")
        assert signed.location == "/ui/held"

    async def test_next_outside_the_ui_is_ignored(self, world: UiWorld, client: UiClient) -> None:
        signed = await client.sign_in(world.tokens["reviewer"], next_path="//evil.example/x")
        assert signed.location == "/ui/queue"


class TestSessionCookie:
    """The cookie is HttpOnly, SameSite=Lax, scoped to /ui, Secure only behind TLS."""

    async def test_cookie_flags(self, world: UiWorld, client: UiClient) -> None:
        answer = await client.sign_in(world.tokens["reviewer"])
        cookie = next(
            value
            for value in answer.headers.getall("Set-Cookie")
            if value.startswith(SESSION_COOKIE)
        )
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Path=/ui" in cookie
        assert "Secure" not in cookie  # plain HTTP on 127.0.0.1 and no trusted proxy

    async def test_cookie_holds_no_key_secret(self, world: UiWorld, client: UiClient) -> None:
        answer = await client.sign_in(world.tokens["reviewer"])
        assert world.tokens["reviewer"] not in " ".join(answer.headers.getall("Set-Cookie"))


class TestExpiry:
    """Sessions end after the idle timeout and at their maximum age; revoked keys at once."""

    async def test_idle_session_expires(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        world.clock.advance(seconds=IDLE.total_seconds() - 60)
        assert (await client.get("/ui/queue")).status == 200
        world.clock.advance(seconds=IDLE.total_seconds() - 60)  # each request renews it
        assert (await client.get("/ui/queue")).status == 200
        world.clock.advance(seconds=IDLE.total_seconds() + 1)
        answer = await client.get("/ui/queue")
        assert answer.status == 303
        assert "reason=expired" in answer.location

    async def test_busy_session_ends_at_its_maximum_age(
        self, world: UiWorld, client: UiClient
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        for _ in range(12 * 60 // 25):  # a click every 25 minutes for twelve hours
            world.clock.advance(minutes=25)
            assert (await client.get("/ui/queue")).status == 200
        world.clock.advance(minutes=25)
        assert (await client.get("/ui/queue")).status == 303

    async def test_revoked_key_loses_its_session_at_the_next_click(
        self, world: UiWorld, client: UiClient
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        async with world.gateway.store.transaction() as tx:
            await tx.api_keys.revoke(world.principals["reviewer"].key_id, world.clock())
        answer = await client.get("/ui/queue")
        assert answer.status == 303
        assert "reason=revoked" in answer.location


class TestSignOut:
    """Signing out drops the cookie; the old cookie value is useless to a page afterwards."""

    async def test_sign_out(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        answer = await client.submit("/ui/queue", "/ui/logout")
        assert (answer.status, answer.location) == (303, "/ui/login?reason=signed_out")
        assert (await client.get("/ui/queue")).status == 303


class TestSignInThrottle:
    """Failed sign-ins count against the address like failed API keys; over the limit, 429."""

    async def test_guessing_through_the_form_is_throttled_for_ui_and_api(
        self, world: UiWorld, client: UiClient
    ) -> None:
        limit = world.gateway.auth_throttle.limit
        for _ in range(limit):
            assert (await client.sign_in("sgk_guess")).status == 401
        answer = await client.sign_in(world.tokens["reviewer"])
        assert answer.status == 429
        assert int(answer.headers["Retry-After"]) >= 1
        assert SESSION_COOKIE not in answer.headers.get("Set-Cookie", "")
        assert (await client.get("/ui/queue")).status == 303
        headers = {"Authorization": f"Bearer {world.tokens['sender']}"}
        async with (
            aiohttp.ClientSession() as api,
            api.get(f"{world.base_url}/v1/templates", headers=headers) as response,
        ):
            assert response.status == 429

    async def test_a_signed_in_session_keeps_working(
        self, world: UiWorld, client: UiClient
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        for _ in range(world.gateway.auth_throttle.limit):
            await client.sign_in("sgk_guess")
        assert (await client.get("/ui/queue")).status == 200  # a session is not a key lookup
