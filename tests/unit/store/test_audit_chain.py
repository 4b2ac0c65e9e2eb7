"""Leaves and the old hash chain, without a database: canonical bytes, hashes, the chain walk."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from smsgate.store import AuditEntry, AuditEvent, leaf_bytes, leaf_hash_of
from smsgate.store.audit import as_stored
from smsgate.store.audit_chain import GENESIS_HASH, ChainFault, entry_hash, verify_chain

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


def chained(event: AuditEvent, seq: int, prev_hash: str) -> AuditEntry:
    """The entry the chain (before the tree) stored for ``event``."""
    chain_hash = entry_hash(event, seq, prev_hash)
    return AuditEntry(seq, event.at, event.creditor_id, event.actor, event.action,
                      event.subject, event.detail, "", prev_hash=prev_hash,
                      chain_hash=chain_hash)  # fmt: skip


def chain(length: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for seq in range(1, length + 1):
        prev = entries[-1].chain_hash or "" if entries else GENESIS_HASH
        event = AuditEvent(T0 + timedelta(seconds=seq), "acme", "key_a", "x.done", f"s{seq}")
        entries.append(chained(event, seq, prev))
    return entries


class TestLeaf:
    """The leaf bytes are a fixed canonical JSON of the fields and the leaf version."""

    def test_known_value(self) -> None:
        # Pinned: changing the canonical form would invalidate every stored leaf.
        event = AuditEvent(T0, "acme", "key_a", "template.created", "tpl_1", {"b": 1, "a": "好"})
        canonical = (
            '{"action":"template.created","actor":"key_a","at":"2024-05-01T02:00:00.000000Z",'
            '"creditor":"acme","detail":{"a":"好","b":1},"subject":"tpl_1","v":1}'
        )
        assert leaf_bytes(event) == canonical.encode("utf-8")
        expected = hashlib.sha256(b"\x00" + canonical.encode("utf-8")).hexdigest()
        assert leaf_hash_of(event) == expected

    def test_same_instant_other_offset(self) -> None:
        event = AuditEvent(T0, "acme", "key_a", "a", "s", {"a": 1, "b": 2})
        shifted = replace(
            event, at=T0.astimezone(timezone(timedelta(hours=8))), detail={"b": 2, "a": 1}
        )
        assert leaf_hash_of(event) == leaf_hash_of(shifted)

    def test_every_field_counts(self) -> None:
        event = AuditEvent(T0, "acme", "key_a", "a", "s", {"a": 1})
        variants = [
            leaf_hash_of(replace(event, at=T0 + timedelta(microseconds=1))),
            leaf_hash_of(replace(event, creditor_id=None)),
            leaf_hash_of(replace(event, actor="key_b")),
            leaf_hash_of(replace(event, action="b")),
            leaf_hash_of(replace(event, subject="t")),
            leaf_hash_of(replace(event, detail={"a": 2})),
        ]
        assert leaf_hash_of(event) not in variants
        assert len(set(variants)) == len(variants)

    def test_unknown_version(self) -> None:
        with pytest.raises(ValueError, match="leaf version 2"):
            leaf_bytes(AuditEvent(T0, None, "a", "b", "c"), 2)

    def test_detail_normalised_as_json(self) -> None:
        stored = as_stored(AuditEvent(T0, None, "a", "b", "c", {"ids": ("x", "y"), 1: "n"}))
        assert stored.detail == {"ids": ["x", "y"], "1": "n"}


class TestOldChain:
    """The old chain's hash and walk, kept to verify it once at migration."""

    def test_known_value(self) -> None:
        # The form every chain before the tree was written in.
        event = AuditEvent(T0, "acme", "key_a", "template.created", "tpl_1", {"b": 1, "a": "好"})
        canonical = (
            '{"action":"template.created","actor":"key_a","at":"2024-05-01T02:00:00.000000Z",'
            '"creditor":"acme","detail":{"a":"好","b":1},"prev_hash":"' + GENESIS_HASH + '",'
            '"seq":1,"subject":"tpl_1"}'
        )
        expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        assert entry_hash(event, 1, GENESIS_HASH) == expected

    def test_intact(self) -> None:
        result = verify_chain(chain(5))
        assert (result.ok, result.checked) == (True, 5)

    def test_edited_entry(self) -> None:
        entries = chain(5)
        entries[2] = replace(entries[2], actor="someone else")
        result = verify_chain(entries)
        assert (result.ok, result.bad_seq, result.fault) == (False, 3, ChainFault.HASH_MISMATCH)

    def test_rehashed_entry_breaks_the_next_link(self) -> None:
        entries = chain(5)
        forged = AuditEvent(entries[2].at, "acme", "key_z", "x.done", "s3")
        entries[2] = chained(forged, 3, entries[1].chain_hash or "")
        result = verify_chain(entries)
        assert (result.bad_seq, result.fault) == (4, ChainFault.BROKEN_LINK)

    def test_missing_entry(self) -> None:
        entries = chain(5)
        del entries[1]
        result = verify_chain(entries)
        assert (result.bad_seq, result.fault) == (3, ChainFault.SEQ_GAP)

    def test_first_entry_must_follow_genesis(self) -> None:
        event = AuditEvent(T0, "acme", "a", "b", "c")
        result = verify_chain([chained(event, 1, "1" * 64)])
        assert (result.bad_seq, result.fault) == (1, ChainFault.BROKEN_LINK)

    def test_entry_without_a_chain(self) -> None:
        entry = replace(chain(1)[0], prev_hash=None)
        assert verify_chain([entry]).fault == ChainFault.HASH_MISMATCH
