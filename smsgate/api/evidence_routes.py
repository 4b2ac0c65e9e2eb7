"""``GET /v1/evidence``: the evidence pack of one of the creditor's debtors, phones or messages.

The handler parses the subject (exactly one of ``debtor_id``, ``phone``,
``message_id``; the debtor id and phone in the canonical spellings a send
stores), calls ``smsgate.service.evidence.export_pack`` with the caller's
creditor, and answers the ``smsgate-evidence/1`` JSON (``format=json``, the
default) or its readable HTML (``format=html``), both as a download. The
compliance UI's ``GET /ui/evidence`` answers through the same functions
(:func:`requested_subject`, :func:`pack_download`), so the two cannot differ.

Tenant isolation is the service's: the pack is always of the key's own
creditor, and another creditor's subject gives a valid pack without facts,
the answer an unknown one gets, so the endpoint never says what another
creditor holds. The file name carries no plaintext phone (masked) and only
filename-safe characters. The instance integrates pending audit leaves
first with its signing key (as ``smsgate evidence export`` does), so a pack
holds what was audited up to the request; serialising and rendering run
on a worker thread, like the service's hashing, to keep the loop free.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping

from aiohttp import web
from multidict import MultiMapping

from smsgate.api.bodies import debtor_reference
from smsgate.api.evidence_models import EvidencePackBody
from smsgate.api.operations import Call, Operation, QueryParameter, Response
from smsgate.api.problems import Problem, ProblemCode, invalid_request
from smsgate.bootstrap import Gateway
from smsgate.core.evidence import EvidencePack, Subject, SubjectKind, to_json
from smsgate.logs import mask_phone
from smsgate.service.evidence import EvidenceUnavailable, export_pack
from smsgate.service.phones import parse_e164
from smsgate.store import Role, format_instant

#: Query parameter -> the kind of subject it names.
SUBJECT_PARAMETERS: Mapping[str, SubjectKind] = {
    "debtor_id": SubjectKind.DEBTOR,
    "phone": SubjectKind.PHONE,
    "message_id": SubjectKind.MESSAGE,
}
FORMATS = ("json", "html")
MAX_MESSAGE_ID_LENGTH = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTENT_TYPES = {"json": "application/json", "html": "text/html"}


def requested_subject(creditor_id: str, query: MultiMapping[str]) -> Subject:
    """The subject the query names for ``creditor_id``.

    Raises a 400 ``invalid_request`` :class:`Problem` unless exactly one of
    ``debtor_id``, ``phone`` and ``message_id`` is given once, and the
    phone's own ``invalid_request`` (naming ``phone``) for a malformed number.
    """
    given = [name for name in SUBJECT_PARAMETERS for _ in query.getall(name, [])]
    if len(given) != 1:
        names = ", ".join(SUBJECT_PARAMETERS)
        got = ", ".join(given) or "none"
        raise invalid_request(f"give exactly one of {names} (got: {got})")
    [name] = given
    raw = query[name]
    kind = SUBJECT_PARAMETERS[name]
    if kind is SubjectKind.PHONE:
        return Subject(creditor_id, kind, parse_e164(raw, name))
    if kind is SubjectKind.DEBTOR:
        return Subject(creditor_id, kind, debtor_reference(raw, name))
    if not 0 < len(raw) <= MAX_MESSAGE_ID_LENGTH:
        raise invalid_request(f"{name} must be 1 to {MAX_MESSAGE_ID_LENGTH} characters", field=name)
    return Subject(creditor_id, kind, raw)


def requested_format(query: Mapping[str, str]) -> str:
    """``json`` (the default) or ``html``; a 400 ``invalid_request`` naming ``format`` else."""
    chosen = query.get("format", "json")
    if chosen not in FORMATS:
        raise invalid_request(f"format must be one of: {', '.join(FORMATS)}", field="format")
    return chosen


async def pack_download(
    gateway: Gateway, subject: Subject, chosen: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """The pack of ``subject`` as a ``chosen`` (json or html) attachment.

    Raises a 503 ``evidence_unavailable`` :class:`Problem` when this instance
    has no audit key, the tree has no signed head yet, or a stored entry no
    longer gives its leaf hash.
    """
    signer = gateway.settings.audit_signer
    if signer is None:
        raise _unavailable("this instance has no audit key (SMSGATE_AUDIT_SIGNING_KEY)")
    try:
        pack = await export_pack(
            gateway.store, subject, public_key=signer.verifier.public_key, signer=signer,
            clock=gateway.clock,
        )  # fmt: skip
    except EvidenceUnavailable as error:
        raise _unavailable(str(error)) from None
    text = await asyncio.to_thread(_document, pack, chosen)
    name = download_name(subject, format_instant(gateway.clock())[:10], chosen)
    return web.Response(
        text=text,
        content_type=_CONTENT_TYPES[chosen],
        charset="utf-8",
        headers={**(headers or {}), "Content-Disposition": f'attachment; filename="{name}"'},
    )


def _document(pack: EvidencePack, chosen: str) -> str:
    if chosen == "html":
        from smsgate.web.evidence_page import render_pack  # the web shell renders it

        return render_pack(pack)
    return json.dumps(to_json(pack), ensure_ascii=False)


def download_name(subject: Subject, day: str, extension: str) -> str:
    """``evidence-<kind>-<value>-<day>.<extension>``: the value masked, filename-safe."""
    value = mask_phone(subject.value).replace("*", "x")
    safe = _UNSAFE.sub("_", value).strip("._") or "subject"
    return f"evidence-{subject.kind.value}-{safe[:64]}-{day}.{extension}"


def _unavailable(detail: str) -> Problem:
    return Problem(503, ProblemCode.EVIDENCE_UNAVAILABLE, f"no evidence pack: {detail}")


async def get_evidence(call: Call) -> web.StreamResponse:
    """The evidence pack of the query's subject, of the caller's creditor."""
    subject = requested_subject(call.creditor_id, call.request.query)
    return await pack_download(call.gateway, subject, requested_format(call.request.query))


_READERS = frozenset({Role.REVIEWER, Role.ADMIN})
_SUBJECT_NOTE = "Give exactly one of debtor_id, phone and message_id."
_QUERY = {
    "debtor_id": QueryParameter({"type": "string"}, "The debtor's id. " + _SUBJECT_NOTE),
    "phone": QueryParameter({"type": "string"}, "E.164 (send '+' as %2B). " + _SUBJECT_NOTE),
    "message_id": QueryParameter({"type": "string"}, "A message id (msg_…). " + _SUBJECT_NOTE),
    "format": QueryParameter(
        {"type": "string", "enum": list(FORMATS), "default": "json"},
        "json: the verifiable smsgate-evidence/1 document; html: its rendering for reading",
    ),
}
_DESCRIPTION = (
    "Every audited fact about one debtor, phone or message, each with its inclusion proof "
    "against one signed tree head, plus the audit public key; verify it offline with "
    "`smsgate evidence verify` or the README's algorithm. The pack is always of the key's "
    "own creditor: another creditor's debtor, phone or message gives a valid pack with no "
    "facts, the same answer as an unknown one. Served as an attachment."
)

OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        "/v1/evidence",
        "getEvidence",
        "Export the evidence pack of a debtor, phone or message",
        "evidence",
        get_evidence,
        roles=_READERS,
        query=_QUERY,
        description=_DESCRIPTION,
        responses={
            200: Response(
                "The pack (JSON), or its HTML rendering with format=html",
                EvidencePackBody,
                media={"text/html": {"type": "string"}},
            ),
            400: Response("Not exactly one subject, a malformed phone or format", problem=True),
            503: Response(
                "No pack now: no audit key or signed head yet (evidence_unavailable)", problem=True
            ),
        },
    ),
]
