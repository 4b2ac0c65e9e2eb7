"""What a carrier says back, made fit for a log line, the database and the UI.

A carrier's error code, error message or delivery-report text is foreign
input: some carriers echo the request in it (the message text, the full phone
number), some answer with a whole HTML page, some with control characters.
Every such string passes through :func:`carrier_text` before it is kept or
shown, so it gets the same treatment as our own fields: bounded in length,
printable, phone numbers masked (:func:`smsgate.logs.mask_phone`), and any
echo of what we sent cut out when the caller knows what that was.

Message ids are matched, not read, so :func:`carrier_id` only bounds them.

The places that call it: ``CarrierError`` (every adapter's refusal, code and
message, on construction; the dispatcher then cuts echoes of the text and
phone it sent), ``DeliveryReport`` (every carrier's DLR code and description)
and the delivery-report service, which cuts echoes of the reported message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from smsgate.logs import mask_phone

#: Longest carrier text kept (a message, a description), in code points.
CARRIER_TEXT_LIMIT = 200
#: Longest carrier code kept (``isv.BUSINESS_LIMIT_CONTROL``, ``UNDELIV:045``).
CARRIER_CODE_LIMIT = 64
#: Longest carrier message id kept; ids are matched, so they are never masked.
CARRIER_ID_LIMIT = 128
#: Ends a text that was cut at the limit.
ELLIPSIS = "…"
#: Stands where an echo of our message text was cut out.
TEXT_ECHO = "[text]"

# Input longer than this many times the limit is cut before any other work.
_READ_FACTOR = 8
# An echo is a run of the carrier's text made of 4-character pieces of ours:
# kept only when it is ASCII and shorter than 8 (so "the " of an English
# carrier error is not taken for an echo of "pay the bill").
_GRAM = 4
_ASCII_ECHO_MIN = 8
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# What may stand between the digits of a phone number written out by a carrier.
_DIGIT_GAP = r"[\s\-.()/]*"


def carrier_text(
    value: object, *, limit: int = CARRIER_TEXT_LIMIT, echoes: Iterable[str] = ()
) -> str:
    """``value`` as a carrier said it, made safe to log, store and show.

    Control and format characters become spaces and runs of spaces one;
    every occurrence of an ``echoes`` string (the text or the phone number we
    sent) is cut out (pieces of a text too, a phone number however it is
    spaced); the remaining phone numbers are masked; and the result is at
    most ``limit`` code points, ending in ``…`` if it was cut. Never raises.
    """
    text = value if isinstance(value, str) else str(value)
    text = _printable(text[: limit * _READ_FACTOR])
    for echo in echoes:
        text = _without_echo(text, echo)
    text = mask_phone(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def carrier_id(value: str | None) -> str | None:
    """A carrier's message id as we keep it: at most 128 code points, none unprintable.

    Not masked (a numeric SMSC id must still match its delivery reports);
    applied alike to the id a send returns and the id a report quotes, so the
    two still match.
    """
    if value is None:
        return None
    value = value[:CARRIER_ID_LIMIT]
    if value.isprintable():
        return value
    # One for one, so a non-empty id stays non-empty (and a report keeps its id).
    return "".join("\ufffd" if unicodedata.category(c) in _UNPRINTABLE else c for c in value)


def _printable(text: str) -> str:
    if text.isascii() and text.isprintable():
        return " ".join(text.split())
    spaced = "".join(" " if unicodedata.category(c) in _UNPRINTABLE else c for c in text)
    return " ".join(spaced.split())


def _without_echo(text: str, echo: str) -> str:
    echo = _printable(echo)
    if not echo:
        return text
    phone = _phone_echo(echo)
    if phone is not None:
        return phone.sub(mask_phone(echo), text)
    if len(echo) < _GRAM:
        return text.replace(echo, TEXT_ECHO)
    pieces = {echo[i : i + _GRAM] for i in range(len(echo) - _GRAM + 1)}
    covered = [False] * len(text)
    for i in range(len(text) - _GRAM + 1):
        if text[i : i + _GRAM] in pieces:
            covered[i : i + _GRAM] = [True] * _GRAM
    return "".join(_runs(text, covered))


def _runs(text: str, covered: list[bool]) -> Iterable[str]:
    """``text`` with every covered run that could be an echo replaced by the marker."""
    start = 0
    while start < len(text):
        end = start + 1
        while end < len(text) and covered[end] == covered[start]:
            end += 1
        run = text[start:end]
        echoed = covered[start] and not (run.isascii() and len(run) < _ASCII_ECHO_MIN)
        yield TEXT_ECHO if echoed else run
        start = end


def _phone_echo(echo: str) -> re.Pattern[str] | None:
    """For an E.164 ``echo``, a pattern of its trailing 7+ digits however a carrier spaces them."""
    if not re.fullmatch(r"\+\d{7,15}", echo):
        return None
    digits = echo[1:]
    head = ""
    for digit in digits[:-7]:  # each leading digit optional, from the first on
        head = f"(?:{head}{digit}{_DIGIT_GAP})?"
    tail = _DIGIT_GAP.join(digits[-7:])
    return re.compile(rf"(?<!\d)\+?{_DIGIT_GAP}{head}{tail}(?!\d)")
