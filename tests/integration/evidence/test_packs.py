"""Evidence packs from a real store (SQLite and PostgreSQL): complete for the debtor, proven,
verified offline by ``smsgate evidence verify``, and refused once tampered with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smsgate.audit_keys import AuditSigner
from smsgate.cli import main
from smsgate.core.evidence import EvidencePack, Subject, SubjectKind, to_json, verify_pack
from smsgate.service.evidence import export_pack
from smsgate.store import Store, utc_now

from ..audit_support import SIGNER
from ..dispatch.dispatch_support import PHONE
from .evidence_support import BETA_PHONE, OTHER_PHONE, history

DEBTOR = Subject("acme", SubjectKind.DEBTOR, "D-1001")
KEY = SIGNER.verifier.public_key


async def export(store: Store, subject: Subject = DEBTOR) -> EvidencePack:
    return await export_pack(store, subject, public_key=KEY, signer=SIGNER, clock=utc_now)


def actions(pack: EvidencePack) -> list[str]:
    return [fact.event()["action"] for fact in pack.facts]


def written(tmp_path: Path, pack: EvidencePack | dict[str, Any]) -> Path:
    document = to_json(pack) if isinstance(pack, EvidencePack) else pack
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


class TestADebtorsPack:
    """Every audited fact about the debtor is in, each with a proof that verifies."""

    async def test_holds_each_fact_with_a_valid_proof(self, store: Store) -> None:
        made = await history(store)
        pack = await export(store)
        assert set(actions(pack)) >= {
            "message.accepted", "message.refused", "reply.received", "opt_out.added",
            "delivery.reported",
        }  # fmt: skip
        assert pack.pending == ()
        assert verify_pack(pack, SIGNER.verifier.verifies) is None
        delivered = next(f for f in pack.facts if f.event()["action"] == "delivery.reported")
        assert delivered.event()["subject"] == made.message.id
        assert delivered.context["message"]["text"] == made.message.text
        assert delivered.context["local_time"].endswith("+08:00")

    async def test_no_other_debtors_or_creditors_data_in_the_file(
        self, store: Store, tmp_path: Path
    ) -> None:
        made = await history(store)
        text = written(tmp_path, await export(store)).read_text(encoding="utf-8")
        for foreign in (made.other_debtor.id, made.other_creditor.id, "D-2002", '"beta"',
                        OTHER_PHONE, BETA_PHONE, "+86139****9000", "+86137****7000"):  # fmt: skip
            assert foreign not in text

    async def test_another_creditor_gets_an_empty_valid_pack(self, store: Store) -> None:
        made = await history(store)
        pack = await export(store, Subject("beta", SubjectKind.MESSAGE, made.message.id))
        assert pack.facts == ()
        assert verify_pack(pack, SIGNER.verifier.verifies) is None

    async def test_a_phone_and_a_message_pack(self, store: Store) -> None:
        made = await history(store)
        by_phone = await export(store, Subject("acme", SubjectKind.PHONE, PHONE))
        by_message = await export(store, Subject("acme", SubjectKind.MESSAGE, made.message.id))
        for pack in (by_phone, by_message):
            assert verify_pack(pack, SIGNER.verifier.verifies) is None
            assert {"reply.received", "opt_out.added", "delivery.reported"} <= set(actions(pack))
        assert "message.refused" not in actions(by_message)


class TestVerifyCommand:
    """``smsgate evidence verify`` passes the exported file and refuses every tampering."""

    async def test_passes(
        self, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        await history(store)
        path = written(tmp_path, await export(store))
        assert main(["evidence", "verify", str(path), "--public-key", KEY]) == 0
        assert "evidence pack verified" in capsys.readouterr().out

    @pytest.mark.parametrize(
        "tampering",
        [
            pytest.param("byte", id="one-byte-of-a-fact"),
            pytest.param("proof", id="swapped-proof"),
            pytest.param("head", id="changed-head"),
            pytest.param("subject", id="other-subject"),
        ],
    )
    async def test_refuses(
        self, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], tampering: str
    ) -> None:
        await history(store)
        document = to_json(await export(store))
        facts = document["facts"]
        if tampering == "byte":
            facts[1]["leaf"] = facts[1]["leaf"].replace("D-1001", "D-1002", 1)
        elif tampering == "proof":
            facts[1]["audit_path"], facts[2]["audit_path"] = (
                facts[2]["audit_path"],
                facts[1]["audit_path"],
            )
        elif tampering == "head":
            document["tree_head"]["size"] += 1
        else:
            document["subject"]["value"] = "D-2002"
        path = written(tmp_path, document)
        assert main(["evidence", "verify", str(path), "--public-key", KEY]) == 1
        error = capsys.readouterr().err
        expected = "tree head" if tampering == "head" else "fact "
        assert f"REFUSED: {expected}" in error

    async def test_a_wrong_public_key(
        self, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        await history(store)
        path = written(tmp_path, await export(store))
        other = AuditSigner.generate()[0].verifier.public_key
        assert main(["evidence", "verify", str(path), "--public-key", other]) == 1
        assert "REFUSED: tree head" in capsys.readouterr().err

    def test_not_a_pack(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = tmp_path / "x.json"
        path.write_text('{"format": "other"}', encoding="utf-8")
        assert main(["evidence", "verify", str(path)]) == 2
        assert "format" in capsys.readouterr().err
