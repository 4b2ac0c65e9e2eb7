"""Evidence packs: every audited fact about one debtor, phone or message, each provable alone.

Pure (``json``, ``base64``, ``hashlib`` and the audit tree's hashing). A pack
holds one signed tree head, the audit public key, and facts: each is an audit
leaf's exact bytes, its position in the tree and its inclusion proof against
that head. Anyone with a SHA-256 and an Ed25519 tool can check it offline:

- ``pack``: the values and the ``smsgate-evidence/1`` JSON form (``to_json``,
  ``from_json``); an unproven ``context`` (rendered text, the recipient's zone)
  travels beside each leaf, never inside what is proven;
- ``links``: why each fact is about the pack's subject, from the leaves alone;
- ``checks``: verification (head signature via a callable, leaf hashes,
  inclusion proofs, creditor and subject), stopping at the first bad fact.

A pack proves that what it holds was in the log at the head's size; it
cannot prove that nothing was left out (see the README, "Evidence packs").
"""

from smsgate.core.evidence.checks import PackFault, verify_pack
from smsgate.core.evidence.links import link_of
from smsgate.core.evidence.pack import (
    FORMAT,
    EvidencePack,
    Fact,
    PackMalformed,
    PendingLeaf,
    Subject,
    SubjectKind,
    from_json,
    to_json,
)

__all__ = [
    "FORMAT",
    "EvidencePack",
    "Fact",
    "PackFault",
    "PackMalformed",
    "PendingLeaf",
    "Subject",
    "SubjectKind",
    "from_json",
    "link_of",
    "to_json",
    "verify_pack",
]
