"""The UI route table's roles column: every row has one, and the guard enforces it.

``smsgate.web.routes.ROUTES`` is the one place a page's roles are written;
``add_web`` mounts each row behind ``guarded`` with them. These tests hold
the table to that shape and check that a signed-in key without a row's role
gets the 403 page, saying which role it needs, and the handler never runs.
(``tests/integration/security/test_ui_matrix.py`` checks every row against
a written expectation for every caller.)
"""

from __future__ import annotations

import pytest

from smsgate.store import Role
from smsgate.web.auth import SIGN_IN_ROLES, guarded
from smsgate.web.catalogue import Translator
from smsgate.web.context import UI_PREFIX
from smsgate.web.routes import ROUTES, UiRoute

from .ui_client import UiClient
from .web_support import OPTED_OUT_PHONE, UiWorld, csrf_of


def route_id(route: UiRoute) -> str:
    return f"{route.method} {route.path}"


#: Each row a signed-in key can be refused by, with one sign-in role it lacks.
RESTRICTED = [
    pytest.param(route, min(SIGN_IN_ROLES - route.roles), id=route_id(route))
    for route in ROUTES
    if not route.public and SIGN_IN_ROLES - route.roles
]


class TestEveryRowHasRoles:
    """Each row names its roles; only the sign-in form is public; none names an unusable role."""

    @pytest.mark.parametrize("route", [pytest.param(r, id=route_id(r)) for r in ROUTES])
    def test_roles_declared(self, route: UiRoute) -> None:
        assert route.roles or (route.path == "/login"), route
        assert route.roles <= SIGN_IN_ROLES, "a key with that role cannot sign in to use it"

    def test_rows_are_unique(self) -> None:
        assert len({(route.method, route.path) for route in ROUTES}) == len(ROUTES)

    def test_some_rows_are_restricted(self) -> None:
        """Deciding and lifting are not open to every viewer (else the 403 tests test nothing)."""
        assert {str(param.id) for param in RESTRICTED} >= {
            "POST /templates/{template_id}/{decision:approve|reject}",
            "POST /held/decide",
            "POST /opt-outs/remove",
        }

    def test_a_guard_without_roles_is_refused(self) -> None:
        async def page(_: object) -> None: ...

        with pytest.raises(ValueError, match="at least one role"):
            guarded(page, frozenset())  # type: ignore[arg-type]


def concrete(world: UiWorld, path: str) -> str:
    path = path.replace("{template_id}", world.templates["lawyer-letter"])
    return UI_PREFIX + path.replace("{decision:approve|reject}", "approve")


def form_of(world: UiWorld, path: str) -> dict[str, str]:
    return {
        "/held/decide": {"action": "release", "message_id": world.held["acme"][0]},
        "/opt-outs/remove": {"phone": OPTED_OUT_PHONE, "kind": "opt_out"},
        "/templates/{template_id}/{decision:approve|reject}": {"version": "1"},
    }.get(path, {})


class TestWithoutTheRowsRole:
    """A signed-in key without the row's role gets the 403 page, naming the role; nothing runs."""

    @pytest.mark.parametrize(("route", "role"), RESTRICTED)
    async def test_refused_with_the_403_page(
        self, world: UiWorld, client: UiClient, route: UiRoute, role: Role
    ) -> None:
        await client.sign_in(world.tokens[role.value])
        target = concrete(world, route.path)
        if route.method == "GET":
            page = await client.get(target)
        else:
            token = csrf_of((await client.get("/ui/queue")).text)
            fields = {"csrf": token, "reason": "roles", **form_of(world, route.path)}
            page = await client.post(target, fields)
        assert page.status == 403, page.text
        assert page.headers["Content-Type"].startswith("text/html")
        t = Translator("zh")
        needed = t("error.role_separator").join(t(f"role.{r}") for r in sorted(route.roles))
        assert t("error.needs_role", roles=needed) in page.text
        await self._nothing_changed(world)

    @staticmethod
    async def _nothing_changed(world: UiWorld) -> None:
        async with world.gateway.store.read() as tx:
            held = [message.id for message in await tx.messages.held("acme")]
            opted_out = await tx.opt_outs.active("acme", OPTED_OUT_PHONE)
            detail = await tx.templates.detail("acme", world.templates["lawyer-letter"])
        assert world.held["acme"][0] in held
        assert opted_out
        assert detail is not None
        assert detail.versions[-1].status.value == "submitted"
