"""Every UI route under ``/ui`` x every caller x own/other creditor, against a written table.

The routes come from ``smsgate.web.routes.ROUTES``; the expectations,
written here and compared with the table's roles column, from issue #6 and
the API's table: only ``reviewer`` and ``admin`` keys sign in
(a sender's or author's key is refused at the door, so every page sends
them back to sign-in); approving, rejecting and deciding held messages
need ``reviewer``; lifting an opt-out needs ``admin`` (as ``DELETE
/v1/opt-outs``). Adding an opt-out is open to every signed-in viewer:
wider than the API's sender/admin, deliberately, because it only ever
stops contact. Another creditor's template is a 404; its held message
and opt-out are refused per item; its lists never show acme's rows.

The cases share one gateway with the UI, each with an acme and a globex of
its own, seeded as ``start_ui`` seeds them (``UiGateway``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio

from smsgate.audit_keys import AuditSigner
from smsgate.bootstrap import Gateway
from smsgate.service import administration
from smsgate.store import Role
from smsgate.web.context import UI_PREFIX
from smsgate.web.routes import ROUTES

from ..api.shared_gateway import SHARED_AUTH_FAILURE_LIMIT, on_the_module_gateway
from ..web.ui_client import UiClient
from ..web.web_support import (
    NOW,
    OPTED_OUT_PHONE,
    FrozenClock,
    UiWorld,
    csrf_of,
    seeded_world,
    serve_ui,
)

SIGNED_IN = frozenset({Role.REVIEWER, Role.ADMIN})


@dataclass(frozen=True)
class Expectation:
    """Who may use one UI route, and whether acme's data in it is addressed by the request."""

    allowed: frozenset[Role]
    tenant: str  # "path": another creditor gets 404; "form": refused; "list": sees none;
    # "subject": names acme's message in the query and gets an empty pack (200)


#: (method, path pattern) -> expectation, written from issue #6, not read from the handlers.
EXPECTED = {
    ("GET", "/queue"): Expectation(SIGNED_IN, "list"),
    ("GET", "/templates/{template_id}"): Expectation(SIGNED_IN, "path"),
    ("POST", "/templates/{template_id}/{decision:approve|reject}"): Expectation(
        frozenset({Role.REVIEWER}), "path"
    ),
    ("GET", "/held"): Expectation(SIGNED_IN, "list"),
    ("POST", "/held/decide"): Expectation(frozenset({Role.REVIEWER}), "form"),
    ("GET", "/opt-outs"): Expectation(SIGNED_IN, "list"),
    ("POST", "/opt-outs/add"): Expectation(SIGNED_IN, "list"),
    ("POST", "/opt-outs/remove"): Expectation(frozenset({Role.ADMIN}), "form"),
    ("GET", "/replies"): Expectation(SIGNED_IN, "list"),
    ("GET", "/audit"): Expectation(SIGNED_IN, "list"),
    ("GET", "/audit/export.{format:csv|json}"): Expectation(SIGNED_IN, "list"),
    # Issue #17 item 4: evidence for reviewer/admin, as GET /v1/evidence.
    ("GET", "/evidence"): Expectation(SIGNED_IN, "subject"),
    ("GET", "/wordlists"): Expectation(SIGNED_IN, "list"),
    ("POST", "/wordlists/scan"): Expectation(SIGNED_IN, "list"),
    ("GET", "/dashboard"): Expectation(SIGNED_IN, "list"),
    ("POST", "/logout"): Expectation(SIGNED_IN, "list"),
}
#: The sign-in form itself is public.
PUBLIC = {("GET", "/login"), ("POST", "/login")}
GUARDED = [(route.method, route.path) for route in ROUTES if not route.public]
CALLERS = [
    *[(role, creditor) for role in ("sender", "author") for creditor in ("acme",)],
    *[(role, creditor) for role in ("reviewer", "admin") for creditor in ("acme", "globex")],
    ("no-session", "acme"),
    ("revoked", "acme"),
    ("forged-cookie", "acme"),
]
CASES = [
    pytest.param(method, path, caller, creditor, id=f"{method}{path}-{caller}-{creditor}")
    for method, path in GUARDED
    for caller, creditor in CALLERS
]


@dataclass
class UiGateway:
    """The module's one gateway with the UI; each case seeds a world of its own in it."""

    gateway: Gateway
    base_url: str
    clock: FrozenClock
    #: The gateway's audit key: every head of its tree is checked with it.
    signer: AuditSigner
    cases: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    async def world(self) -> UiWorld:
        """Creditors ``acme-N`` and ``globex-N`` seeded as ``start_ui`` seeds, at ``NOW``."""
        self.clock.now = NOW
        number = next(self.cases)
        world = UiWorld(self.gateway, self.base_url, self.clock)
        world.acme, world.globex = f"acme-{number}", f"globex-{number}"
        return await seeded_world(world, self.signer)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ui_gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[UiGateway]:
    """One gateway for the module; the failure limit lifted as ``shared_gateway`` says why."""
    clock, signer = FrozenClock(), AuditSigner.generate()[0]
    url = f"sqlite:///{tmp_path_factory.mktemp('ui') / 'ui.db'}?synchronous=normal"
    async for gateway, base_url in serve_ui(
        url, clock, signer=signer, auth_failure_limit=SHARED_AUTH_FAILURE_LIMIT
    ):
        yield UiGateway(gateway, base_url, clock, signer)


@pytest_asyncio.fixture(loop_scope="module")
async def world(ui_gateway: UiGateway) -> UiWorld:
    return await ui_gateway.world()


def concrete(world: UiWorld, path: str) -> str:
    path = path.replace("{template_id}", world.templates["lawyer-letter"])
    path = path.replace("{decision:approve|reject}", "reject")
    if path == "/evidence":
        path += f"?message_id={world.held[world.acme][0]}"
    return UI_PREFIX + path.replace("{format:csv|json}", "csv")


def form_of(world: UiWorld, path: str) -> dict[str, str]:
    return {
        "/held/decide": {"action": "reject", "reason": "matrix",
                         "message_id": world.held[world.acme][0]},
        "/opt-outs/add": {"phone": "+8613600136000", "reason": "matrix"},
        "/opt-outs/remove": {"phone": OPTED_OUT_PHONE, "kind": "opt_out", "reason": "matrix"},
        "/wordlists/scan": {"text": "请到派出所说明情况"},
    }.get(path, {"reason": "matrix"})  # fmt: skip


async def signed_in_client(world: UiWorld, ui: UiClient, caller: str, creditor: str) -> bool:
    """Sign ``ui`` in as ``caller`` of ``creditor`` (the world's ``acme`` or ``globex``); whether
    a session was opened."""
    if caller == "no-session":
        return False
    if caller == "forged-cookie":
        ui.session.cookie_jar.update_cookies({"smsgate_session": "forged.value.x"})
        return False
    roles = {Role.REVIEWER} if caller == "revoked" else {Role(caller)}
    creditor = world.acme if creditor == "acme" else world.globex
    key, token = await administration.create_key(
        world.gateway.store, creditor, roles, at=world.clock(), person=f"{creditor} {caller}"
    )
    page = await ui.sign_in(token)
    if caller == "revoked":
        assert page.status == 303
        await administration.revoke_key(world.gateway.store, key.id, at=world.clock())
        return False
    return page.status == 303


class TestTableCoversEveryUiRoute:
    """Every guarded UI route has a decided expectation."""

    def test_no_route_without_a_decision(self) -> None:
        assert sorted(set(GUARDED) - set(EXPECTED)) == []
        assert sorted(set(EXPECTED) - set(GUARDED)) == []

    def test_only_the_sign_in_form_is_public(self) -> None:
        assert {(route.method, route.path) for route in ROUTES if route.public} == PUBLIC

    def test_the_table_grants_what_is_expected(self) -> None:
        """The roles column says, row by row, what this file expects (the matrix then checks
        that the running UI does it)."""
        granted = {(route.method, route.path): route.roles for route in ROUTES if not route.public}
        assert granted == {route: expected.allowed for route, expected in EXPECTED.items()}


@on_the_module_gateway
class TestUiMatrix:
    """Sign-in first (back to the form), then the role (403), then the tenant (404 or none)."""

    @pytest.mark.parametrize(("method", "path", "caller", "creditor"), CASES)
    async def test_matrix(
        self, world: UiWorld, method: str, path: str, caller: str, creditor: str
    ) -> None:
        expected = EXPECTED[(method, path)]
        async with UiClient.open(world.base_url) as ui:
            has_session = await signed_in_client(world, ui, caller, creditor)
            target = concrete(world, path)
            if method == "GET":
                page = await ui.get(target)
            else:
                token = csrf_of((await ui.get("/ui/wordlists")).text) if has_session else "x"
                page = await ui.post(target, {"csrf": token, **form_of(world, path)})
        if not has_session:
            assert page.status in {302, 303}, page.status
            assert "/ui/login" in page.location, page.location
            return
        role = Role(caller)
        if role not in expected.allowed:
            # Another creditor's template page is a 404 before the role is weighed: it
            # refuses as firmly and does not even confirm the template exists.
            refusals = {403, 404} if creditor != "acme" and expected.tenant == "path" else {403}
            assert page.status in refusals, page.status
            await self._acme_untouched(world, path)
            return
        if creditor == "acme":
            signed_out = path == "/logout" and page.location.endswith("reason=signed_out")
            assert page.status in {200, 303}, page.text
            assert signed_out or "/ui/login" not in page.location, page.location
            return
        await self._other_creditor(world, expected, path, page.status, page.text)

    @staticmethod
    async def _other_creditor(
        world: UiWorld, expected: Expectation, path: str, status: int, text: str
    ) -> None:
        if expected.tenant == "path":
            assert status == 404, status
        elif expected.tenant == "subject":
            assert status == 200, status
        else:
            assert status in {200, 303, 404, 422}, status
        # The template id in a path is the caller's own input (echoed in links): not a leak.
        acme_held = world.held[world.acme]
        addressed = {"path": (world.templates["lawyer-letter"],), "form": (acme_held[0],),
                     "subject": (acme_held[0],)}  # fmt: skip
        addressed_here = addressed.get(expected.tenant, ())
        marks = {world.templates["lawyer-letter"], "lawyer-letter", *acme_held}
        for mark in marks - set(addressed_here):
            assert mark not in text, mark
        assert not re.search(r"139\*{0,4}\d*9000", text) or "opt-outs/add" in path
        await TestUiMatrix._acme_untouched(world, path)

    @staticmethod
    async def _acme_untouched(world: UiWorld, path: str) -> None:
        async with world.gateway.store.read() as tx:
            held = await tx.messages.held(world.acme)
            phones = [o.phone for o in await tx.opt_outs.of_creditor(world.acme)]
            detail = await tx.templates.detail(world.acme, world.templates["lawyer-letter"])
        assert world.held[world.acme][0] in [m.id for m in held]
        assert OPTED_OUT_PHONE in phones
        assert detail is not None
        assert detail.versions[-1].status.value == "submitted"
