"""The GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1), defined once.

Two parts of smsgate need it: measuring a text (:mod:`smsgate.core.sms`: which
characters fit GSM-7 and how many septets they cost) and encoding one for an
SMSC (:mod:`smsgate.carriers.smpp.alphabet`: each character's code). Both read
this table, so what is measured is what is sent.
"""

from __future__ import annotations

#: The basic table in code order; 0x1B is the escape to the extension table, not
#: a character of its own (its slot holds the escape itself as a placeholder).
GSM7_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM7_ESCAPE = 0x1B
#: The extension table: character -> its code after the escape (two septets in all).
GSM7_EXTENSION_CODES = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
#: Every character of the basic table (the escape is none).
GSM7_BASIC = frozenset(GSM7_TABLE) - {chr(GSM7_ESCAPE)}
#: Every character of the extension table.
GSM7_EXTENSION = frozenset(GSM7_EXTENSION_CODES)
