"""The PostgreSQL schema, as numbered migrations applied in order and recorded once each.

The steps mirror SQLite's (``smsgate.store.sqlite.migrations``) one for one:
same tables, columns, keys, indexes and rules, in PostgreSQL's types
(``timestamptz`` instants, ``json`` documents, ``text[]`` sets, identity
columns). ``schema_migrations`` lists the versions applied, so a database
migrated by one backend's step N has the same meaning as the other's.

``apply_migrations`` takes a transaction-level advisory lock first, so two
instances starting at once migrate one after the other (the second finds
nothing to do), and runs every missing step in that one transaction:
PostgreSQL's DDL is transactional, so a failed step leaves the schema as it
was. Published steps are never edited: a change is a new step.

Rules hold for hand-written SQL too: triggers refuse UPDATE, DELETE and
TRUNCATE of the audit log and a review by the version's author; a partial
unique index allows one active opt-out per creditor, phone and kind.
Constraints that stand for a domain rule are named, because
``translate`` maps violations by constraint name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from smsgate.store.postgres.session import Connection, advisory_key
from smsgate.store.postgres.translate import APPEND_ONLY_STATE, FOUR_EYES_STATE
from smsgate.store.postgres.tree_migration import TREE_SQL, convert_chain
from smsgate.store.sql.schema import Migration, MigrationOptions, check_order, latest, pending
from smsgate.store.sql.violations import APPEND_ONLY_MESSAGE, FOUR_EYES_MESSAGE

__all__ = ["MIGRATIONS", "MIGRATION_LOCK", "Migration", "apply_migrations"]

MIGRATION_LOCK = advisory_key("smsgate", "schema migrations")

_INITIAL_SCHEMA = f"""
CREATE TABLE creditors (
    id text PRIMARY KEY,
    name text NOT NULL,
    signature text NOT NULL,
    profile_name text NOT NULL,
    profile_overrides json NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id text PRIMARY KEY,
    creditor_id text NOT NULL REFERENCES creditors (id),
    roles text[] NOT NULL,
    secret_hash text NOT NULL UNIQUE,
    label text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX api_keys_by_creditor ON api_keys (creditor_id, created_at);

CREATE TABLE templates (
    id text PRIMARY KEY,
    creditor_id text NOT NULL REFERENCES creditors (id),
    name text NOT NULL,
    audience text NOT NULL CHECK (audience IN ('debtor', 'third_party')),
    created_at timestamptz NOT NULL,
    retired_at timestamptz,
    CONSTRAINT templates_name_per_creditor UNIQUE (creditor_id, name)
);

CREATE TABLE template_versions (
    template_id text NOT NULL REFERENCES templates (id),
    version integer NOT NULL CHECK (version >= 1),
    body text NOT NULL,
    variables json NOT NULL,
    status text NOT NULL
        CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'retired')),
    author_key_id text NOT NULL REFERENCES api_keys (id),
    created_at timestamptz NOT NULL,
    lint json NOT NULL,
    findings json NOT NULL,
    wordlist_version text NOT NULL,
    CONSTRAINT template_versions_pkey PRIMARY KEY (template_id, version)
);

CREATE TABLE reviews (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template_id text NOT NULL,
    version integer NOT NULL,
    reviewer_key_id text NOT NULL REFERENCES api_keys (id),
    decision text NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason text NOT NULL,
    at timestamptz NOT NULL,
    wordlist_version text NOT NULL,
    FOREIGN KEY (template_id, version) REFERENCES template_versions (template_id, version)
);
CREATE INDEX reviews_by_template ON reviews (template_id, version);

CREATE FUNCTION reviews_four_eyes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reviewer_key_id = (
        SELECT author_key_id FROM template_versions
        WHERE template_id = NEW.template_id AND version = NEW.version
    ) THEN
        RAISE EXCEPTION '{FOUR_EYES_MESSAGE}' USING ERRCODE = '{FOUR_EYES_STATE}';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reviews_four_eyes BEFORE INSERT ON reviews
    FOR EACH ROW EXECUTE FUNCTION reviews_four_eyes();

CREATE TABLE messages (
    id text PRIMARY KEY,
    creditor_id text NOT NULL REFERENCES creditors (id),
    template_id text NOT NULL,
    template_version integer NOT NULL,
    phone text NOT NULL,
    debtor_id text NOT NULL,
    role text NOT NULL CHECK (role IN ('debtor', 'third_party')),
    timezone text,
    tags text[] NOT NULL,
    text text NOT NULL,
    segments integer NOT NULL CHECK (segments >= 1),
    encoding text NOT NULL,
    status text NOT NULL,
    send_at timestamptz,
    created_at timestamptz NOT NULL,
    wordlist_version text NOT NULL,
    verdict text NOT NULL CHECK (verdict IN ('pass', 'review', 'block')),
    findings json NOT NULL,
    FOREIGN KEY (template_id, template_version)
        REFERENCES template_versions (template_id, version)
);
CREATE INDEX messages_by_creditor_status ON messages (creditor_id, status, created_at);

CREATE TABLE message_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id text NOT NULL REFERENCES messages (id),
    status text NOT NULL,
    at timestamptz NOT NULL,
    detail text NOT NULL
);
CREATE INDEX message_events_by_message ON message_events (message_id, id);

CREATE TABLE outbox (
    message_id text PRIMARY KEY REFERENCES messages (id),
    due_at timestamptz NOT NULL,
    attempts integer NOT NULL CHECK (attempts >= 0),
    lease_owner text,
    lease_until timestamptz
);
CREATE INDEX outbox_by_due ON outbox (due_at);

CREATE TABLE contacts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    creditor_id text NOT NULL REFERENCES creditors (id),
    debtor_id text NOT NULL,
    phone text NOT NULL,
    role text NOT NULL CHECK (role IN ('debtor', 'third_party')),
    channel text NOT NULL CHECK (channel IN ('sms', 'call')),
    at timestamptz NOT NULL,
    message_id text REFERENCES messages (id)
);
CREATE INDEX contacts_by_debtor ON contacts (creditor_id, debtor_id, at);
CREATE INDEX contacts_by_phone ON contacts (creditor_id, phone, at);
CREATE INDEX contacts_by_message ON contacts (message_id) WHERE message_id IS NOT NULL;

CREATE TABLE opt_outs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    creditor_id text NOT NULL REFERENCES creditors (id),
    phone text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('opt_out', 'third_party_refusal', 'do_not_contact')),
    source text NOT NULL CHECK (source IN ('api', 'mo', 'ui')),
    reason text NOT NULL,
    at timestamptz NOT NULL,
    removed_at timestamptz
);
CREATE UNIQUE INDEX opt_outs_active ON opt_outs (creditor_id, phone, kind)
    WHERE removed_at IS NULL;

CREATE TABLE idempotency_keys (
    creditor_id text NOT NULL REFERENCES creditors (id),
    key text NOT NULL,
    request_hash text NOT NULL,
    response_status integer NOT NULL,
    response_body json NOT NULL,
    at timestamptz NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (creditor_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (at);

CREATE TABLE audit_log (
    seq bigint PRIMARY KEY CHECK (seq >= 1),
    at timestamptz NOT NULL,
    creditor_id text,
    actor text NOT NULL,
    action text NOT NULL,
    subject text NOT NULL,
    detail json NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL UNIQUE
);
CREATE INDEX audit_log_by_creditor_time ON audit_log (creditor_id, at);
CREATE INDEX audit_log_by_subject ON audit_log (subject);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = '{APPEND_ONLY_STATE}';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""

# Step 2: the dispatcher's hand-overs to carriers (see SQLite's step 2).
_SEND_ATTEMPTS = """
CREATE TABLE message_attempts (
    message_id text NOT NULL REFERENCES messages (id),
    attempt integer NOT NULL CHECK (attempt >= 1),
    carrier text NOT NULL,
    client_reference text NOT NULL,
    started_at timestamptz NOT NULL,
    outcome text CHECK (outcome IN ('sent', 'retryable', 'permanent', 'unknown')),
    finished_at timestamptz,
    carrier_message_id text,
    error_code text NOT NULL,
    detail text NOT NULL,
    PRIMARY KEY (message_id, attempt)
);
CREATE INDEX message_attempts_by_carrier_id ON message_attempts (carrier, carrier_message_id)
    WHERE carrier_message_id IS NOT NULL;
"""

# Step 3: delivery receipts and inbound replies, deduplicated by a unique key
# (see SQLite's step 3), and messages by phone for matching replies.
_CALLBACKS = """
CREATE TABLE delivery_receipts (
    id text PRIMARY KEY,
    carrier text NOT NULL,
    state text NOT NULL CHECK (state IN ('accepted', 'delivered', 'failed')),
    received_at timestamptz NOT NULL,
    dedupe_key text NOT NULL UNIQUE,
    carrier_message_id text,
    client_reference text,
    message_id text REFERENCES messages (id),
    attempt integer,
    creditor_id text REFERENCES creditors (id),
    error_code text NOT NULL,
    description text NOT NULL,
    reported_at timestamptz
);
CREATE INDEX delivery_receipts_by_message ON delivery_receipts (message_id, received_at)
    WHERE message_id IS NOT NULL;
CREATE INDEX delivery_receipts_unmatched ON delivery_receipts (received_at)
    WHERE message_id IS NULL;

CREATE TABLE inbound_replies (
    id text PRIMARY KEY,
    carrier text NOT NULL,
    phone text NOT NULL,
    text text NOT NULL,
    received_at timestamptz NOT NULL,
    dedupe_key text NOT NULL UNIQUE,
    intents text[] NOT NULL,
    creditor_id text REFERENCES creditors (id),
    message_id text REFERENCES messages (id),
    carrier_message_id text,
    signature text NOT NULL,
    extension text NOT NULL
);
CREATE INDEX inbound_replies_by_creditor ON inbound_replies (creditor_id, received_at);
CREATE INDEX inbound_replies_by_phone ON inbound_replies (creditor_id, phone, received_at);

CREATE INDEX messages_by_phone ON messages (phone, created_at);
"""

# Step 4: status webhooks, one per creditor, a cursor over message_events (see
# SQLite's step 4). PostgreSQL also needs webhook_horizon, its one row saying
# up to which event id no event can still commit (see postgres.webhooks).
_WEBHOOKS = """
CREATE TABLE webhooks (
    creditor_id text PRIMARY KEY REFERENCES creditors (id),
    url text NOT NULL,
    configured_at timestamptz NOT NULL,
    last_event_id bigint NOT NULL CHECK (last_event_id >= 0),
    failures integer NOT NULL CHECK (failures >= 0),
    next_attempt_at timestamptz,
    last_error text NOT NULL,
    delivered_at timestamptz,
    lease_owner text,
    lease_until timestamptz
);

CREATE TABLE webhook_horizon (
    one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
    settled_event_id bigint NOT NULL,
    pending_event_id bigint NOT NULL,
    pending_xmax bigint NOT NULL
);
INSERT INTO webhook_horizon (settled_event_id, pending_event_id, pending_xmax) VALUES (0, 0, 0);
"""

# Step 5: when each API key was last used (see SQLite's step 5).
_KEY_USE = """
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
"""

# Step 6: the compliance UI's sessions (see SQLite's step 6).
_UI_SESSIONS = """
CREATE TABLE ui_sessions (
    id text PRIMARY KEY,
    key_id text NOT NULL REFERENCES api_keys (id),
    creditor_id text NOT NULL REFERENCES creditors (id),
    started_at timestamptz NOT NULL,
    ended_at timestamptz
);
CREATE INDEX ui_sessions_open_by_key ON ui_sessions (key_id) WHERE ended_at IS NULL;
CREATE INDEX ui_sessions_by_start ON ui_sessions (started_at);
"""

# Step 7: who stands behind each key (see SQLite's step 7): person, its
# normalised form, rotation chain and minter, backfilled from the audit log,
# and a trigger refusing a review by the author's chain or person.
_KEY_PEOPLE = f"""
ALTER TABLE api_keys ADD COLUMN person text;
ALTER TABLE api_keys ADD COLUMN person_key text;
ALTER TABLE api_keys ADD COLUMN chain_id text NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN minted_by text;

UPDATE api_keys SET minted_by = (
    SELECT audit_log.actor FROM audit_log
    WHERE audit_log.action = 'key.created' AND audit_log.subject = api_keys.id
        AND audit_log.actor IN (SELECT id FROM api_keys)
    ORDER BY audit_log.seq LIMIT 1
);

WITH RECURSIVE rotated (id, parent) AS (
    SELECT subject, detail ->> 'replaces' FROM audit_log
    WHERE action = 'key.created' AND detail ->> 'replaces' IS NOT NULL
), chains (id, root) AS (
    SELECT id, id FROM api_keys WHERE id NOT IN (SELECT id FROM rotated)
    UNION
    SELECT rotated.id, chains.root FROM rotated JOIN chains ON rotated.parent = chains.id
)
UPDATE api_keys SET chain_id = coalesce(
    (SELECT root FROM chains WHERE chains.id = api_keys.id), api_keys.id
);

CREATE INDEX api_keys_by_chain ON api_keys (chain_id);

CREATE FUNCTION reviews_four_eyes_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM template_versions
        JOIN api_keys AS author ON author.id = template_versions.author_key_id
        JOIN api_keys AS reviewer ON reviewer.id = NEW.reviewer_key_id
        WHERE template_versions.template_id = NEW.template_id
            AND template_versions.version = NEW.version
            AND (author.chain_id = reviewer.chain_id OR author.person_key = reviewer.person_key)
    ) THEN
        RAISE EXCEPTION '{FOUR_EYES_MESSAGE}' USING ERRCODE = '{FOUR_EYES_STATE}';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reviews_four_eyes_people BEFORE INSERT ON reviews
    FOR EACH ROW EXECUTE FUNCTION reviews_four_eyes_people();
"""

# Step 8: the audit chain's verification checkpoint (see SQLite's step of that name).
_AUDIT_CHECKPOINTS = """
CREATE TABLE audit_checkpoints (
    chain text PRIMARY KEY,
    seq bigint NOT NULL CHECK (seq >= 0),
    hash text NOT NULL,
    verified_at timestamptz NOT NULL,
    checked bigint NOT NULL CHECK (checked >= 0),
    full_run boolean NOT NULL,
    bad_seq bigint,
    fault text
);
"""

_DETACHED_PHONES = """
CREATE TABLE detached_phones (
    creditor_id text NOT NULL REFERENCES creditors (id),
    debtor_id text NOT NULL,
    phone text NOT NULL,
    at timestamptz NOT NULL,
    reply_id text NOT NULL DEFAULT '',
    PRIMARY KEY (creditor_id, debtor_id, phone)
);
"""

# Stop confirmations (issue #14): a creditor's one confirmation text (an
# operator-made template version; no row: off), and the one confirmation
# message per opt-out, keyed by the opt-out's instant so a repeated stop or a
# replayed MO claims nothing new. ``message_id`` is written before its message
# row in the same transaction (the claim comes first), so it has no foreign key.
_STOP_CONFIRMATIONS = """
CREATE TABLE stop_confirmation_texts (
    creditor_id text PRIMARY KEY REFERENCES creditors (id),
    template_id text NOT NULL,
    template_version integer NOT NULL,
    set_at timestamptz NOT NULL,
    FOREIGN KEY (template_id, template_version)
        REFERENCES template_versions (template_id, version)
);

CREATE TABLE stop_confirmations (
    creditor_id text NOT NULL REFERENCES creditors (id),
    phone text NOT NULL,
    opted_out_at timestamptz NOT NULL,
    reply_id text NOT NULL,
    message_id text NOT NULL UNIQUE,
    at timestamptz NOT NULL,
    PRIMARY KEY (creditor_id, phone, opted_out_at)
);
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
CONVERSIONS: dict[int, Callable[[Connection, MigrationOptions], Awaitable[None]]] = {
    11: convert_chain,
}

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


async def apply_migrations(
    connection: Connection,
    migrations: Sequence[Migration] = MIGRATIONS,
    options: MigrationOptions = MigrationOptions(),  # noqa: B008 (frozen, never changed)
) -> int:
    """Apply the steps of ``migrations`` not applied yet, atomically; the resulting version.

    Raises ``SchemaTooNew`` if the database knows a version ``migrations``
    lacks, ``BrokenAuditChain`` if step 11 finds the old chain broken, and
    asyncpg's errors otherwise (the store translates them).
    """
    check_order(migrations)
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await connection.execute(_CREATE_LEDGER)
        rows = await connection.fetch("SELECT version FROM schema_migrations")
        for step in pending(migrations, {row["version"] for row in rows}):
            await connection.execute(step.sql)
            conversion = CONVERSIONS.get(step.version) if step in MIGRATIONS else None
            if conversion is not None:
                await conversion(connection, options)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                step.version,
                step.name,
            )
    return latest(migrations)
