"""Schema step 11's Python half: the old hash chain verified once and turned into tree leaves.

Both databases run the same conversion over their old rows, read in ``seq``
order: each entry's chain link is checked (``smsgate.store.audit_chain``)
and its leaf hash computed. The rows keep ``leaf_index`` NULL: the
sequencer integrates unintegrated leaves in ``seq`` order, so its first
tree head covers the old entries first, each at ``seq - 1`` (the chain
guaranteed ``seq`` runs 1, 2, 3 …), with one code path writing positions,
nodes and heads. A broken chain stops the migration (``BrokenAuditChain``
naming the first bad ``seq``; the migration's transaction rolls back, so
nothing changed), unless the operator named exactly that ``seq`` as
accepted: then the entries are converted as they are (positions stay
contiguous even over a gap) and the migration appends one
``audit.chain_break_accepted`` entry saying so, which the tree then holds.
"""

from __future__ import annotations

from smsgate.store.audit import AuditAction, AuditEntry, AuditEvent, leaf_hash_of
from smsgate.store.audit_chain import GENESIS_HASH, ChainFault, link_fault
from smsgate.store.errors import BrokenAuditChain
from smsgate.store.instants import utc_now
from smsgate.store.sql.schema import MigrationOptions


class ChainConversion:
    """Checks old entries one by one, in ``seq`` order, and gives each its leaf hash."""

    def __init__(self, options: MigrationOptions) -> None:
        self._accepted = options.accept_broken_chain_at
        self._next_seq, self._prev_hash = 1, GENESIS_HASH
        self._broken: tuple[int, ChainFault] | None = None
        self.converted = 0

    def leaf_hash(self, entry: AuditEntry) -> str:
        """``entry``'s leaf hash; raises ``BrokenAuditChain`` at a break not accepted."""
        if self._broken is None:
            fault = link_fault(entry, self._next_seq, self._prev_hash)
            if fault is None:
                assert entry.chain_hash is not None  # link_fault checked it
                self._next_seq, self._prev_hash = entry.seq + 1, entry.chain_hash
            elif entry.seq == self._accepted:
                self._broken = (entry.seq, fault)
            else:
                raise BrokenAuditChain(entry.seq, fault.value)
        self.converted += 1
        return leaf_hash_of(entry.event)

    def acceptance(self) -> AuditEvent | None:
        """The entry recording an accepted break, if one was accepted."""
        if self._broken is None:
            return None
        seq, fault = self._broken
        detail = {"first_bad_seq": seq, "fault": fault.value, "entries": self.converted}
        return AuditEvent(
            utc_now(), None, "operator", AuditAction.CHAIN_BREAK_ACCEPTED, "audit_log", detail
        )
