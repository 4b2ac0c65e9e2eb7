"""The contact ledger (``ContactLedger``): what the caps count, and how writers take turns.

The send path reads a debtor's (or a third party's phone's) contacts, lets
the policy decide, then books one, in one write unit; the indexes follow
those reads (by creditor and debtor or phone, then time). On SQLite the
single writer serialises such units, and ``Session.lock`` does nothing. On
PostgreSQL instances run them side by side, so the ledger serialises them
itself with advisory locks, per creditor and recipient rather than globally:

* ``of_debtor`` locks (creditor, debtor) and ``of_phone`` locks (creditor,
  phone) before reading, in write units; the lock is held to COMMIT.
  ``of_debtor_or_phone``, what a debtor send reads (the debtor's cap and the
  phone's cap on debtor contacts), locks both, phone first.
* ``move`` (the dispatcher moving a booking to another slot) locks its
  booking's phone and debtor as ``record`` does.
* ``record`` locks the contact's phone, then, for a debtor contact, its
  debtor, before inserting: whatever a reader of either key counted cannot
  change under it. (A third party's cap counts every contact to the phone;
  a debtor's counts debtor contacts, so a third-party contact needs no
  debtor lock.)
* ``hold_phone`` takes the phone's lock alone: a withdrawal takes it before
  it touches the message's rows, which a dispatcher's send locks under the
  same key (see ``messages``, lock order). Giving a booking back needs no
  debtor lock: a reader can only have counted one contact too many.

Under READ COMMITTED each statement sees what was committed before it
started, and a lock is released only after its holder's COMMIT is visible,
so the read after the lock sees every earlier booking of that debtor. Units
for other debtors never wait. Locks are taken phone before debtor (a send
reads the phone's opt-outs first, see ``tenants``); a unit that locks a
debtor and then a phone it had not locked (``of_debtor`` then ``record``
without an opt-out check, as only tests do) can deadlock with a recorded
call; PostgreSQL breaks the cycle within ``deadlock_timeout`` and the loser
gets ``StoreBusy``, never a wrong count. Chosen over SERIALIZABLE, which
would abort one of two racing sends and need the whole request retried (a
unit of work cannot re-run its caller's block), and over a per-debtor-day
counter row, which the policy's multi-day caps and deferred bookings would
make awkward.
"""

from __future__ import annotations

from datetime import datetime

from smsgate.core.audience import Audience
from smsgate.core.policy.contacts import Channel
from smsgate.store.records import ContactRecord
from smsgate.store.sql.dialect import Dialect, Row, Session
from smsgate.store.sql.tenants import PHONE_LOCK

DEBTOR_LOCK = "debtor"


class SqlContactLedger:
    """``ContactLedger`` on either database; see the module docstring for the locks."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def record(self, contact: ContactRecord) -> None:
        await self._lock_booking(contact)
        await self._session.execute(
            "INSERT INTO contacts (creditor_id, debtor_id, phone, role, channel, at, message_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                contact.creditor_id, contact.debtor_id, contact.phone, contact.role,
                contact.channel, self._dialect.instant(contact.at), contact.message_id,
            ),
        )  # fmt: skip

    async def of_debtor(
        self, creditor_id: str, debtor_id: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        await self._session.lock(DEBTOR_LOCK, creditor_id, debtor_id)
        return await self._between("debtor_id", creditor_id, debtor_id, start, end)

    async def of_phone(
        self, creditor_id: str, phone: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        await self._session.lock(PHONE_LOCK, creditor_id, phone)
        return await self._between("phone", creditor_id, phone, start, end)

    async def of_debtor_or_phone(
        self, creditor_id: str, debtor_id: str, phone: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        await self._session.lock(PHONE_LOCK, creditor_id, phone)
        await self._session.lock(DEBTOR_LOCK, creditor_id, debtor_id)
        sql = (
            "SELECT * FROM contacts WHERE creditor_id = ? AND (debtor_id = ? OR phone = ?)"
            " AND at >= ? AND at < ? ORDER BY at, id"
        )
        instant = self._dialect.instant
        params = (creditor_id, debtor_id, phone, instant(start), instant(end))
        return [_contact(row, self._dialect) for row in await self._session.rows(sql, params)]

    async def of_message(self, message_id: str) -> ContactRecord | None:
        sql = "SELECT * FROM contacts WHERE message_id = ? ORDER BY id LIMIT 1"
        row = await self._session.row(sql, (message_id,))
        return None if row is None else _contact(row, self._dialect)

    async def move(self, message_id: str, at: datetime) -> int:
        if not self._dialect.single_writer:
            # Whatever a reader of the phone or the debtor counted must not change under it.
            booking = await self.of_message(message_id)
            if booking is None:
                return 0
            await self._lock_booking(booking)
        sql = "UPDATE contacts SET at = ? WHERE message_id = ?"
        return await self._session.execute(sql, (self._dialect.instant(at), message_id))

    async def withdraw(self, message_id: str) -> int:
        sql = "DELETE FROM contacts WHERE message_id = ?"
        return await self._session.execute(sql, (message_id,))

    async def hold_phone(self, creditor_id: str, phone: str) -> None:
        await self._session.lock(PHONE_LOCK, creditor_id, phone)

    async def _lock_booking(self, contact: ContactRecord) -> None:
        await self._session.lock(PHONE_LOCK, contact.creditor_id, contact.phone)
        if contact.role == Audience.DEBTOR:
            await self._session.lock(DEBTOR_LOCK, contact.creditor_id, contact.debtor_id)

    async def _between(
        self, column: str, creditor_id: str, value: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        # ``column`` is one of two literals above, never caller input.
        sql = (
            f"SELECT * FROM contacts WHERE creditor_id = ? AND {column} = ?"
            " AND at >= ? AND at < ? ORDER BY at, id"
        )
        instant = self._dialect.instant
        params = (creditor_id, value, instant(start), instant(end))
        return [_contact(row, self._dialect) for row in await self._session.rows(sql, params)]


def _contact(row: Row, dialect: Dialect) -> ContactRecord:
    return ContactRecord(
        creditor_id=row["creditor_id"],
        debtor_id=row["debtor_id"],
        phone=row["phone"],
        role=Audience(row["role"]),
        channel=Channel(row["channel"]),
        at=dialect.read_instant(row["at"]),
        message_id=row["message_id"],
    )
