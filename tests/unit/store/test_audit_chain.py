"""The hash chain, without a database: canonical hashes and the verification walk."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from smsgate.store import GENESIS_HASH, AuditEntry, AuditEvent, ChainFault, verify_chain
from smsgate.store.audit import chain_entry, entry_hash

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


def chain(length: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for seq in range(1, length + 1):
        prev = entries[-1].hash if entries else GENESIS_HASH
        event = AuditEvent(T0 + timedelta(seconds=seq), "acme", "key_a", "x.done", f"s{seq}")
        entries.append(chain_entry(event, seq, prev))
    return entries


class TestEntryHash:
    """The hash covers every field and ignores how the same facts were written."""

    def test_known_value(self) -> None:
        # Pinned: changing the canonical form would invalidate every stored chain.
        event = AuditEvent(T0, "acme", "key_a", "template.created", "tpl_1", {"b": 1, "a": "好"})
        canonical = (
            '{"action":"template.created","actor":"key_a","at":"2024-05-01T02:00:00.000000Z",'
            '"creditor":"acme","detail":{"a":"好","b":1},"prev_hash":"' + GENESIS_HASH + '",'
            '"seq":1,"subject":"tpl_1"}'
        )
        expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        assert entry_hash(event, 1, GENESIS_HASH) == expected

    def test_same_instant_other_offset(self) -> None:
        event = AuditEvent(T0, "acme", "key_a", "a", "s", {"a": 1, "b": 2})
        shifted = replace(
            event, at=T0.astimezone(timezone(timedelta(hours=8))), detail={"b": 2, "a": 1}
        )
        assert entry_hash(event, 1, GENESIS_HASH) == entry_hash(shifted, 1, GENESIS_HASH)

    def test_every_field_counts(self) -> None:
        event = AuditEvent(T0, "acme", "key_a", "a", "s", {"a": 1})
        base = entry_hash(event, 1, GENESIS_HASH)
        variants = [
            entry_hash(event, 2, GENESIS_HASH),
            entry_hash(event, 1, "1" * 64),
            entry_hash(replace(event, at=T0 + timedelta(microseconds=1)), 1, GENESIS_HASH),
            entry_hash(replace(event, creditor_id=None), 1, GENESIS_HASH),
            entry_hash(replace(event, actor="key_b"), 1, GENESIS_HASH),
            entry_hash(replace(event, action="b"), 1, GENESIS_HASH),
            entry_hash(replace(event, subject="t"), 1, GENESIS_HASH),
            entry_hash(replace(event, detail={"a": 2}), 1, GENESIS_HASH),
        ]
        assert base not in variants
        assert len(set(variants)) == len(variants)

    def test_detail_normalised_as_json(self) -> None:
        entry = chain_entry(
            AuditEvent(T0, None, "a", "b", "c", {"ids": ("x", "y")}), 1, GENESIS_HASH
        )
        assert entry.detail == {"ids": ["x", "y"]}


class TestVerifyChain:
    """The walk reports the first entry that fails, and why."""

    def test_intact(self) -> None:
        result = verify_chain(chain(5))
        assert result.ok
        assert result.checked == 5

    def test_edited_entry(self) -> None:
        entries = chain(5)
        entries[2] = replace(entries[2], actor="someone else")
        result = verify_chain(entries)
        assert (result.ok, result.bad_seq, result.fault) == (False, 3, ChainFault.HASH_MISMATCH)

    def test_rehashed_entry_breaks_the_next_link(self) -> None:
        entries = chain(5)
        forged = AuditEvent(entries[2].at, "acme", "key_z", "x.done", "s3")
        entries[2] = chain_entry(forged, 3, entries[1].hash)
        result = verify_chain(entries)
        assert (result.bad_seq, result.fault) == (4, ChainFault.BROKEN_LINK)

    def test_missing_entry(self) -> None:
        entries = chain(5)
        del entries[1]
        assert (verify_chain(entries).bad_seq, verify_chain(entries).fault) == (
            3,
            ChainFault.SEQ_GAP,
        )

    def test_first_entry_must_follow_genesis(self) -> None:
        event = AuditEvent(T0, "acme", "a", "b", "c")
        result = verify_chain([chain_entry(event, 1, "1" * 64)])
        assert (result.bad_seq, result.fault) == (1, ChainFault.BROKEN_LINK)
