"""Text to short_message octets and back: GSM 03.38 (unpacked) and UCS-2.

We send GSM-7 texts with data_coding 0 ("SMSC default alphabet") as
*unpacked* GSM 03.38 septets, one per octet, an extension character as the
escape 0x1B followed by its code: that is what SMPP 3.4 SMSCs expect for
data_coding 0 and the SMSC packs them on the air, so the segment counts of
``smsgate.core.sms.measure`` hold. UCS-2 (data_coding 8) is UTF-16
big-endian, so an astral character (emoji, 𠮷) travels as a surrogate pair.

Inbound texts (MO) are decoded by their data_coding; a coding we do not
know is read as Latin-1 rather than dropped, so an odd reply still reaches
an operator instead of vanishing.
"""

from __future__ import annotations

from enum import IntEnum

from smsgate.core.gsm7 import GSM7_ESCAPE, GSM7_EXTENSION_CODES, GSM7_TABLE
from smsgate.core.sms import Encoding

_BASIC_CODES = {char: code for code, char in enumerate(GSM7_TABLE) if code != GSM7_ESCAPE}
_EXTENSION_CHARS = {code: char for char, code in GSM7_EXTENSION_CODES.items()}


class DataCoding(IntEnum):
    """The data_coding values we send or read."""

    SMSC_DEFAULT = 0x00
    IA5 = 0x01
    LATIN1 = 0x03
    UCS2 = 0x08


def data_coding_of(encoding: Encoding) -> DataCoding:
    """The data_coding we send a text of ``encoding`` with."""
    return DataCoding.UCS2 if encoding is Encoding.UCS2 else DataCoding.SMSC_DEFAULT


def encode_char(char: str, encoding: Encoding) -> bytes:
    """One character's octets; raises ``ValueError`` if GSM-7 cannot carry it."""
    if encoding is Encoding.UCS2:
        return char.encode("utf-16-be", errors="surrogatepass")
    if char in _BASIC_CODES:
        return bytes([_BASIC_CODES[char]])
    if char in GSM7_EXTENSION_CODES:
        return bytes([GSM7_ESCAPE, GSM7_EXTENSION_CODES[char]])
    raise ValueError(f"character U+{ord(char):04X} is not in the GSM 03.38 alphabet")


def encode_text(text: str, encoding: Encoding) -> bytes:
    """The whole text's octets in ``encoding``; raises ``ValueError`` as ``encode_char``."""
    return b"".join(encode_char(char, encoding) for char in text)


def decode_gsm7(octets: bytes) -> str:
    """Unpacked GSM 03.38 septets to text; an unknown escape reads as its basic character."""
    chars: list[str] = []
    escaped = False
    for octet in octets:
        code = octet & 0x7F
        if escaped:
            chars.append(_EXTENSION_CHARS.get(code) or GSM7_TABLE[code].replace("\x1b", " "))
            escaped = False
        elif code == GSM7_ESCAPE:
            escaped = True
        else:
            chars.append(GSM7_TABLE[code])
    return "".join(chars)


def decode_text(data_coding: int, octets: bytes) -> str:
    """An inbound short_message's text by its data_coding; never raises."""
    if data_coding == DataCoding.UCS2:
        return octets.decode("utf-16-be", errors="replace")
    if data_coding == DataCoding.SMSC_DEFAULT:
        return decode_gsm7(octets)
    if data_coding == DataCoding.IA5:
        return octets.decode("ascii", errors="replace")
    return octets.decode("latin-1")
