"""SQLite repositories of the per-creditor settings: creditors, keys, opt-outs, idempotency."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from smsgate.store.errors import NotFound
from smsgate.store.instants import format_instant, format_optional, parse_instant, parse_optional
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
from smsgate.store.sqlite.codec import dump_json, dump_set, load_json, load_set
from smsgate.store.sqlite.session import Session


class SqliteCreditors:
    """``CreditorRepository`` on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, creditor: Creditor) -> None:
        await self._session.execute(
            "INSERT INTO creditors (id, name, signature, profile_name, profile_overrides,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                creditor.id, creditor.name, creditor.signature, creditor.profile_name,
                dump_json(creditor.profile_overrides), format_instant(creditor.created_at),
            ),
        )  # fmt: skip

    async def get(self, creditor_id: str) -> Creditor | None:
        row = await self._session.row("SELECT * FROM creditors WHERE id = ?", (creditor_id,))
        return None if row is None else _creditor(row)

    async def all(self) -> list[Creditor]:
        rows = await self._session.rows("SELECT * FROM creditors ORDER BY id")
        return [_creditor(row) for row in rows]

    async def update(self, creditor: Creditor) -> None:
        changed = await self._session.execute(
            "UPDATE creditors SET name = ?, signature = ?, profile_name = ?,"
            " profile_overrides = ? WHERE id = ?",
            (
                creditor.name, creditor.signature, creditor.profile_name,
                dump_json(creditor.profile_overrides), creditor.id,
            ),
        )  # fmt: skip
        if not changed:
            raise NotFound(f"no creditor {creditor.id!r}")


def _creditor(row: sqlite3.Row) -> Creditor:
    return Creditor(
        id=row["id"],
        name=row["name"],
        signature=row["signature"],
        profile_name=row["profile_name"],
        created_at=parse_instant(row["created_at"]),
        profile_overrides=load_json(row["profile_overrides"]),
    )


class SqliteApiKeys:
    """``ApiKeyRepository`` on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, key: ApiKey) -> None:
        await self._session.execute(
            "INSERT INTO api_keys (id, creditor_id, roles, secret_hash, label, created_at,"
            " revoked_at, person, person_key, chain_id, minted_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key.id, key.creditor_id, dump_set(key.roles), key.secret_hash, key.label,
                format_instant(key.created_at), format_optional(key.revoked_at),
                key.person, key.person_key, key.chain_id, key.minted_by,
            ),
        )  # fmt: skip

    async def get(self, key_id: str) -> ApiKey | None:
        row = await self._session.row("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        return None if row is None else _api_key(row)

    async def by_secret_hash(self, secret_hash: str) -> ApiKey | None:
        sql = "SELECT * FROM api_keys WHERE secret_hash = ?"
        row = await self._session.row(sql, (secret_hash,))
        return None if row is None else _api_key(row)

    async def of_creditor(self, creditor_id: str) -> list[ApiKey]:
        sql = "SELECT * FROM api_keys WHERE creditor_id = ? ORDER BY created_at, id"
        return [_api_key(row) for row in await self._session.rows(sql, (creditor_id,))]

    async def revoke(self, key_id: str, at: datetime) -> bool:
        sql = (
            "UPDATE api_keys SET revoked_at = ?1"
            " WHERE id = ?2 AND (revoked_at IS NULL OR revoked_at > ?1)"
        )
        return await self._session.execute(sql, (format_instant(at), key_id)) == 1

    async def mark_used(self, key_id: str, at: datetime) -> None:
        sql = (
            "UPDATE api_keys SET last_used_at = ?1"
            " WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)"
        )
        await self._session.execute(sql, (format_instant(at), key_id))


def _api_key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        creditor_id=row["creditor_id"],
        roles=frozenset(Role(role) for role in load_set(row["roles"])),
        secret_hash=row["secret_hash"],
        created_at=parse_instant(row["created_at"]),
        label=row["label"],
        revoked_at=parse_optional(row["revoked_at"]),
        last_used_at=parse_optional(row["last_used_at"]),
        person=row["person"],
        chain_id=row["chain_id"],
        minted_by=row["minted_by"],
    )


class SqliteDetachments:
    """``DetachmentRepository`` on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, detached: DetachedPhone) -> bool:
        sql = (
            "INSERT INTO detached_phones (creditor_id, debtor_id, phone, at, reply_id)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
        )
        params = (detached.creditor_id, detached.debtor_id, detached.phone,
                  format_instant(detached.at), detached.reply_id)  # fmt: skip
        return await self._session.execute(sql, params) == 1

    async def is_detached(self, creditor_id: str, debtor_id: str, phone: str) -> bool:
        sql = "SELECT 1 FROM detached_phones WHERE creditor_id = ? AND debtor_id = ? AND phone = ?"
        return bool(await self._session.rows(sql, (creditor_id, debtor_id, phone)))


class SqliteOptOuts:
    """``OptOutRepository`` on SQLite; removed opt-outs stay as history."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, opt_out: OptOut) -> None:
        await self._session.execute(
            "INSERT INTO opt_outs (creditor_id, phone, kind, source, reason, at, removed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                opt_out.creditor_id, opt_out.phone, opt_out.kind, opt_out.source, opt_out.reason,
                format_instant(opt_out.at), format_optional(opt_out.removed_at),
            ),
        )  # fmt: skip

    async def active(self, creditor_id: str, phone: str) -> list[OptOut]:
        sql = (
            "SELECT * FROM opt_outs WHERE creditor_id = ? AND phone = ? AND removed_at IS NULL"
            " ORDER BY at, id"
        )
        return [_opt_out(row) for row in await self._session.rows(sql, (creditor_id, phone))]

    async def of_creditor(self, creditor_id: str) -> list[OptOut]:
        sql = (
            "SELECT * FROM opt_outs WHERE creditor_id = ? AND removed_at IS NULL"
            " ORDER BY at DESC, id DESC"
        )
        return [_opt_out(row) for row in await self._session.rows(sql, (creditor_id,))]

    async def remove(self, creditor_id: str, phone: str, kind: OptOutKind, at: datetime) -> bool:
        sql = (
            "UPDATE opt_outs SET removed_at = ?"
            " WHERE creditor_id = ? AND phone = ? AND kind = ? AND removed_at IS NULL"
        )
        params = (format_instant(at), creditor_id, phone, kind)
        return await self._session.execute(sql, params) == 1


def _opt_out(row: sqlite3.Row) -> OptOut:
    return OptOut(
        creditor_id=row["creditor_id"],
        phone=row["phone"],
        kind=OptOutKind(row["kind"]),
        source=OptOutSource(row["source"]),
        at=parse_instant(row["at"]),
        reason=row["reason"],
        removed_at=parse_optional(row["removed_at"]),
    )


class SqliteIdempotency:
    """``IdempotencyStore`` on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def get(self, creditor_id: str, key: str) -> IdempotencyRecord | None:
        sql = "SELECT * FROM idempotency_keys WHERE creditor_id = ? AND key = ?"
        row = await self._session.row(sql, (creditor_id, key))
        return None if row is None else _idempotency(row)

    async def put(self, record: IdempotencyRecord) -> None:
        await self._session.execute(
            "INSERT INTO idempotency_keys (creditor_id, key, request_hash, response_status,"
            " response_body, at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                record.creditor_id, record.key, record.request_hash, record.response_status,
                dump_json(record.response_body), format_instant(record.at),
            ),
        )  # fmt: skip

    async def forget_before(self, at: datetime) -> int:
        sql = "DELETE FROM idempotency_keys WHERE at < ?"
        return await self._session.execute(sql, (format_instant(at),))


def _idempotency(row: sqlite3.Row) -> IdempotencyRecord:
    return IdempotencyRecord(
        creditor_id=row["creditor_id"],
        key=row["key"],
        request_hash=row["request_hash"],
        response_status=row["response_status"],
        response_body=load_json(row["response_body"]),
        at=parse_instant(row["at"]),
    )
