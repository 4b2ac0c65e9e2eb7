"""``smsgate evidence export`` and ``smsgate evidence verify``: evidence packs on the command line.

``export`` writes the pack of one creditor's debtor, phone or message
(``smsgate.service.evidence``) as ``smsgate-evidence/1`` JSON, or with
``--html`` its readable rendering. With the audit signing key in the
environment it integrates pending leaves first, as ``audit verify`` does;
without it, it waits a few seconds for a running sequencer. The public key
in the pack is the configured one (``SMSGATE_AUDIT_PUBLIC_KEY``, else derived
from the signing key).

``verify`` needs no database: it checks the file offline
(``smsgate.core.evidence.verify_pack``) with ``--public-key``, else
``SMSGATE_AUDIT_PUBLIC_KEY``, else the key in the pack. Only the first two
prove who signed: a pack's own key shows only that it is consistent, so the
command says so. Exit status 0 if it verifies, 1 naming the first bad fact,
2 for a file that is not a pack or a malformed key.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from smsgate.audit_keys import (
    SIGNING_KEY_VARIABLE,
    AuditKeyError,
    AuditSigner,
    AuditVerifier,
)
from smsgate.bootstrap import open_operator_store
from smsgate.commands.admin import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    audit_verifier,
    trusted_public_key,
)
from smsgate.core.evidence import PackMalformed, Subject, SubjectKind, from_json, to_json
from smsgate.core.evidence import verify_pack as verify_evidence
from smsgate.service.evidence import EvidenceUnavailable, export_pack
from smsgate.store import StoreError, utc_now


def register(subparsers: Any) -> None:
    evidence = subparsers.add_parser("evidence", help="evidence packs: export and verify")
    commands = evidence.add_subparsers(dest="action", required=True)
    export = commands.add_parser("export", help="write the evidence pack of a debtor/phone/message")
    export.add_argument("--creditor", required=True)
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--debtor-id")
    which.add_argument("--phone", help="E.164, e.g. +8613800138000")
    which.add_argument("--message", help="a message id (msg_…)")
    export.add_argument("--html", action="store_true", help="the readable HTML rendering")
    export.add_argument("-o", "--output", required=True, type=Path)
    export.set_defaults(handler=lambda args: asyncio.run(_export(args)))
    verify = commands.add_parser("verify", help="check an evidence pack offline")
    verify.add_argument("file", type=Path)
    verify.add_argument("--public-key", default=None, help="base64 of the audit public key")
    verify.set_defaults(handler=_verify)


def _subject(args: argparse.Namespace) -> Subject:
    if args.phone:
        return Subject(args.creditor, SubjectKind.PHONE, args.phone)
    if args.message:
        return Subject(args.creditor, SubjectKind.MESSAGE, args.message)
    return Subject(args.creditor, SubjectKind.DEBTOR, args.debtor_id)


async def _export(args: argparse.Namespace) -> int:
    signing = os.environ.get(SIGNING_KEY_VARIABLE)
    try:
        verifier = audit_verifier(None)
        signer = AuditSigner.from_private_key(signing) if signing else None
    except AuditKeyError as error:
        print(f"smsgate: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        async with open_operator_store() as store:
            pack = await export_pack(
                store, _subject(args), public_key=verifier.public_key, signer=signer,
                clock=utc_now,
            )  # fmt: skip
    except (EvidenceUnavailable, StoreError) as error:
        print(f"smsgate: no evidence pack: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.html:  # the web package brings aiohttp: only when asked for (operator commands)
        from smsgate.web.evidence_page import render_pack

        text = render_pack(pack)
    else:
        text = json.dumps(to_json(pack), ensure_ascii=False)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(pack.facts)} facts, {len(pack.pending)} pending, to {args.output}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    try:
        pack = from_json(json.loads(args.file.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:  # PackMalformed and JSON errors are ValueErrors
        kind = "" if isinstance(error, PackMalformed) else f"{type(error).__name__}: "
        print(f"smsgate: {args.file}: {kind}{error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        verifier, trusted = _verifier(args.public_key, pack.public_key)
    except AuditKeyError as error:
        print(f"smsgate: {error}", file=sys.stderr)
        return EXIT_USAGE
    fault = verify_evidence(pack, verifier.verifies)
    if fault is not None:
        print(f"evidence pack REFUSED: {fault}", file=sys.stderr)
        return EXIT_FAILED
    print(f"evidence pack verified: {len(pack.facts)} facts about {pack.subject.kind} "
          f"{pack.subject.value} of {pack.subject.creditor_id}, tree size {pack.head.size}, "
          f"key id {verifier.key_id}")  # fmt: skip
    if not trusted:
        print("note: checked with the key inside the pack; pass --public-key (the key you got "
              "from the agency by another channel) to know who signed it")  # fmt: skip
    return EXIT_OK


def _verifier(given: str | None, packed: str) -> tuple[AuditVerifier, bool]:
    if (trusted := trusted_public_key(given)) is not None:
        return trusted, True
    return AuditVerifier.from_public_key(packed, "the pack's public_key"), False
