"""Evidence packs in the pure core: assembled by hand from a tree of leaves, verified, tampered.

The tree, the leaves and the signature are built here from the audit tree's
primitives and ``AuditSigner``; each test breaks one thing and expects the
verifier to name the first bad fact.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from smsgate.audit_keys import AuditSigner
from smsgate.core.audit_tree import Frontier, Subtree, inclusion_proof, leaf_hash
from smsgate.core.evidence import (
    EvidencePack,
    Fact,
    PackMalformed,
    Subject,
    SubjectKind,
    from_json,
    to_json,
    verify_pack,
)
from smsgate.core.evidence.links import masked_fits

SIGNER = AuditSigner.generate()[0]
OTHER = AuditSigner.generate()[0]
SUBJECT = Subject("acme", SubjectKind.DEBTOR, "D-1")


def leaf(action: str, subject: str, creditor: str = "acme", **detail: Any) -> bytes:
    event = {"v": 1, "at": "2026-01-05T01:00:00.000000Z", "creditor": creditor,
             "actor": "key_1", "action": action, "subject": subject, "detail": detail}  # fmt: skip
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


LEAVES = [
    leaf("template.approved", "tpl_1", version=2, reason="ok"),
    leaf(
        "message.accepted",
        "msg_1",
        debtor_id="D-1",
        phone="+86138****8000",
        template_id="tpl_1",
        template_version=2,
    ),
    leaf(
        "message.accepted",
        "msg_2",
        debtor_id="D-2",
        phone="+86139****9000",
        template_id="tpl_1",
        template_version=2,
    ),
    leaf("delivery.reported", "msg_1", state="delivered", debtor_id="D-1"),
    leaf("reply.received", "msg_1", reply="rpl_1", intents=["stop"], debtor_id="D-1"),
    leaf("opt_out.added", "+8613800138000", kind="opt_out", reply="rpl_1"),
    leaf("message.refused", "debtor:D-1", debtor_id="D-1", code="quiet_hours"),
    leaf("message.accepted", "msg_9", "other", debtor_id="D-1", phone="+86138****8000"),
]


def tree(leaves: list[bytes]) -> tuple[dict[Subtree, bytes], Frontier]:
    frontier, nodes = Frontier(), {}
    for data in leaves:
        nodes.update(frontier.append(leaf_hash(data)))
    return nodes, frontier


def pack(
    indices: list[int], subject: Subject = SUBJECT, signer: AuditSigner = SIGNER
) -> EvidencePack:
    nodes, frontier = tree(LEAVES)
    head = signer.sign(frontier.size, frontier.root(), 1_767_574_800_000)
    facts = tuple(
        Fact(
            i,
            LEAVES[i],
            tuple(inclusion_proof(i, frontier.size, nodes)),
            {"timezone": "Asia/Shanghai"},
        )
        for i in indices
    )
    return EvidencePack(
        subject, "2026-01-05T02:00:00.000000Z", head, signer.verifier.public_key, facts
    )


DEBTOR_FACTS = [0, 1, 3, 4, 5, 6]


def check(evidence: EvidencePack) -> str | None:
    fault = verify_pack(evidence, SIGNER.verifier.verifies)
    return None if fault is None else str(fault)


class TestAValidPack:
    """A pack of the debtor's facts verifies, and survives its JSON form."""

    def test_every_fact_of_the_debtor_verifies(self) -> None:
        assert check(pack(DEBTOR_FACTS)) is None

    def test_the_json_form_round_trips(self) -> None:
        evidence = pack(DEBTOR_FACTS)
        document = json.loads(json.dumps(to_json(evidence), ensure_ascii=False))
        assert document["format"] == "smsgate-evidence/1"
        assert from_json(document) == evidence
        assert check(from_json(document)) is None

    def test_a_message_pack_holds_its_reply_and_opt_out(self) -> None:
        assert check(pack([1, 3, 4, 5, 0], Subject("acme", SubjectKind.MESSAGE, "msg_1"))) is None

    def test_a_phone_pack_links_by_the_masked_phone(self) -> None:
        assert (
            check(pack([5, 1, 3, 4], Subject("acme", SubjectKind.PHONE, "+8613800138000"))) is None
        )


class TestTamperedPacks:
    """Each kind of tampering is refused, naming the first bad fact."""

    def test_one_byte_of_a_leaf_changed(self) -> None:
        evidence = pack(DEBTOR_FACTS)
        bad = evidence.facts[2]
        changed = bad.leaf.replace(b"delivered", b"deliverex")
        facts = list(evidence.facts)
        facts[2] = replace(bad, leaf=changed)
        fault = check(replace(evidence, facts=tuple(facts)))
        assert str(fault).startswith("fact 2: the inclusion proof")

    def test_a_proof_swapped_with_another_facts(self) -> None:
        evidence = pack(DEBTOR_FACTS)
        facts = list(evidence.facts)
        facts[1] = replace(facts[1], audit_path=facts[2].audit_path)
        assert str(check(replace(evidence, facts=tuple(facts)))).startswith("fact 1:")

    def test_a_leaf_index_moved(self) -> None:
        evidence = pack(DEBTOR_FACTS)
        facts = list(evidence.facts)
        facts[3] = replace(facts[3], leaf_index=facts[3].leaf_index + 1)
        assert str(check(replace(evidence, facts=tuple(facts)))).startswith("fact 3:")

    @pytest.mark.parametrize(
        "change",
        [
            pytest.param({"size": 9}, id="size"),
            pytest.param({"root": bytes(32)}, id="root"),
            pytest.param({"timestamp_ms": 1}, id="timestamp"),
        ],
    )
    def test_the_head_changed(self, change: dict[str, Any]) -> None:
        evidence = pack(DEBTOR_FACTS)
        fault = check(replace(evidence, head=replace(evidence.head, **change)))
        assert str(fault).startswith("tree head:")

    def test_a_wrong_public_key(self) -> None:
        evidence = pack(DEBTOR_FACTS)
        assert verify_pack(evidence, OTHER.verifier.verifies) is not None

    def test_a_pack_signed_by_another_key_is_refused_with_ours(self) -> None:
        assert str(check(pack(DEBTOR_FACTS, signer=OTHER))).startswith("tree head:")


class TestTheSubject:
    """Only facts about the pack's subject, of its creditor, pass."""

    def test_another_debtors_message(self) -> None:
        fault = check(pack([1, 2]))
        assert str(fault).startswith("fact 1:")
        assert "not about" in str(fault)

    def test_another_creditors_leaf(self) -> None:
        fault = check(pack([1, 7]))
        assert str(fault).startswith("fact 1:")
        assert "creditor" in str(fault)

    def test_an_unlinked_opt_out_in_a_message_pack(self) -> None:
        fault = check(pack([5], Subject("acme", SubjectKind.MESSAGE, "msg_1")))
        assert str(fault).startswith("fact 0:")

    def test_a_template_approval_needs_a_message_that_used_it(self) -> None:
        assert str(check(pack([0]))).startswith("fact 0:")


class TestMalformedFiles:
    """A file that is not a pack is refused as such, not with a traceback."""

    @pytest.mark.parametrize(
        "document",
        [
            pytest.param([], id="not-an-object"),
            pytest.param({"format": "smsgate-evidence/2"}, id="other-format"),
            pytest.param({"format": "smsgate-evidence/1"}, id="no-fields"),
        ],
    )
    def test_refused(self, document: object) -> None:
        with pytest.raises(PackMalformed):
            from_json(document)

    def test_a_bad_hex_path(self) -> None:
        document = to_json(pack([1]))
        document["facts"][0]["audit_path"] = ["zz"]
        with pytest.raises(PackMalformed):
            from_json(document)


class TestMasks:
    """A masked phone fits the numbers it could hide and no others."""

    @pytest.mark.parametrize(
        ("masked", "phone", "fits"),
        [
            ("+86138****8000", "+8613800138000", True),
            ("+86138****8000", "+8613900138000", False),
            ("+86138****8000", "+8613800138001", False),
            ("138****8000", "1388000", False),
        ],
    )
    def test_fits(self, masked: str, phone: str, fits: bool) -> None:
        assert masked_fits(masked, phone) is fits
