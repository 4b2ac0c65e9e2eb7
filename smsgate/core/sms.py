"""What an SMS costs on the air: encoding, units and segments, and the 【signature】.

Carriers bill and deliver per segment, and a long text is split into
concatenated segments whose user-data header eats part of each one. The
numbers here decide whether a template is affordable (lint) and whether a
rendered message may go out (send time), so they must agree with what a
carrier's SMSC does:

* GSM-7 (3GPP TS 23.038) if every character is in the basic table or the
  extension table, else UCS-2. An extension character (``{}[]~\\|^€`` and form
  feed) costs two septets: an escape and the character.
* UCS-2 counts UTF-16 code units, so an astral character (most emoji, rare
  CJK ideographs such as 𠮷) costs two.
* One segment holds 160 septets / 70 units; concatenated segments hold
  153 / 67. An escape pair or a surrogate pair is never split across two
  segments, so segments are counted by walking the text, not by dividing.
* The empty text measures as one segment: carriers bill an empty message as
  one. Refusing empty messages is a rule of the layers above, not of this
  arithmetic.

Chinese carriers require the sender's signature ``【name】`` at the start of
every message; :func:`sign` adds it, so templates never carry it themselves.
Nothing else may look like a second signature (:func:`fake_signature_at`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from smsgate.core.gsm7 import GSM7_BASIC, GSM7_EXTENSION

DEFAULT_MAX_SEGMENTS = 6
# Concatenation numbers parts with one octet, so no message has more.
MAX_CONCATENATED_SEGMENTS = 255

SIGNATURE_OPEN = "【"
SIGNATURE_CLOSE = "】"
SIGNATURE_MIN_CHARS = 2
SIGNATURE_MAX_CHARS = 20

#: Brackets that frame a sender's name and nothing else in an SMS: 【】 and
#: its look-alikes 〖〗 (white lenticular), 〘〙 (white tortoise shell) and
#: 〚〛 (white square). NFKC folds the vertical forms ︻︼ ︗︘ into 【】〖〗.
SIGNATURE_BRACKETS = frozenset("【】〖〗〘〙〚〛")
#: Ordinary brackets that phones and carriers also read as a sender's label
#: when a pair frames the start or the end of a text: ``[…]`` (NFKC folds
#: ［］ and the vertical ﹇﹈ into it) and ``〔…〕`` (﹝﹞ and ︹︺ fold into it).
#: Quotation and title marks (「」『』《》〈〉) and parentheses are not labels.
LABEL_BRACKETS = {"[": "]", "〔": "〕"}
LABEL_BRACKET_CHARS = frozenset(LABEL_BRACKETS) | frozenset(LABEL_BRACKETS.values())


class Encoding(StrEnum):
    """The data coding of a message: the 7-bit GSM alphabet or UCS-2."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


SINGLE_SEGMENT_UNITS = {Encoding.GSM7: 160, Encoding.UCS2: 70}
# A concatenated segment loses 6 octets to the user-data header.
CONCATENATED_SEGMENT_UNITS = {Encoding.GSM7: 153, Encoding.UCS2: 67}


@dataclass(frozen=True, slots=True)
class SmsMeasure:
    """The cost of one text: its encoding, its length in units, and its segments.

    ``units`` are septets for GSM-7 and UTF-16 code units for UCS-2.
    """

    encoding: Encoding
    units: int
    segments: int

    @property
    def cost_order(self) -> tuple[bool, int]:
        """A sort key by what a text costs: any UCS-2 text above any GSM-7 one, then by units."""
        return self.encoding is Encoding.UCS2, self.units


def encoding_of(text: str) -> Encoding:
    """GSM-7 if every character is in the basic or extension table, else UCS-2."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        return Encoding.GSM7
    return Encoding.UCS2


def measure(text: str) -> SmsMeasure:
    """Measure ``text`` as a carrier will send it; never raises for any ``str``."""
    encoding = encoding_of(text)
    costs = [_unit_cost(char, encoding) for char in text]
    units = sum(costs)
    if units <= SINGLE_SEGMENT_UNITS[encoding]:
        return SmsMeasure(encoding, units, 1)
    return SmsMeasure(encoding, units, _count_segments(costs, CONCATENATED_SEGMENT_UNITS[encoding]))


def _unit_cost(char: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    # A lone surrogate in a Python str still occupies one code unit.
    return 2 if ord(char) > 0xFFFF else 1


def _count_segments(costs: list[int], capacity: int) -> int:
    """Fill segments in order; a character that does not fit whole opens the next one."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            segments, used = segments + 1, 0
        used += cost
    return segments


class TooManySegments(ValueError):
    """A text needs more segments than the policy allows."""

    code = "too_many_segments"

    def __init__(self, measured: SmsMeasure, max_segments: int) -> None:
        self.measure = measured
        self.segments = measured.segments
        self.max_segments = max_segments
        super().__init__(
            f"the message needs {measured.segments} segments "
            f"({measured.units} {measured.encoding.value} units); "
            f"at most {max_segments} are allowed"
        )


@dataclass(frozen=True, slots=True)
class SegmentPolicy:
    """How many segments one message may use (a creditor's cost ceiling)."""

    max_segments: int = DEFAULT_MAX_SEGMENTS

    def __post_init__(self) -> None:
        if isinstance(self.max_segments, bool) or not (
            1 <= self.max_segments <= MAX_CONCATENATED_SEGMENTS
        ):
            raise ValueError(f"max_segments must be 1–{MAX_CONCATENATED_SEGMENTS}")

    def check(self, text: str) -> SmsMeasure:
        """Return the measure of ``text``; raise :class:`TooManySegments` if over the limit."""
        measured = measure(text)
        if measured.segments > self.max_segments:
            raise TooManySegments(measured, self.max_segments)
        return measured


def check_segments(text: str, max_segments: int = DEFAULT_MAX_SEGMENTS) -> SmsMeasure:
    """Measure ``text`` and raise :class:`TooManySegments` above ``max_segments``."""
    return SegmentPolicy(max_segments).check(text)


class InvalidSignature(ValueError):
    """A creditor signature that carriers would refuse or that would garble the 【】 frame."""

    code = "invalid_signature"

    def __init__(self, signature: str, reason: str) -> None:
        self.signature = signature
        self.reason = reason
        super().__init__(f"invalid signature {signature!r}: {reason}")


def folded_bracket(char: str) -> str:
    """``char`` folded as a phone's font shows it (NFKC): ［ is [, ︻ is 【."""
    return unicodedata.normalize("NFKC", char)


def bracket_at(text: str) -> int | None:
    """The offset of the first signature or label bracket in ``text``, look-alikes included.

    A variable's value may carry none at all: a lone ``[`` in a value can
    close into a pair with the template's own text, and nothing a debtor's
    name or an amount needs looks like a sender's label.
    """
    brackets = SIGNATURE_BRACKETS | LABEL_BRACKET_CHARS
    return next((i for i, char in enumerate(text) if folded_bracket(char) in brackets), None)


def fake_signature_at(text: str) -> int | None:
    """The offset where ``text`` would show a second sender's signature, or ``None``.

    The rule: any 【】-like bracket (:data:`SIGNATURE_BRACKETS`) anywhere,
    since carriers and phones take 【…】 at the start *or* the end as the
    signature and it has no other use; and an ordinary label pair
    (:data:`LABEL_BRACKETS`) that frames the start or the end of the text
    (outer spaces aside): ``[中国工商银行]您好`` or ``…请回电。[95588]``. A
    pair inside the text, such as ``第[1/2]条``, is ordinary writing.
    """
    for offset, char in enumerate(text):
        if folded_bracket(char) in SIGNATURE_BRACKETS:
            return offset
    stripped = text.strip()
    if not stripped:
        return None
    lead = len(text) - len(text.lstrip())
    first, last = folded_bracket(stripped[0]), folded_bracket(stripped[-1])
    folded = "".join(folded_bracket(char) for char in stripped[1:])
    if first in LABEL_BRACKETS and LABEL_BRACKETS[first] in folded:
        return lead
    closing = {close: open_ for open_, close in LABEL_BRACKETS.items()}
    opened = "".join(folded_bracket(char) for char in stripped[:-1])
    if last in closing and closing[last] in opened:
        return lead + len(stripped) - 1
    return None


def sign(body: str, signature: str) -> str:
    """Prepend ``【signature】`` to ``body``; the signature is stripped of outer spaces.

    Raises :class:`InvalidSignature` if the stripped signature is not 2–20
    characters, contains 【 or 】, or contains control characters or line breaks.
    """
    return f"{SIGNATURE_OPEN}{_checked_signature(signature)}{SIGNATURE_CLOSE}{body}"


def _checked_signature(signature: str) -> str:
    name = signature.strip()
    if not SIGNATURE_MIN_CHARS <= len(name) <= SIGNATURE_MAX_CHARS:
        raise InvalidSignature(
            signature, f"must be {SIGNATURE_MIN_CHARS}–{SIGNATURE_MAX_CHARS} characters"
        )
    if any(folded_bracket(char) in SIGNATURE_BRACKETS for char in name):
        raise InvalidSignature(signature, "must not contain 【 or 】")
    if any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp", "Cs"} for char in name):
        raise InvalidSignature(signature, "must not contain control characters or line breaks")
    return name
