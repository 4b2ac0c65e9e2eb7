"""The draft of a message: an approved version rendered, signed, measured and scanned.

This is the send path's first phase, kept apart because it is pure work on a
read snapshot and must never run while the database's single writer is held
(``sending`` settles the draft in a write transaction afterwards). The values
are rendered with the version's own schema, the creditor's 【signature】 is
prepended, segments are counted, and the final signed text is scanned with
the recipient's audience, so a finding's span lands on what would be sent.
Every content refusal is a :class:`~smsgate.service.refusals.Refusal`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from smsgate import store
from smsgate.bootstrap import Gateway
from smsgate.core.policy import PolicyProfile, Recipient
from smsgate.core.scanner import ScanResult, Severity, Verdict
from smsgate.core.sms import (
    SmsMeasure,
    TooManySegments,
    check_segments,
    fake_signature_at,
    sign,
)
from smsgate.core.templates import (
    CompiledTemplate,
    RenderedTooLong,
    RenderRefused,
    VariableErrors,
    compile_template,
    parse_schema,
)
from smsgate.service.booking import creditor_profile
from smsgate.service.refusals import Refusal, RefusalCode
from smsgate.store import Template, TemplateVersion


@dataclass(frozen=True, slots=True)
class Draft:
    """A message that passed every content check; the contact decision is still to come."""

    template: Template
    version: TemplateVersion
    profile: PolicyProfile
    text: str
    measure: SmsMeasure
    scan: ScanResult


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compose(
    gateway: Gateway,
    creditor: store.Creditor,
    template: Template,
    version: TemplateVersion,
    recipient: Recipient,
    variables: dict[str, Any],
) -> Draft:
    """Render, sign, measure and scan; raises a :class:`Refusal` for content refusals."""
    _check_audience(template, recipient)
    text = sign(render(version, variables), creditor.signature)
    measured = _measure(text, gateway.settings.max_segments)
    own = (creditor.name, creditor.signature)
    scan = gateway.wordlists.current().scan(text, recipient.role, own_names=own)
    gateway.metrics.verdicts.labels(scan.verdict.value).inc()
    if scan.verdict is Verdict.BLOCK:
        raise blocked_refusal(scan)
    return Draft(template, version, creditor_profile(creditor), text, measured, scan)


def _check_audience(template: Template, recipient: Recipient) -> None:
    # Checked before rendering: a debtor template scanned for a third party
    # would be refused for disclosing the debt, which hides the real reason.
    if template.audience != recipient.role:
        raise Refusal(
            RefusalCode.AUDIENCE_MISMATCH,
            f"the template is for a {template.audience} and the recipient is a "
            f"{recipient.role}; a third party may only receive third_party templates",
        )


def render(version: TemplateVersion, variables: dict[str, Any]) -> str:
    """The version rendered with ``variables`` (unsigned); raises a :class:`Refusal`."""
    compiled = _compiled(version.body, canonical_json(version.variables))
    try:
        text = compiled.render(variables)
    except VariableErrors as error:
        errors = [each.to_dict() for each in error.errors]
        raise Refusal(RefusalCode.VARIABLE_INVALID, str(error), errors=errors) from None
    except RenderedTooLong as error:
        raise Refusal(RefusalCode.MESSAGE_TOO_LONG, str(error)) from None
    except RenderRefused as error:
        raise Refusal(RefusalCode.VARIABLE_INVALID, str(error), errors=[]) from None
    _refuse_fake_signature(text)
    return text


def _refuse_fake_signature(text: str) -> None:
    # Lint refuses such a body and values carry no brackets at all, so this
    # holds only a version approved before those rules, or a branch lint
    # could not see: the rendered text itself never shows a second sender.
    if fake_signature_at(text) is not None:
        raise Refusal(
            RefusalCode.VARIABLE_INVALID,
            "the rendered text opens or ends with a bracket pair that phones show as a"
            " sender's signature; only the creditor's own 【signature】 may do that",
            errors=[],
        )  # fmt: skip


@lru_cache(maxsize=512)
def _compiled(body: str, variables: str) -> CompiledTemplate:
    # Keyed by content, not id: a version's body and schema never change, and
    # compiling (Jinja parse + code generation) is the costliest step here.
    return compile_template(body, parse_schema(json.loads(variables)))


def _measure(text: str, max_segments: int) -> SmsMeasure:
    try:
        return check_segments(text, max_segments)
    except TooManySegments as error:
        raise Refusal(
            RefusalCode.MESSAGE_TOO_LONG,
            str(error),
            segments=error.segments,
            max_segments=error.max_segments,
        ) from None


def blocked_refusal(scan: ScanResult) -> Refusal:
    """The ``sensitive_term`` refusal of a text with ``block`` findings, with all findings."""
    blocked = (f for f in scan.findings if f.severity is Severity.BLOCK)
    terms = ", ".join(f"{f.matched_text} ({f.category})" for f in blocked)
    return Refusal(
        RefusalCode.SENSITIVE_TERM,
        f"the message contains terms that may not be sent: {terms}; "
        "finding spans index the final text, signature included",
        findings=[finding.to_dict() for finding in scan.findings],
        wordlist_version=scan.wordlist_version,
    )
