"""What a scan reports: findings with spans into the original text, and a verdict.

These values cross every layer (API responses, held-message review, audit
entries, the scan CLI), so their field names follow the scan CLI contract in
DESIGN.md: ``term, category, severity, start, end, matched_text``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from smsgate.core.audience import Audience


class Severity(StrEnum):
    """How bad a term is: ``block`` refuses a message, ``review`` holds it for a person."""

    BLOCK = "block"
    REVIEW = "review"


class Verdict(StrEnum):
    """The outcome of a scan: the worst severity found, or ``pass``."""

    BLOCK = "block"
    REVIEW = "review"
    PASS = "pass"

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Verdict:
        """``block`` if any block finding, else ``review`` if any finding, else ``pass``."""
        verdict = cls.PASS
        for finding in findings:
            if finding.severity is Severity.BLOCK:
                return cls.BLOCK
            verdict = cls.REVIEW
        return verdict


class Evasion(StrEnum):
    """How a finding's spelling differs from its term as listed (the scan JSON's ``evasion``).

    One kind per finding, the most telling: a spelling kind (``pinyin``,
    ``initials``) wins over a character trick, and among character tricks
    ``leet`` > ``confusable`` > ``traditional`` > ``spaced`` > ``plain``.
    """

    PLAIN = "plain"
    SPACED = "spaced"
    TRADITIONAL = "traditional"
    CONFUSABLE = "confusable"
    LEET = "leet"
    PINYIN = "pinyin"
    HOMOPHONE = "homophone"
    INITIALS = "initials"


@dataclass(frozen=True, slots=True)
class Finding:
    """One sensitive term found in a text, and how it was disguised (``evasion``).

    ``start``/``end`` are code-point offsets into the ORIGINAL text (end
    exclusive) covering the whole spelling as written, evasions included, so
    ``text[start:end] == matched_text`` always holds.
    """

    term: str
    category: str
    severity: Severity
    start: int
    end: int
    matched_text: str
    evasion: Evasion = Evasion.PLAIN

    def to_dict(self) -> dict[str, str | int]:
        """The finding as the JSON object of the scan CLI and HTTP contracts."""
        return {
            "term": self.term,
            "category": self.category,
            "severity": self.severity.value,
            "start": self.start,
            "end": self.end,
            "matched_text": self.matched_text,
            "evasion": self.evasion.value,
        }


@dataclass(frozen=True, slots=True)
class ScanResult:
    """All findings of one text, in order of position, and the wordlist version used."""

    verdict: Verdict
    findings: tuple[Finding, ...]
    wordlist_version: str

    def to_dict(self) -> dict[str, object]:
        """The result as one line of ``smsgate scan --jsonl`` output."""
        return {"verdict": self.verdict.value, "matches": [f.to_dict() for f in self.findings]}


class TextScanner(Protocol):
    """Anything that scans a text; the template linter depends only on this."""

    @property
    def version(self) -> str:
        """The wordlist version whose terms this scanner matches."""
        ...

    def scan(
        self, text: str, audience: Audience = Audience.DEBTOR, *, own_names: Iterable[str] = ()
    ) -> ScanResult:
        """Scan ``text`` with the lists that apply to ``audience``; spans index ``text``;
        nothing inside one of ``own_names`` (the creditor's name and signature) counts."""
        ...
