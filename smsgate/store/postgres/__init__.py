"""The PostgreSQL implementation of the store: for several gateway and dispatcher instances.

Callers use ``smsgate.store.open_store("postgresql://user@host:5432/db")``;
this package is imported only when such a URL is opened. The SQLite store
serialises every write transaction on the file's single writer lock, and the
service layer relies on that ("read the ledger, decide, insert" cannot
interleave). Here write units run concurrently, across connections and
processes, and each rule that needs serialising gets exactly the lock it
needs, so sends for different debtors never wait for each other. The
repositories that take them are the shared ones of ``smsgate.store.sql``
(named in brackets below); this package supplies the ``Session`` whose
``lock`` takes a transaction-level advisory lock, and the ``Dialect``
(``dialect``) that adds ``SKIP LOCKED`` and the webhook worker's settled head
(``horizon``):

* **Contact caps** (``contacts``): the ledger's reads take a
  transaction-level advisory lock on (creditor, debtor) or (creditor, phone)
  before counting, and ``record`` takes the phone and debtor locks of the
  contact it books. Two sends for one debtor are serialised from the count
  to COMMIT, on any instance; the second counts the first's booking. Chosen
  over SERIALIZABLE, which would abort one of them and need the whole
  request retried (a unit of work cannot re-run its caller's block), and
  over a per-debtor-day counter row, which the policy's multi-day caps and
  deferred bookings would make awkward.
* **Opt-outs** (``tenants``): reading a phone's opt-outs in a write unit
  takes that same (creditor, phone) lock, so "add unless active" is exact.
* **Idempotency keys** (``tenants``): unique by primary key (creditor, key).
  Reading a key in a write unit locks it, so a retry racing its first attempt
  on another instance waits for that commit and replays the stored
  response; an insert that loses a race anyway raises
  ``IdempotencyKeyExists``.
* **Outbox** (``messages``): ``claim_due`` leases rows picked with
  ``FOR UPDATE SKIP LOCKED``; leases expire, so a dead dispatcher's items are
  claimed again. Dispatchers poll; see ``messages``.
* **Message status** (``messages``): ``set_status`` is one UPDATE guarded by
  the lifecycle's sources of the new status (in the ``WITH`` that also writes
  the event). No lock beyond the row's: under READ COMMITTED an UPDATE of a
  row another transaction changed waits for it and re-checks the guard, so
  of two moves that cannot follow each other one lands and the other raises
  ``IllegalMove``.
* **Audit chain** (``audit``): one advisory lock per database serialises
  appends from reading the chain head to COMMIT, so the chain stays one
  chain. It is the only lock every auditing write takes; it is held for the
  unit's last statements and its commit.

``migrate()`` runs under an advisory lock, so instances may start together.
Driver errors become the ``smsgate.store.errors`` family in ``translate``.
"""

from smsgate.store.postgres.store import PostgresSettings, PostgresStore, open_postgres_store

__all__ = ["PostgresSettings", "PostgresStore", "open_postgres_store"]
