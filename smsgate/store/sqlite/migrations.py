"""The SQLite schema, as numbered migrations applied in order and recorded once each.

``schema_migrations`` lists the versions applied. ``apply_migrations`` runs
the missing ones inside one ``BEGIN IMMEDIATE`` transaction (SQLite's DDL is
transactional), so two processes starting at once cannot both migrate and a
failed step leaves the schema as it was. Published steps are never edited:
a change is a new step.

Tables are STRICT (SQLite >= 3.37) so a wrong type is an error, not a silent
conversion. Instants are TEXT written by ``smsgate.store.instants``; JSON
columns are TEXT. The audit log refuses UPDATE and DELETE by trigger, and the
reviews table refuses a reviewer reviewing their own version, so these rules
hold even for someone writing SQL by hand.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence

from smsgate.store.instants import format_instant, utc_now
from smsgate.store.sql.schema import Migration, MigrationOptions, check_order, latest, pending
from smsgate.store.sql.violations import APPEND_ONLY_MESSAGE, FOUR_EYES_MESSAGE
from smsgate.store.sqlite.tree_migration import TREE_SQL, convert_chain

__all__ = ["MIGRATIONS", "Migration", "MigrationOptions", "apply_migrations", "statements"]


_INITIAL_SCHEMA = f"""
CREATE TABLE creditors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    signature TEXT NOT NULL,
    profile_name TEXT NOT NULL,
    profile_overrides TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    creditor_id TEXT NOT NULL REFERENCES creditors (id),
    roles TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;
CREATE INDEX api_keys_by_creditor ON api_keys (creditor_id, created_at);

CREATE TABLE templates (
    id TEXT PRIMARY KEY,
    creditor_id TEXT NOT NULL REFERENCES creditors (id),
    name TEXT NOT NULL,
    audience TEXT NOT NULL CHECK (audience IN ('debtor', 'third_party')),
    created_at TEXT NOT NULL,
    retired_at TEXT,
    UNIQUE (creditor_id, name)
) STRICT;

CREATE TABLE template_versions (
    template_id TEXT NOT NULL REFERENCES templates (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    body TEXT NOT NULL,
    variables TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'retired')),
    author_key_id TEXT NOT NULL REFERENCES api_keys (id),
    created_at TEXT NOT NULL,
    lint TEXT NOT NULL,
    findings TEXT NOT NULL,
    wordlist_version TEXT NOT NULL,
    PRIMARY KEY (template_id, version)
) STRICT;

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    template_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    reviewer_key_id TEXT NOT NULL REFERENCES api_keys (id),
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    wordlist_version TEXT NOT NULL,
    FOREIGN KEY (template_id, version) REFERENCES template_versions (template_id, version)
) STRICT;
CREATE INDEX reviews_by_template ON reviews (template_id, version);

CREATE TRIGGER reviews_four_eyes BEFORE INSERT ON reviews
WHEN NEW.reviewer_key_id = (
    SELECT author_key_id FROM template_versions
    WHERE template_id = NEW.template_id AND version = NEW.version
)
BEGIN
    SELECT RAISE(ABORT, '{FOUR_EYES_MESSAGE}');
END;

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    creditor_id TEXT NOT NULL REFERENCES creditors (id),
    template_id TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    phone TEXT NOT NULL,
    debtor_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('debtor', 'third_party')),
    timezone TEXT,
    tags TEXT NOT NULL,
    text TEXT NOT NULL,
    segments INTEGER NOT NULL CHECK (segments >= 1),
    encoding TEXT NOT NULL,
    status TEXT NOT NULL,
    send_at TEXT,
    created_at TEXT NOT NULL,
    wordlist_version TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'review', 'block')),
    findings TEXT NOT NULL,
    FOREIGN KEY (template_id, template_version)
        REFERENCES template_versions (template_id, version)
) STRICT;
CREATE INDEX messages_by_creditor_status ON messages (creditor_id, status, created_at);

CREATE TABLE message_events (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages (id),
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
CREATE INDEX message_events_by_message ON message_events (message_id, id);

CREATE TABLE outbox (
    message_id TEXT PRIMARY KEY REFERENCES messages (id),
    due_at TEXT NOT NULL,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    lease_owner TEXT,
    lease_until TEXT
) STRICT;
CREATE INDEX outbox_by_due ON outbox (due_at);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    creditor_id TEXT NOT NULL REFERENCES creditors (id),
    debtor_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('debtor', 'third_party')),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'call')),
    at TEXT NOT NULL,
    message_id TEXT REFERENCES messages (id)
) STRICT;
CREATE INDEX contacts_by_debtor ON contacts (creditor_id, debtor_id, at);
CREATE INDEX contacts_by_phone ON contacts (creditor_id, phone, at);
CREATE INDEX contacts_by_message ON contacts (message_id) WHERE message_id IS NOT NULL;

CREATE TABLE opt_outs (
    id INTEGER PRIMARY KEY,
    creditor_id TEXT NOT NULL REFERENCES creditors (id),
    phone TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opt_out', 'third_party_refusal', 'do_not_contact')),
    source TEXT NOT NULL CHECK (source IN ('api', 'mo', 'ui')),
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    removed_at TEXT
) STRICT;
CREATE UNIQUE INDEX opt_outs_active ON opt_outs (creditor_id, phone, kind)
    WHERE removed_at IS NULL;

CREATE TABLE idempotency_keys (
    creditor_id TEXT NOT NULL REFERENCES creditors (id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (creditor_id, key)
) STRICT;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (at);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    at TEXT NOT NULL,
    creditor_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
) STRICT;
CREATE INDEX audit_log_by_creditor_time ON audit_log (creditor_id, at);
CREATE INDEX audit_log_by_subject ON audit_log (subject);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}');
END;
"""

# Step 2: what the dispatcher records of each hand-over to a carrier. A row is
# written (outcome NULL) before the carrier is called and finished after, so a
# row left unfinished by a crash shows a send whose outcome is unknown. The
# index serves delivery reports, which quote the carrier's id; it is not
# unique because carriers do not promise unique ids across accounts.
_SEND_ATTEMPTS = """
CREATE TABLE message_attempts (
    message_id TEXT NOT NULL REFERENCES messages (id),
    attempt INTEGER NOT NULL CHECK (attempt >= 1),
    carrier TEXT NOT NULL,
    client_reference TEXT NOT NULL,
    started_at TEXT NOT NULL,
    outcome TEXT CHECK (outcome IN ('sent', 'retryable', 'permanent', 'unknown')),
    finished_at TEXT,
    carrier_message_id TEXT,
    error_code TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (message_id, attempt)
) STRICT;
CREATE INDEX message_attempts_by_carrier_id ON message_attempts (carrier, carrier_message_id)
    WHERE carrier_message_id IS NOT NULL;
"""

# Step 3: what carriers tell us back. Both tables keep duplicates out with a
# unique dedupe key (carriers resend callbacks), and keep what could not be
# matched (message_id / creditor_id NULL) for an operator. Messages gain an
# index by phone, because a reply names only the phone it came from.
_CALLBACKS = """
CREATE TABLE delivery_receipts (
    id TEXT PRIMARY KEY,
    carrier TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('accepted', 'delivered', 'failed')),
    received_at TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    carrier_message_id TEXT,
    client_reference TEXT,
    message_id TEXT REFERENCES messages (id),
    attempt INTEGER,
    creditor_id TEXT REFERENCES creditors (id),
    error_code TEXT NOT NULL,
    description TEXT NOT NULL,
    reported_at TEXT
) STRICT;
CREATE INDEX delivery_receipts_by_message ON delivery_receipts (message_id, received_at)
    WHERE message_id IS NOT NULL;
CREATE INDEX delivery_receipts_unmatched ON delivery_receipts (received_at)
    WHERE message_id IS NULL;

CREATE TABLE inbound_replies (
    id TEXT PRIMARY KEY,
    carrier TEXT NOT NULL,
    phone TEXT NOT NULL,
    text TEXT NOT NULL,
    received_at TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    intents TEXT NOT NULL,
    creditor_id TEXT REFERENCES creditors (id),
    message_id TEXT REFERENCES messages (id),
    carrier_message_id TEXT,
    signature TEXT NOT NULL,
    extension TEXT NOT NULL
) STRICT;
CREATE INDEX inbound_replies_by_creditor ON inbound_replies (creditor_id, received_at);
CREATE INDEX inbound_replies_by_phone ON inbound_replies (creditor_id, phone, received_at);

CREATE INDEX messages_by_phone ON messages (phone, created_at);
"""

# Step 4: outbound status webhooks, one per creditor. Delivery reads
# message_events after ``last_event_id`` (the cursor of what the receiver
# acknowledged); the rest is backoff after failures and the lease of the
# worker posting right now. See smsgate.store.webhooks.
_WEBHOOKS = """
CREATE TABLE webhooks (
    creditor_id TEXT PRIMARY KEY REFERENCES creditors (id),
    url TEXT NOT NULL,
    configured_at TEXT NOT NULL,
    last_event_id INTEGER NOT NULL CHECK (last_event_id >= 0),
    failures INTEGER NOT NULL CHECK (failures >= 0),
    next_attempt_at TEXT,
    last_error TEXT NOT NULL,
    delivered_at TEXT,
    lease_owner TEXT,
    lease_until TEXT
) STRICT;
"""

# Step 5: when each API key was last used, for operators retiring unused keys.
# Written at most about once a minute per key, never per request (see
# smsgate.api.keys.KeyUsage); NULL for a key never used since the step.
_KEY_USE = """
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
"""

# Step 6: the compliance UI's sessions, so sign-out (and revoking the key a
# session was opened with) ends the session for every instance; the cookie
# names its row. See smsgate.store.ui_sessions.
_UI_SESSIONS = """
CREATE TABLE ui_sessions (
    id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES api_keys (id),
    creditor_id TEXT NOT NULL REFERENCES creditors (id),
    started_at TEXT NOT NULL,
    ended_at TEXT
) STRICT;
CREATE INDEX ui_sessions_open_by_key ON ui_sessions (key_id) WHERE ended_at IS NULL;
CREATE INDEX ui_sessions_by_start ON ui_sessions (started_at);
"""

# Step 7: who stands behind each key, so four-eyes holds per person and not
# per key (see smsgate.service.four_eyes). ``person`` is the label given at
# creation and ``person_key`` its normalised form (the store computes it:
# SQL has no NFKC); ``chain_id`` is the first key of the rotation chain;
# ``minted_by`` the key whose request created this one (NULL: the operator).
# Existing keys get their chain and minter from the audit log, which recorded
# both ("replaces" in a successor's key.created entry, and its actor); their
# person stays NULL, so four-eyes holds per chain for them. The trigger adds
# the two rules SQL can check to the per-key one of step 1: same chain, same
# person; the minting lineage is a graph walk left to the service.
_KEY_PEOPLE = f"""
ALTER TABLE api_keys ADD COLUMN person TEXT;
ALTER TABLE api_keys ADD COLUMN person_key TEXT;
ALTER TABLE api_keys ADD COLUMN chain_id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN minted_by TEXT;

UPDATE api_keys SET minted_by = (
    SELECT audit_log.actor FROM audit_log
    WHERE audit_log.action = 'key.created' AND audit_log.subject = api_keys.id
        AND audit_log.actor IN (SELECT id FROM api_keys)
    ORDER BY audit_log.seq LIMIT 1
);

WITH RECURSIVE rotated (id, parent) AS (
    SELECT subject, json_extract(detail, '$.replaces') FROM audit_log
    WHERE action = 'key.created' AND json_extract(detail, '$.replaces') IS NOT NULL
), chains (id, root) AS (
    SELECT id, id FROM api_keys WHERE id NOT IN (SELECT id FROM rotated)
    UNION
    SELECT rotated.id, chains.root FROM rotated JOIN chains ON rotated.parent = chains.id
)
UPDATE api_keys SET chain_id = coalesce(
    (SELECT root FROM chains WHERE chains.id = api_keys.id), api_keys.id
);

CREATE INDEX api_keys_by_chain ON api_keys (chain_id);

CREATE TRIGGER reviews_four_eyes_people BEFORE INSERT ON reviews
WHEN EXISTS (
    SELECT 1 FROM template_versions
    JOIN api_keys AS author ON author.id = template_versions.author_key_id
    JOIN api_keys AS reviewer ON reviewer.id = NEW.reviewer_key_id
    WHERE template_versions.template_id = NEW.template_id
        AND template_versions.version = NEW.version
        AND (author.chain_id = reviewer.chain_id OR author.person_key = reviewer.person_key)
)
BEGIN
    SELECT RAISE(ABORT, '{FOUR_EYES_MESSAGE}');
END;
"""

# Step 8: the audit chain's verification checkpoint, one row per chain: the last
# entry known good (seq and hash) and what the last run found, so verification
# continues from there instead of walking the whole log (smsgate.service.audit_checks).
_AUDIT_CHECKPOINTS = """
CREATE TABLE audit_checkpoints (
    chain TEXT PRIMARY KEY,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    hash TEXT NOT NULL,
    verified_at TEXT NOT NULL,
    checked INTEGER NOT NULL CHECK (checked >= 0),
    full_run INTEGER NOT NULL CHECK (full_run IN (0, 1)),
    bad_seq INTEGER,
    fault TEXT
) STRICT;
"""

_DETACHED_PHONES = """
CREATE TABLE detached_phones (
    creditor_id TEXT NOT NULL REFERENCES creditors (id),
    debtor_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    at TEXT NOT NULL,
    reply_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (creditor_id, debtor_id, phone)
) STRICT;
"""

# Stop confirmations (issue #14): a creditor's one confirmation text (an
# operator-made template version; no row: off), and the one confirmation
# message per opt-out, keyed by the opt-out's instant so a repeated stop or a
# replayed MO claims nothing new. ``message_id`` is written before its message
# row in the same transaction (the claim comes first), so it has no foreign key.
_STOP_CONFIRMATIONS = """
CREATE TABLE stop_confirmation_texts (
    creditor_id TEXT PRIMARY KEY REFERENCES creditors (id),
    template_id TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    set_at TEXT NOT NULL,
    FOREIGN KEY (template_id, template_version)
        REFERENCES template_versions (template_id, version)
) STRICT;

CREATE TABLE stop_confirmations (
    creditor_id TEXT NOT NULL REFERENCES creditors (id),
    phone TEXT NOT NULL,
    opted_out_at TEXT NOT NULL,
    reply_id TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    PRIMARY KEY (creditor_id, phone, opted_out_at)
) STRICT;
CREATE INDEX stop_confirmations_by_reply ON stop_confirmations (reply_id);
"""

#: Every step of the schema, in order. Append new steps; never edit a published one.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _INITIAL_SCHEMA),
    Migration(2, "send attempts", _SEND_ATTEMPTS),
    Migration(3, "delivery receipts and inbound replies", _CALLBACKS),
    Migration(4, "status webhooks", _WEBHOOKS),
    Migration(5, "api key last use", _KEY_USE),
    Migration(6, "ui sessions", _UI_SESSIONS),
    Migration(7, "api key people", _KEY_PEOPLE),
    Migration(8, "audit verification checkpoints", _AUDIT_CHECKPOINTS),
    Migration(9, "phones detached from a debtor (wrong-number replies)", _DETACHED_PHONES),
    Migration(10, "stop confirmations", _STOP_CONFIRMATIONS),
    Migration(11, "audit merkle tree", TREE_SQL),
)

#: Steps with a Python half, run after their SQL in the same transaction (by version).
CONVERSIONS: dict[int, Callable[[sqlite3.Connection, MigrationOptions], None]] = {
    11: convert_chain,
}

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
) STRICT
"""


def statements(sql: str) -> Iterator[str]:
    """The complete statements of ``sql``, triggers included (whose bodies contain ``;``)."""
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:80]!r}")


def apply_migrations(
    db: sqlite3.Connection,
    migrations: Sequence[Migration] = MIGRATIONS,
    options: MigrationOptions = MigrationOptions(),  # noqa: B008 (frozen, never changed)
) -> int:
    """Apply the steps of ``migrations`` not applied yet, atomically; the resulting version.

    Raises ``SchemaTooNew`` if the database knows a version ``migrations``
    lacks, and ``BrokenAuditChain`` if step 11 finds the old chain broken.
    Runs on the executor thread of the writer connection, outside any transaction.
    """
    check_order(migrations)
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(_CREATE_LEDGER)
        applied = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
        for step in pending(migrations, applied):
            _apply(db, step, options)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return latest(migrations)


def _apply(db: sqlite3.Connection, step: Migration, options: MigrationOptions) -> None:
    for statement in statements(step.sql):
        db.execute(statement)
    conversion = CONVERSIONS.get(step.version) if step in MIGRATIONS else None
    if conversion is not None:
        conversion(db, options)
    db.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        (step.version, step.name, format_instant(utc_now())),
    )
