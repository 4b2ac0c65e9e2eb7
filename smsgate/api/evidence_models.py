"""The ``smsgate-evidence/1`` document as the API serves it, for the OpenAPI schema.

The answer itself is ``smsgate.core.evidence.to_json``'s document, written
by the core so that the API, the UI and ``smsgate evidence export`` hand out
the same bytes; these structs describe it field by field for clients (and
the schema test checks every served pack against them). ``context`` is not
proven: the rendered text and the recipient's zone travel beside the leaf.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

Hex = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]*$")]


class EvidenceSubjectBody(msgspec.Struct, kw_only=True):
    """Whose facts: the creditor (always the caller's) and the debtor, phone or message."""

    creditor: str
    kind: Annotated[str, msgspec.Meta(description="debtor, phone or message")]
    value: str


class TreeHeadBody(msgspec.Struct, kw_only=True):
    """The signed tree head every proof of the pack leads to."""

    size: int
    root: Hex
    timestamp_ms: int
    key_id: Hex
    signature: Annotated[str, msgspec.Meta(description="Ed25519, base64")]


class EvidenceFactBody(msgspec.Struct, kw_only=True):
    """One audit leaf (its exact canonical JSON), its position and RFC 9162 audit path."""

    leaf_index: int
    leaf: str
    audit_path: list[Hex]
    context: Annotated[
        dict[str, Any], msgspec.Meta(description="not proven: rendered text, zone, local time")
    ]


class PendingLeafBody(msgspec.Struct, kw_only=True):
    """An entry about the subject not yet in the signed tree: named, not proven."""

    seq: int
    action: str
    at: str


class EvidencePackBody(msgspec.Struct, kw_only=True):
    """An evidence pack (``format`` ``smsgate-evidence/1``); the README says how to verify it."""

    format: str
    subject: EvidenceSubjectBody
    generated_at: str
    tree_head: TreeHeadBody
    public_key: Annotated[str, msgspec.Meta(description="the audit public key, base64")]
    facts: list[EvidenceFactBody]
    pending: list[PendingLeafBody]
    completeness: str
