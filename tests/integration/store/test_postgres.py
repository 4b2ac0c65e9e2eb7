"""What only the PostgreSQL store has to prove: its schema, its locks and its failure modes.

The behaviour both stores share is tested once for both (the rest of this
package); here are the parts SQLite's tests reach through the file: the
migration ledger, the triggers against hand-written SQL, a unit aborted by a
store error, and a server that is not there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import asyncpg
import pytest

from smsgate.store import (
    AuditEvent,
    FourEyesViolation,
    IdempotencyRecord,
    Review,
    ReviewDecision,
    SchemaTooNew,
    Store,
    StoreBusy,
    StoreError,
    StoreUnavailable,
    TreeFault,
    open_store,
)
from smsgate.store.postgres import store as postgres_store
from smsgate.store.postgres.migrations import MIGRATIONS

from ..audit_support import sequence_all, sequenced_and_verified
from ..local import free_port
from ..pg_server import PostgresServer
from .store_support import T0, Tenant, at, creditor

pytestmark = pytest.mark.postgres


def own_review(tenant: Tenant) -> Review:
    """A review of the tenant's template by its own author, which four-eyes refuses."""
    author = tenant.author.id
    return Review(tenant.template.id, 1, author, ReviewDecision.APPROVE, "mine", T0, "w1")


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh schema of its own (not ``database_url``: these tests run on PostgreSQL only)."""
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture
async def raw(pg_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to the test's schema, as someone with psql would have."""
    schema = pg_url.rsplit("search_path=", 1)[1]
    connection = await asyncpg.connect(
        pg_url.split("?")[0], server_settings={"search_path": schema}
    )
    yield connection
    await connection.close()


@pytest.fixture
async def store(pg_url: str) -> AsyncIterator[Store]:
    opened = await open_store(pg_url)
    yield opened
    await opened.close()


class TestMigrations:
    """Every step is applied once, in one transaction, even by instances starting together."""

    async def test_versions_recorded(self, store: Store, raw: asyncpg.Connection) -> None:
        rows = await raw.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [row["version"] for row in rows] == [step.version for step in MIGRATIONS]
        assert await store.migrate() == len(MIGRATIONS)

    async def test_instances_starting_together(self, pg_url: str, raw: asyncpg.Connection) -> None:
        stores = await asyncio.gather(*(open_store(pg_url) for _ in range(4)))
        for opened in stores:
            await opened.close()
        assert await raw.fetchval("SELECT count(*) FROM schema_migrations") == len(MIGRATIONS)

    async def test_schema_too_new(self, store: Store, raw: asyncpg.Connection) -> None:
        await raw.execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'future')")
        with pytest.raises(SchemaTooNew):
            await store.migrate()


class TestRulesHoldForHandWrittenSql:
    """Triggers refuse what the repositories would never do."""

    @pytest.mark.parametrize(
        "sql",
        [
            pytest.param("UPDATE audit_log SET actor = 'someone else'", id="update"),
            pytest.param("UPDATE audit_log SET leaf_index = leaf_index + 1", id="move"),
            pytest.param("UPDATE audit_log SET leaf_index = NULL", id="unplace"),
            pytest.param("DELETE FROM audit_log", id="delete"),
            pytest.param("TRUNCATE audit_log", id="truncate"),
            pytest.param("UPDATE audit_tree_nodes SET hash = 'x'", id="node-update"),
            pytest.param("DELETE FROM audit_tree_heads", id="head-delete"),
            pytest.param("TRUNCATE audit_tree_nodes", id="node-truncate"),
        ],
    )
    async def test_audit_log_append_only(
        self, store: Store, raw: asyncpg.Connection, sql: str
    ) -> None:
        async with store.transaction() as tx:
            await tx.audit.append(AuditEvent(T0, "acme", "key_1", "template.created", "tpl_1"))
        await sequence_all(store)
        with pytest.raises(asyncpg.PostgresError, match="audit log is append-only"):
            await raw.execute(sql)
        result = await sequenced_and_verified(store)
        assert (result.ok, result.checked) == (True, 1)

    async def test_the_sequencer_may_place_a_leaf_once(
        self, store: Store, raw: asyncpg.Connection
    ) -> None:
        async with store.transaction() as tx:
            await tx.audit.append(AuditEvent(T0, "acme", "key_1", "template.created", "tpl_1"))
        await raw.execute("UPDATE audit_log SET leaf_index = 0")  # what the sequencer does
        with pytest.raises(asyncpg.PostgresError, match="audit log is append-only"):
            await raw.execute("UPDATE audit_log SET leaf_index = 0, actor = 'x'")

    async def test_tampering_found(self, store: Store, raw: asyncpg.Connection) -> None:
        async with store.transaction() as tx:
            for minutes in range(3):
                await tx.audit.append(AuditEvent(at(minutes), "acme", "k", "a.b", "s"))
        await raw.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await raw.execute("""UPDATE audit_log SET detail = '{"x":1}' WHERE seq = 2""")
        result = await sequenced_and_verified(store)
        assert (result.ok, result.bad_leaf, result.fault) == (False, 1, TreeFault.LEAF_ALTERED)

    async def test_four_eyes_in_the_database(self, store: Store, raw: asyncpg.Connection) -> None:
        tenant = await Tenant().save(store)
        with pytest.raises(asyncpg.PostgresError, match="four_eyes"):
            await raw.execute(
                "INSERT INTO reviews (template_id, version, reviewer_key_id, decision, reason,"
                " at, wordlist_version) VALUES ($1, 1, $2, 'approve', '', now(), 'w')",
                tenant.template.id,
                tenant.author.id,
            )


class TestAbortedUnit:
    """A store error aborts the unit: later statements and a normal exit raise, nothing commits."""

    async def test_swallowed_error_commits_nothing(self, store: Store) -> None:
        tenant = await Tenant().save(store)
        record = IdempotencyRecord("acme", "k1", "h1", 202, {}, T0)

        async def swallow_an_error() -> None:
            async with store.transaction() as tx:
                await tx.idempotency.put(record)
                with pytest.raises(FourEyesViolation):
                    await tx.templates.add_review(own_review(tenant))
                with pytest.raises(StoreError, match="aborted by an earlier error"):
                    await tx.creditors.get("acme")

        with pytest.raises(StoreError, match="nothing of it was committed"):
            await swallow_an_error()
        async with store.read() as tx:
            assert await tx.idempotency.get("acme", "k1") is None


class TestWebhookCursor:
    """Webhooks read events only up to a head no in-flight transaction can still fall below."""

    async def test_in_flight_event_holds_back_later_ones(self, store: Store) -> None:
        tenant = await Tenant().save(store)
        async with store.transaction() as tx:
            await tx.webhooks.configure("acme", "https://example.invalid/hook", T0)
        held = asyncio.Event()
        release = asyncio.Event()

        async def slow_writer() -> None:
            async with store.transaction() as tx:
                await tx.messages.add(tenant.message())  # draws the smaller event id
                held.set()
                await release.wait()

        writer = asyncio.create_task(slow_writer())
        await held.wait()
        async with store.transaction() as tx:
            await tx.messages.add(tenant.message())  # a larger id, committed first
        assert await claimed_events(store) == []
        release.set()
        await writer
        events = await claimed_events(store)
        assert len(events) == 2
        assert events == sorted(events)


async def claimed_events(store: Store) -> list[int]:
    """Event ids a webhook worker would deliver now for ``acme``."""
    async with store.transaction() as tx:
        hooks = await tx.webhooks.claim_due(at(1), "w1", timedelta(minutes=1), 10)
        if not hooks:
            return []
        events = await tx.webhooks.events_after("acme", hooks[0].last_event_id, 10)
        await tx.webhooks.release("acme", "w1")
    return [event.id for event in events]


class TestUnavailable:
    """No server, or a closed store, is ``StoreUnavailable`` (readiness), never a driver error."""

    async def test_nobody_listening(self) -> None:
        with pytest.raises(StoreUnavailable):
            await open_store(f"postgresql://smsgate@127.0.0.1:{free_port()}/smsgate")

    async def test_no_such_database(self, postgres_server: PostgresServer) -> None:
        with pytest.raises(StoreUnavailable):
            await open_store(postgres_server.url(database="missing"))

    async def test_server_goes_away(self, store: Store, raw: asyncpg.Connection) -> None:
        """The server kills the connection a unit is using: the unit fails as unavailable.

        The kill lands inside the unit, after its connection is in use, and the
        test waits until the server has really ended the backends: killed
        before the unit began, the pool may already have replaced the dead
        connection (asyncpg reconnects on acquire once it has seen the close),
        and nothing would fail: a race, not the behaviour under test.
        """
        with pytest.raises(StoreUnavailable):
            await _killed_midway(store, raw)
        await store.ping()  # the pool replaced the dead connection

    async def test_no_free_connection_is_busy_not_a_hang(
        self, pg_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With every pooled connection held, a unit gets ``StoreBusy`` (503), not a hang."""
        monkeypatch.setattr(postgres_store, "ACQUIRE_TIMEOUT_S", 0.3)
        single = await open_store(f"{pg_url}&pool_size=1")
        try:
            async with single.read():
                with pytest.raises(StoreBusy):
                    async with single.read():
                        pass
            async with single.read() as tx:  # released: free again
                assert await tx.creditors.get("nobody") is None
        finally:
            await single.close()


async def _killed_midway(store: Store, raw: asyncpg.Connection) -> None:
    """Run a unit whose connection the server kills after its first statement."""
    async with store.transaction() as tx:
        assert await tx.creditors.get("nobody") is None
        killed = [
            row["pid"]
            for row in await raw.fetch(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'smsgate'"
            )
        ]
        await _until_ended(raw, killed)
        await tx.creditors.add(creditor("second"))


async def _until_ended(raw: asyncpg.Connection, pids: list[int]) -> None:
    """Wait (at most 10 s) until the server has ended the backends ``pids``.

    Only those: the pool may open new connections meanwhile (a loaded machine
    gives it time to), and they are not the ones the unit holds.
    """
    for _ in range(200):
        alive = await raw.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", pids
        )
        if alive == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"backends {pids} still alive after 10 s")
