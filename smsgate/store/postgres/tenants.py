"""PostgreSQL repositories of the per-creditor settings: creditors, keys, opt-outs, idempotency.

Two of them take advisory locks in write units, so that a read followed by a
write decides on what every other instance has committed:

* ``IdempotencyStore`` locks (creditor, key) when it reads a key: a request
  retried against another instance waits until the first attempt commits,
  then finds its stored response and replays it. The primary key still
  refuses a second row (``IdempotencyKeyExists``) for callers that skip the
  read.
* ``OptOutRepository`` locks the (creditor, phone) when it reads a phone's
  opt-outs: "add unless active" never raises ``OptOutExists`` for a race,
  and a send deciding on a phone sees an opt-out committed before it. The
  contact ledger takes this same phone key (see ``messages``).
* ``ApiKeyRepository`` locks the creditor's keys when it lists them in a
  write unit: two revocations deciding "is another admin key left?" run
  one after the other, so a creditor cannot lose its last admin key to a race.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from smsgate.store.errors import NotFound
from smsgate.store.postgres.codec import (
    dump_json,
    instant,
    load_json,
    optional_instant,
    sorted_list,
)
from smsgate.store.postgres.session import Session
from smsgate.store.records import (
    ApiKey,
    Creditor,
    DetachedPhone,
    IdempotencyRecord,
    OptOut,
    OptOutKind,
    OptOutSource,
    Role,
)

#: The advisory lock key of a creditor's phone, shared by opt-outs and the ledger.
PHONE_LOCK = "phone"
#: The advisory lock key of a creditor's set of API keys.
KEYS_LOCK = "api_keys"


class PostgresCreditors:
    """``CreditorRepository`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, creditor: Creditor) -> None:
        await self._session.execute(
            "INSERT INTO creditors (id, name, signature, profile_name, profile_overrides,"
            " created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            creditor.id, creditor.name, creditor.signature, creditor.profile_name,
            dump_json(creditor.profile_overrides), instant(creditor.created_at),
        )  # fmt: skip

    async def get(self, creditor_id: str) -> Creditor | None:
        row = await self._session.row("SELECT * FROM creditors WHERE id = $1", creditor_id)
        return None if row is None else _creditor(row)

    async def all(self) -> list[Creditor]:
        rows = await self._session.rows("SELECT * FROM creditors ORDER BY id")
        return [_creditor(row) for row in rows]

    async def update(self, creditor: Creditor) -> None:
        changed = await self._session.execute(
            "UPDATE creditors SET name = $1, signature = $2, profile_name = $3,"
            " profile_overrides = $4 WHERE id = $5",
            creditor.name, creditor.signature, creditor.profile_name,
            dump_json(creditor.profile_overrides), creditor.id,
        )  # fmt: skip
        if not changed:
            raise NotFound(f"no creditor {creditor.id!r}")


def _creditor(row: asyncpg.Record) -> Creditor:
    return Creditor(
        id=row["id"],
        name=row["name"],
        signature=row["signature"],
        profile_name=row["profile_name"],
        created_at=row["created_at"],
        profile_overrides=load_json(row["profile_overrides"]),
    )


class PostgresApiKeys:
    """``ApiKeyRepository`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, key: ApiKey) -> None:
        await self._session.execute(
            "INSERT INTO api_keys (id, creditor_id, roles, secret_hash, label, created_at,"
            " revoked_at, person, person_key, chain_id, minted_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            key.id, key.creditor_id, sorted_list(key.roles), key.secret_hash, key.label,
            instant(key.created_at), optional_instant(key.revoked_at),
            key.person, key.person_key, key.chain_id, key.minted_by,
        )  # fmt: skip

    async def get(self, key_id: str) -> ApiKey | None:
        row = await self._session.row("SELECT * FROM api_keys WHERE id = $1", key_id)
        return None if row is None else _api_key(row)

    async def by_secret_hash(self, secret_hash: str) -> ApiKey | None:
        sql = "SELECT * FROM api_keys WHERE secret_hash = $1"
        row = await self._session.row(sql, secret_hash)
        return None if row is None else _api_key(row)

    async def of_creditor(self, creditor_id: str) -> list[ApiKey]:
        await self._session.lock(KEYS_LOCK, creditor_id)
        sql = "SELECT * FROM api_keys WHERE creditor_id = $1 ORDER BY created_at, id"
        return [_api_key(row) for row in await self._session.rows(sql, creditor_id)]

    async def revoke(self, key_id: str, at: datetime) -> bool:
        sql = (
            "UPDATE api_keys SET revoked_at = $1"
            " WHERE id = $2 AND (revoked_at IS NULL OR revoked_at > $1)"
        )
        return await self._session.execute(sql, instant(at), key_id) == 1

    async def mark_used(self, key_id: str, at: datetime) -> None:
        sql = (
            "UPDATE api_keys SET last_used_at = $1"
            " WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)"
        )
        await self._session.execute(sql, instant(at), key_id)


def _api_key(row: asyncpg.Record) -> ApiKey:
    return ApiKey(
        id=row["id"],
        creditor_id=row["creditor_id"],
        roles=frozenset(Role(role) for role in row["roles"]),
        secret_hash=row["secret_hash"],
        created_at=row["created_at"],
        label=row["label"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
        person=row["person"],
        chain_id=row["chain_id"],
        minted_by=row["minted_by"],
    )


class PostgresDetachments:
    """``DetachmentRepository`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, detached: DetachedPhone) -> bool:
        sql = (
            "INSERT INTO detached_phones (creditor_id, debtor_id, phone, at, reply_id)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
        )
        return await self._session.execute(
            sql, detached.creditor_id, detached.debtor_id, detached.phone,
            instant(detached.at), detached.reply_id,
        ) == 1  # fmt: skip

    async def is_detached(self, creditor_id: str, debtor_id: str, phone: str) -> bool:
        sql = (
            "SELECT 1 FROM detached_phones WHERE creditor_id = $1 AND debtor_id = $2 AND phone = $3"
        )
        return bool(await self._session.rows(sql, creditor_id, debtor_id, phone))


class PostgresOptOuts:
    """``OptOutRepository`` on PostgreSQL; removed opt-outs stay as history."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, opt_out: OptOut) -> None:
        await self._session.lock(PHONE_LOCK, opt_out.creditor_id, opt_out.phone)
        await self._session.execute(
            "INSERT INTO opt_outs (creditor_id, phone, kind, source, reason, at, removed_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            opt_out.creditor_id, opt_out.phone, opt_out.kind, opt_out.source, opt_out.reason,
            instant(opt_out.at), optional_instant(opt_out.removed_at),
        )  # fmt: skip

    async def active(self, creditor_id: str, phone: str) -> list[OptOut]:
        await self._session.lock(PHONE_LOCK, creditor_id, phone)
        sql = (
            "SELECT * FROM opt_outs WHERE creditor_id = $1 AND phone = $2 AND removed_at IS NULL"
            " ORDER BY at, id"
        )
        return [_opt_out(row) for row in await self._session.rows(sql, creditor_id, phone)]

    async def of_creditor(self, creditor_id: str) -> list[OptOut]:
        sql = (
            "SELECT * FROM opt_outs WHERE creditor_id = $1 AND removed_at IS NULL"
            " ORDER BY at DESC, id DESC"
        )
        return [_opt_out(row) for row in await self._session.rows(sql, creditor_id)]

    async def remove(self, creditor_id: str, phone: str, kind: OptOutKind, at: datetime) -> bool:
        sql = (
            "UPDATE opt_outs SET removed_at = $1"
            " WHERE creditor_id = $2 AND phone = $3 AND kind = $4 AND removed_at IS NULL"
        )
        return await self._session.execute(sql, instant(at), creditor_id, phone, kind) == 1


def _opt_out(row: asyncpg.Record) -> OptOut:
    return OptOut(
        creditor_id=row["creditor_id"],
        phone=row["phone"],
        kind=OptOutKind(row["kind"]),
        source=OptOutSource(row["source"]),
        at=row["at"],
        reason=row["reason"],
        removed_at=row["removed_at"],
    )


class PostgresIdempotency:
    """``IdempotencyStore`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def get(self, creditor_id: str, key: str) -> IdempotencyRecord | None:
        await self._session.lock("idempotency", creditor_id, key)
        sql = "SELECT * FROM idempotency_keys WHERE creditor_id = $1 AND key = $2"
        row = await self._session.row(sql, creditor_id, key)
        return None if row is None else _idempotency(row)

    async def put(self, record: IdempotencyRecord) -> None:
        await self._session.lock("idempotency", record.creditor_id, record.key)
        await self._session.execute(
            "INSERT INTO idempotency_keys (creditor_id, key, request_hash, response_status,"
            " response_body, at) VALUES ($1, $2, $3, $4, $5, $6)",
            record.creditor_id, record.key, record.request_hash, record.response_status,
            dump_json(record.response_body), instant(record.at),
        )  # fmt: skip

    async def forget_before(self, at: datetime) -> int:
        sql = "DELETE FROM idempotency_keys WHERE at < $1"
        return await self._session.execute(sql, instant(at))


def _idempotency(row: asyncpg.Record) -> IdempotencyRecord:
    return IdempotencyRecord(
        creditor_id=row["creditor_id"],
        key=row["key"],
        request_hash=row["request_hash"],
        response_status=row["response_status"],
        response_body=load_json(row["response_body"]),
        at=row["at"],
    )
