"""One running gateway for all the cases of a test module; each case gets creditors of its own.

Starting a gateway per case (a database created and migrated, the app on a
port, a client session) was most of what the access matrices cost: hundreds
of cases that each make a request or two. A module whose cases ask for
``shared_gateways`` starts one gateway per backend, on first use, and closes
it when the module ends. Each case (:meth:`SharedGateways.case`) gets a
:class:`GatewayUnderTest` over it with two creditors made for that case
alone (``acme-7`` and ``globex-7``: ``gw.acme``, ``gw.globex``), keys of its
own, and the clock back at ``DEFAULT_NOW``. Cases are isolated by their
data: another case's creditors, templates, messages and keys are invisible to
them exactly as another tenant's are, which is what the matrices test.

What a fresh gateway gave that a shared one does not, and how it is kept:

- the clock: put back at ``DEFAULT_NOW`` before each case;
- the failed-authentication throttle, which counts per client address and
  per process: every case comes from 127.0.0.1, and a matrix presents a few
  hundred bad keys in a minute, one or two per case, far under the limit a
  fresh gateway gave each case. The shared gateway's limit is lifted above
  what a whole module presents, so no case is refused for its neighbours'
  failures (throttling itself is tested on gateways of their own:
  ``api/test_keys.py``, ``web/test_sign_in.py``);
- anything else a case reads is scoped by creditor or key.

A test whose subject is process-wide state (metric totals, the audit chain,
the throttle, a wordlist reload) keeps a gateway of its own (``gw`` in
``api/conftest.py``).

A test (or a class of them) opts in with ``@on_the_module_gateway``: in
``tests/integration/api`` its ``gw`` is then its case of the shared gateway.
Such tests run in the module's event loop (the gateway's connections and
server live there), so an async fixture they use is declared
``@pytest_asyncio.fixture(loop_scope="module")``.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio

from ..pg_server import DATABASE_URL_FILE, PostgresServer
from .api_support import DEFAULT_NOW, GatewayUnderTest, create_creditors, start_gateway

_Test = TypeVar("_Test")


def on_the_module_gateway(test: _Test) -> _Test:
    """Mark a test (or class) to run on the module's shared gateway, in the module's loop.

    In ``tests/integration/api`` its ``gw`` is then a case of ``shared_gw``
    (``api/conftest.py``) and no database of its own is made for it
    (``tests/conftest.py``).
    """
    marked: _Test = pytest.mark.shared_gateway(pytest.mark.asyncio(loop_scope="module")(test))
    return marked


#: Above the failed authentications of any module's cases together (see the module docstring).
SHARED_AUTH_FAILURE_LIMIT = 100_000


class SharedGateways:
    """The gateways a module's cases share, one per backend, each started on first use."""

    def __init__(self, root: Path, settings: dict[str, Any], stack: AsyncExitStack) -> None:
        self._root = root
        self._settings = {"auth_failure_limit": SHARED_AUTH_FAILURE_LIMIT, **settings}
        self._stack = stack
        self._running: dict[str, GatewayUnderTest] = {}
        self._cases = itertools.count(1)

    async def case(
        self, backend: str | None, postgres: Callable[[], PostgresServer]
    ) -> GatewayUnderTest:
        """A view of the ``backend`` gateway (SQLite if ``None``) with two new creditors.

        ``postgres`` gives the session's PostgreSQL server, asked for only
        when a PostgreSQL gateway is started.
        """
        running = await self._gateway(backend or "sqlite", postgres)
        running.clock.now = DEFAULT_NOW
        number = next(self._cases)
        acme, globex = await create_creditors(running.gateway, DEFAULT_NOW, f"-{number}")
        return GatewayUnderTest(
            running.gateway, running.base_url, running.session, running.clock,
            acme=acme, globex=globex, case=number,
        )  # fmt: skip

    async def _gateway(
        self, backend: str, postgres: Callable[[], PostgresServer]
    ) -> GatewayUnderTest:
        if backend not in self._running:
            folder = self._root / backend
            folder.mkdir()
            if backend == "postgres":  # a schema of its own, which start_gateway reads
                url = self._stack.enter_context(postgres().fresh_database())
                (folder / DATABASE_URL_FILE).write_text(url)
            started = start_gateway(folder, **self._settings)
            self._running[backend] = await anext(started)
            # Resumed past its one yield, start_gateway stops the server and closes the gateway.
            self._stack.push_async_callback(anext, started, None)
        return self._running[backend]


@pytest.fixture(scope="module")
def shared_gateway_settings() -> dict[str, Any]:
    """Settings of a module's shared gateways; a module overrides this fixture to change them."""
    return {}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_gateways(
    tmp_path_factory: pytest.TempPathFactory, shared_gateway_settings: dict[str, Any]
) -> AsyncIterator[SharedGateways]:
    """The module's shared gateways, closed (their databases dropped) when the module ends."""
    async with AsyncExitStack() as stack:
        root = tmp_path_factory.mktemp("shared-gateways")
        yield SharedGateways(root, shared_gateway_settings, stack)


@pytest_asyncio.fixture(loop_scope="module")
async def shared_gw(
    shared_gateways: SharedGateways, backend: str | None, request: pytest.FixtureRequest
) -> GatewayUnderTest:
    """This case's view of the module's gateway on its backend: two creditors of its own."""
    return await shared_gateways.case(backend, lambda: request.getfixturevalue("postgres_server"))
