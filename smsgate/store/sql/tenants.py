"""The repositories of the per-creditor settings: creditors, keys, opt-outs, idempotency.

Three of them take locks in write units (``Session.lock``), so that a read
followed by a write decides on what every other writer has committed. On
SQLite these cost nothing: the single writer already serialises write units.
On PostgreSQL, where write units run side by side, they are advisory locks:

* ``IdempotencyStore`` locks (creditor, key) when it reads a key: a request
  retried against another instance waits until the first attempt commits,
  then finds its stored response and replays it. The primary key still
  refuses a second row (``IdempotencyKeyExists``) for callers that skip the
  read.
* ``OptOutRepository`` locks the (creditor, phone) when it reads a phone's
  opt-outs: "add unless active" never raises ``OptOutExists`` for a race,
  and a send deciding on a phone sees an opt-out committed before it. The
  contact ledger takes this same phone key (see ``contacts``).
* ``ApiKeyRepository`` locks the creditor's keys when it lists them in a
  write unit: two revocations deciding "is another admin key left?" run
  one after the other, so a creditor cannot lose its last admin key to a race.
"""

from __future__ import annotations

from datetime import datetime

from smsgate.store.errors import NotFound
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
from smsgate.store.sql.dialect import Dialect, Row, Session

#: The lock of a creditor's phone, shared by opt-outs and the ledger.
PHONE_LOCK = "phone"
#: The lock of a creditor's set of API keys.
KEYS_LOCK = "api_keys"
#: The lock of one (creditor, Idempotency-Key).
IDEMPOTENCY_LOCK = "idempotency"


class SqlCreditors:
    """``CreditorRepository`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def add(self, creditor: Creditor) -> None:
        await self._session.execute(
            "INSERT INTO creditors (id, name, signature, profile_name, profile_overrides,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                creditor.id, creditor.name, creditor.signature, creditor.profile_name,
                self._dialect.json(creditor.profile_overrides),
                self._dialect.instant(creditor.created_at),
            ),
        )  # fmt: skip

    async def get(self, creditor_id: str) -> Creditor | None:
        row = await self._session.row("SELECT * FROM creditors WHERE id = ?", (creditor_id,))
        return None if row is None else _creditor(row, self._dialect)

    async def all(self) -> list[Creditor]:
        rows = await self._session.rows("SELECT * FROM creditors ORDER BY id")
        return [_creditor(row, self._dialect) for row in rows]

    async def update(self, creditor: Creditor) -> None:
        changed = await self._session.execute(
            "UPDATE creditors SET name = ?, signature = ?, profile_name = ?,"
            " profile_overrides = ? WHERE id = ?",
            (
                creditor.name, creditor.signature, creditor.profile_name,
                self._dialect.json(creditor.profile_overrides), creditor.id,
            ),
        )  # fmt: skip
        if not changed:
            raise NotFound(f"no creditor {creditor.id!r}")


def _creditor(row: Row, dialect: Dialect) -> Creditor:
    return Creditor(
        id=row["id"],
        name=row["name"],
        signature=row["signature"],
        profile_name=row["profile_name"],
        created_at=dialect.read_instant(row["created_at"]),
        profile_overrides=dialect.read_json(row["profile_overrides"]),
    )


class SqlApiKeys:
    """``ApiKeyRepository`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def add(self, key: ApiKey) -> None:
        d = self._dialect
        await self._session.execute(
            "INSERT INTO api_keys (id, creditor_id, roles, secret_hash, label, created_at,"
            " revoked_at, person, person_key, chain_id, minted_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key.id, key.creditor_id, d.string_set(key.roles), key.secret_hash, key.label,
                d.instant(key.created_at), d.optional_instant(key.revoked_at),
                key.person, key.person_key, key.chain_id, key.minted_by,
            ),
        )  # fmt: skip

    async def get(self, key_id: str) -> ApiKey | None:
        row = await self._session.row("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        return None if row is None else _api_key(row, self._dialect)

    async def by_secret_hash(self, secret_hash: str) -> ApiKey | None:
        sql = "SELECT * FROM api_keys WHERE secret_hash = ?"
        row = await self._session.row(sql, (secret_hash,))
        return None if row is None else _api_key(row, self._dialect)

    async def of_creditor(self, creditor_id: str) -> list[ApiKey]:
        await self._session.lock(KEYS_LOCK, creditor_id)
        sql = "SELECT * FROM api_keys WHERE creditor_id = ? ORDER BY created_at, id"
        rows = await self._session.rows(sql, (creditor_id,))
        return [_api_key(row, self._dialect) for row in rows]

    async def revoke(self, key_id: str, at: datetime) -> bool:
        sql = (
            "UPDATE api_keys SET revoked_at = ?1"
            " WHERE id = ?2 AND (revoked_at IS NULL OR revoked_at > ?1)"
        )
        return await self._session.execute(sql, (self._dialect.instant(at), key_id)) == 1

    async def mark_used(self, key_id: str, at: datetime) -> None:
        sql = (
            "UPDATE api_keys SET last_used_at = ?1"
            " WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)"
        )
        await self._session.execute(sql, (self._dialect.instant(at), key_id))


def _api_key(row: Row, dialect: Dialect) -> ApiKey:
    return ApiKey(
        id=row["id"],
        creditor_id=row["creditor_id"],
        roles=frozenset(Role(role) for role in dialect.read_string_set(row["roles"])),
        secret_hash=row["secret_hash"],
        created_at=dialect.read_instant(row["created_at"]),
        label=row["label"],
        revoked_at=dialect.read_optional_instant(row["revoked_at"]),
        last_used_at=dialect.read_optional_instant(row["last_used_at"]),
        person=row["person"],
        chain_id=row["chain_id"],
        minted_by=row["minted_by"],
    )


class SqlDetachments:
    """``DetachmentRepository`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def add(self, detached: DetachedPhone) -> bool:
        sql = (
            "INSERT INTO detached_phones (creditor_id, debtor_id, phone, at, reply_id)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
        )
        params = (detached.creditor_id, detached.debtor_id, detached.phone,
                  self._dialect.instant(detached.at), detached.reply_id)  # fmt: skip
        return await self._session.execute(sql, params) == 1

    async def is_detached(self, creditor_id: str, debtor_id: str, phone: str) -> bool:
        sql = "SELECT 1 FROM detached_phones WHERE creditor_id = ? AND debtor_id = ? AND phone = ?"
        return bool(await self._session.rows(sql, (creditor_id, debtor_id, phone)))


class SqlOptOuts:
    """``OptOutRepository`` on either database; removed opt-outs stay as history."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def add(self, opt_out: OptOut) -> None:
        await self._session.lock(PHONE_LOCK, opt_out.creditor_id, opt_out.phone)
        await self._session.execute(
            "INSERT INTO opt_outs (creditor_id, phone, kind, source, reason, at, removed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                opt_out.creditor_id, opt_out.phone, opt_out.kind, opt_out.source, opt_out.reason,
                self._dialect.instant(opt_out.at),
                self._dialect.optional_instant(opt_out.removed_at),
            ),
        )  # fmt: skip

    async def active(self, creditor_id: str, phone: str) -> list[OptOut]:
        await self._session.lock(PHONE_LOCK, creditor_id, phone)
        sql = (
            "SELECT * FROM opt_outs WHERE creditor_id = ? AND phone = ? AND removed_at IS NULL"
            " ORDER BY at, id"
        )
        rows = await self._session.rows(sql, (creditor_id, phone))
        return [_opt_out(row, self._dialect) for row in rows]

    async def of_creditor(self, creditor_id: str) -> list[OptOut]:
        sql = (
            "SELECT * FROM opt_outs WHERE creditor_id = ? AND removed_at IS NULL"
            " ORDER BY at DESC, id DESC"
        )
        rows = await self._session.rows(sql, (creditor_id,))
        return [_opt_out(row, self._dialect) for row in rows]

    async def remove(self, creditor_id: str, phone: str, kind: OptOutKind, at: datetime) -> bool:
        sql = (
            "UPDATE opt_outs SET removed_at = ?"
            " WHERE creditor_id = ? AND phone = ? AND kind = ? AND removed_at IS NULL"
        )
        params = (self._dialect.instant(at), creditor_id, phone, kind)
        return await self._session.execute(sql, params) == 1


def _opt_out(row: Row, dialect: Dialect) -> OptOut:
    return OptOut(
        creditor_id=row["creditor_id"],
        phone=row["phone"],
        kind=OptOutKind(row["kind"]),
        source=OptOutSource(row["source"]),
        at=dialect.read_instant(row["at"]),
        reason=row["reason"],
        removed_at=dialect.read_optional_instant(row["removed_at"]),
    )


class SqlIdempotency:
    """``IdempotencyStore`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def get(self, creditor_id: str, key: str) -> IdempotencyRecord | None:
        await self._session.lock(IDEMPOTENCY_LOCK, creditor_id, key)
        sql = "SELECT * FROM idempotency_keys WHERE creditor_id = ? AND key = ?"
        row = await self._session.row(sql, (creditor_id, key))
        return None if row is None else _idempotency(row, self._dialect)

    async def put(self, record: IdempotencyRecord) -> None:
        await self._session.lock(IDEMPOTENCY_LOCK, record.creditor_id, record.key)
        await self._session.execute(
            "INSERT INTO idempotency_keys (creditor_id, key, request_hash, response_status,"
            " response_body, at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                record.creditor_id, record.key, record.request_hash, record.response_status,
                self._dialect.json(record.response_body), self._dialect.instant(record.at),
            ),
        )  # fmt: skip

    async def forget_before(self, at: datetime) -> int:
        sql = "DELETE FROM idempotency_keys WHERE at < ?"
        return await self._session.execute(sql, (self._dialect.instant(at),))


def _idempotency(row: Row, dialect: Dialect) -> IdempotencyRecord:
    return IdempotencyRecord(
        creditor_id=row["creditor_id"],
        key=row["key"],
        request_hash=row["request_hash"],
        response_status=row["response_status"],
        response_body=dialect.read_json(row["response_body"]),
        at=dialect.read_instant(row["at"]),
    )
