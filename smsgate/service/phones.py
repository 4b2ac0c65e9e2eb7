"""Phone numbers at the edge: validated with libphonenumber and kept in one canonical E.164 form.

Opt-outs, the contact ledger and the third-party cap all match phones as
strings, so a number written two ways (``+86 138 0013 8000`` and
``+8613800138000``) must be stored one way or it would escape an opt-out or
a cap. Every route therefore passes phones through :func:`parse_e164`, which
accepts any spelling libphonenumber reads as a valid international number and
returns its E.164 form.

A number the gateway is about to *text* must also be able to receive one:
:func:`textable_e164` refuses landline, toll-free and premium-rate numbers
rather than paying for a message that is never delivered. Recorded calls and
opt-outs may concern any valid number, so :func:`parse_e164` does not check it.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

from smsgate.service.refusals import Refusal, invalid_request

#: Number types that can receive SMS (FIXED_LINE_OR_MOBILE: NANP numbers do not tell).
TEXTABLE = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.VOIP,
    }
)

_EXAMPLE = "+8613800138000"


def parse_e164(raw: str, field: str) -> str:
    """The E.164 form of ``raw``, a valid phone number with its ``+`` country code.

    Raises an ``invalid_request`` :class:`Refusal` naming ``field``.
    """
    return _format(_parse(raw, field))


def textable_e164(raw: str, field: str) -> str:
    """Like :func:`parse_e164`, and the number must be able to receive a text message."""
    number = _parse(raw, field)
    if phonenumbers.number_type(number) not in TEXTABLE:
        raise invalid_request(
            f"{field} is not a mobile number and cannot receive text messages", field=field
        )
    return _format(number)


def _parse(raw: str, field: str) -> PhoneNumber:
    text = raw.strip()
    if not text.startswith("+"):
        hint = (
            " (in a query string send '+' as %2B: a bare '+' means a space)"
            if raw.startswith(" ")
            else ""
        )
        raise _invalid(field, f"must be E.164 with a '+' and the country code{hint}")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise _invalid(field, "is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise _invalid(field, "is not a valid phone number for its country")
    return number


def _format(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _invalid(field: str, reason: str) -> Refusal:
    return invalid_request(f"{field} {reason}, e.g. {_EXAMPLE}", field=field)
