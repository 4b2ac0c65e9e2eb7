"""The typed variables a template declares, and how a value is checked against one.

A template is approved together with its variables, so the declaration is
part of what the reviewer signs off: every variable has a type and a bound on
its rendered length. A value that does not fit is refused before rendering,
which keeps three promises: the rendered text never exceeds what the reviewer
saw estimated, no value can smuggle a line break, control character or a
second 【signature】 (or a look-alike bracket, ``sms.bracket_at``) into a
message, no free-text value carries a link or a phone number its schema does
not allow (``free_text``), and money is never a float.

Values arrive from JSON, so the coercions are deliberately narrow: an ``int``
may come as a string of ASCII digits, money as a decimal string or an int,
a date as ``YYYY-MM-DD``; anything else is refused with a reason a caller can
show next to the variable's name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

import regex

from smsgate.core.sms import bracket_at, measure
from smsgate.core.templates.free_text import FreeTextAllowance, contact_problem

#: The smallest amount of money: ``money`` values and the ``money`` filter round to it.
CENT = Decimal("0.01")
DEFAULT_STR_MAX_LENGTH = 20
MAX_STR_LENGTH = 500
DEFAULT_INT_MIN, DEFAULT_INT_MAX = 0, 10**9
INT_LIMIT = 10**15
DEFAULT_MONEY_MAX = Decimal(10_000_000)
MONEY_LIMIT = Decimal(10**12)
PHONE_MIN_LENGTH, PHONE_MAX_LENGTH = 5, 20
MAX_ENUM_VALUES, MAX_ENUM_VALUE_LENGTH = 50, 100
MAX_DESCRIPTION_LENGTH = 200
DATE_RENDERED_LENGTH = len("2026-11-23")
# Fixed so that previews and estimates are reproducible; two-digit month and day
# make it the widest date of its year in every style.
SAMPLE_DATE = date(2026, 12, 31)
# One BMP ideograph per character: forces UCS-2 like a real Chinese name would,
# and reads as a placeholder (某某 = "so-and-so") in a preview.
SAMPLE_CHAR = "某"
SAMPLE_PHONE_DIGITS = "4008001234" * 2

_INT_TEXT = re.compile(r"-?[0-9]{1,18}")
_MONEY_TEXT = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PHONE_TEXT = re.compile(r"\+?[0-9]+")
# Control and format characters (zero-width, bidi overrides), line and paragraph
# separators, lone surrogates.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Invisible characters by Unicode's own property (#15), which the categories
# miss: the Hangul fillers (U+3164, U+115F, U+1160, U+FFA0) are letters (Lo)
# that render blank, so 公\u3164安 reads as 公安. The scanner folds them to
# gaps; a value has no use for them, so it is refused. Variation selectors
# (emoji presentation) stay allowed: the scanner folds them away.
_INVISIBLE = regex.compile(r"[[\p{Default_Ignorable_Code_Point}]--[\uFE00-\uFE0F]]", regex.V1)


class VariableType(StrEnum):
    """The kinds of value a template variable may hold."""

    STR = "str"
    INT = "int"
    MONEY = "money"
    DATE = "date"
    PHONE = "phone"
    ENUM = "enum"


class ValueRefused(ValueError):
    """A value does not fit its variable; the message is the reason, without the name."""


def text_problem(text: str) -> str | None:
    """Why ``text`` may not appear in a message, or ``None`` if it may."""
    if any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in text):
        return "must not contain control characters or line breaks"
    if _INVISIBLE.search(text) is not None:
        return "must not contain invisible characters (blank letters such as U+3164)"
    if (offset := bracket_at(text)) is not None:
        return (
            f"must not contain {text[offset]!r}: 【】, [ ] and look-alike brackets would"
            " read as a sender's signature (reserved for the creditor's)"
        )
    return None


def sms_length(text: str) -> int:
    """The length of ``text`` in UTF-16 code units: what it takes of a UCS-2 SMS."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


@dataclass(frozen=True, slots=True)
class StrVariable:
    """Free text such as a name: at most ``max_length`` characters on one line.

    Characters are counted as an SMS counts them: one outside the Basic
    Multilingual Plane (an emoji, a rare ideograph such as 𠮷) is two UTF-16
    units and counts twice, so no value costs more than the sample the
    reviewer's estimate was made with (``max_length`` times 某).

    A value carries no link and no phone number (``free_text``) unless
    ``allow`` names it: the schema says so, and the reviewer approves that.
    """

    type: ClassVar[VariableType] = VariableType.STR
    name: str
    max_length: int = DEFAULT_STR_MAX_LENGTH
    description: str = ""
    allow: frozenset[FreeTextAllowance] = frozenset()

    @property
    def max_rendered_length(self) -> int:
        return self.max_length

    def coerce(self, value: object) -> str:
        if not isinstance(value, str):
            raise ValueRefused(f"must be a string, not {type(value).__name__}")
        if not value.strip():
            raise ValueRefused("must not be empty")
        if (length := sms_length(value)) > self.max_length:
            astral = " (an emoji or a rare character counts as 2)" if length > len(value) else ""
            limit = f"must be at most {self.max_length} characters{astral}"
            raise ValueRefused(f"{limit}, not {length}")
        if problem := text_problem(value) or contact_problem(value, self.allow):
            raise ValueRefused(problem)
        return value

    def sample(self) -> str:
        return SAMPLE_CHAR * self.max_length


@dataclass(frozen=True, slots=True)
class IntVariable:
    """A whole number between ``min`` and ``max`` (a count of days, an instalment number)."""

    type: ClassVar[VariableType] = VariableType.INT
    name: str
    min: int = DEFAULT_INT_MIN
    max: int = DEFAULT_INT_MAX
    description: str = ""

    @property
    def max_rendered_length(self) -> int:
        return max(len(str(self.min)), len(str(self.max)))

    def coerce(self, value: object) -> int:
        if isinstance(value, str) and _INT_TEXT.fullmatch(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueRefused("must be an integer or a string of ASCII digits")
        if not self.min <= value <= self.max:
            raise ValueRefused(f"must be between {self.min} and {self.max}, not {value}")
        return value

    def sample(self) -> int:
        return self.min if len(str(self.min)) > len(str(self.max)) else self.max


@dataclass(frozen=True, slots=True)
class MoneyVariable:
    """An amount in yuan with at most two decimals, from 0 to ``max``; always a Decimal."""

    type: ClassVar[VariableType] = VariableType.MONEY
    name: str
    max: Decimal = DEFAULT_MONEY_MAX
    description: str = ""

    @property
    def max_rendered_length(self) -> int:
        return len(str(self.sample()))

    def coerce(self, value: object) -> Decimal:
        amount = _decimal(value)
        if not amount.is_finite():
            raise ValueRefused("must be a finite amount")
        if amount.is_signed():
            raise ValueRefused("must not be negative")
        if amount > self.max:
            raise ValueRefused(f"must be at most {self.max}, not {amount}")
        if amount != amount.quantize(CENT):
            raise ValueRefused("must have at most 2 decimal places")
        return amount.quantize(CENT)

    def sample(self) -> Decimal:
        # The maximum has the most integer digits of all admissible amounts.
        return self.max.quantize(CENT)


def _decimal(value: object) -> Decimal:
    if isinstance(value, float):
        raise ValueRefused('must not be a float; send a string such as "1234.50"')
    if isinstance(value, bool):
        raise ValueRefused("must be an amount, not a boolean")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _MONEY_TEXT.fullmatch(value):
        return Decimal(value)
    raise ValueRefused('must be an amount such as "1234.50" (at most 2 decimal places)')


@dataclass(frozen=True, slots=True)
class DateVariable:
    """A calendar day, given as a ``date`` or an ISO ``YYYY-MM-DD`` string."""

    type: ClassVar[VariableType] = VariableType.DATE
    name: str
    description: str = ""

    @property
    def max_rendered_length(self) -> int:
        return DATE_RENDERED_LENGTH

    def coerce(self, value: object) -> date:
        if isinstance(value, datetime):
            raise ValueRefused("must be a date, not a date and time")
        if isinstance(value, date):
            return value
        if isinstance(value, str) and _DATE_TEXT.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueRefused(f"{value!r} is not a calendar date") from None
        raise ValueRefused("must be a date in YYYY-MM-DD form")

    def sample(self) -> date:
        return SAMPLE_DATE


@dataclass(frozen=True, slots=True)
class PhoneVariable:
    """A call-back number: digits with an optional leading ``+``, such as 95555 or 4008001234."""

    type: ClassVar[VariableType] = VariableType.PHONE
    name: str
    max_length: int = PHONE_MAX_LENGTH
    description: str = ""

    @property
    def max_rendered_length(self) -> int:
        return self.max_length

    def coerce(self, value: object) -> str:
        if not isinstance(value, str):
            # An int would lose leading zeros (area codes such as 021).
            raise ValueRefused(f"must be a string, not {type(value).__name__}")
        if not (_PHONE_TEXT.fullmatch(value) and PHONE_MIN_LENGTH <= len(value) <= self.max_length):
            raise ValueRefused(
                f"must be {PHONE_MIN_LENGTH}–{self.max_length} digits with an optional leading +"
            )
        return value

    def sample(self) -> str:
        return SAMPLE_PHONE_DIGITS[: self.max_length]


@dataclass(frozen=True, slots=True)
class EnumVariable:
    """One of a fixed list of phrases, such as a product name."""

    type: ClassVar[VariableType] = VariableType.ENUM
    name: str
    values: tuple[str, ...]
    description: str = ""

    @property
    def max_rendered_length(self) -> int:
        return max(map(len, self.values))

    def coerce(self, value: object) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise ValueRefused(f"must be one of: {', '.join(self.values)}")
        return value

    def sample(self) -> str:
        # The costliest value on the air, not the one with most code points:
        # "😀😀" (UCS-2, 4 units) costs more than "abc" (GSM-7, 3 septets).
        return max(self.values, key=lambda value: measure(value).cost_order)


Variable = StrVariable | IntVariable | MoneyVariable | DateVariable | PhoneVariable | EnumVariable


def describe(variable: Variable) -> Mapping[str, object]:
    """The declaration as JSON-ready data (the inverse of parsing it)."""
    declared: dict[str, object] = {"type": variable.type.value}
    if isinstance(variable, StrVariable | PhoneVariable):
        declared["max_length"] = variable.max_length
    if isinstance(variable, StrVariable) and variable.allow:
        declared["allow"] = sorted(variable.allow)
    elif isinstance(variable, IntVariable):
        declared |= {"min": variable.min, "max": variable.max}
    elif isinstance(variable, MoneyVariable):
        declared["max"] = str(variable.max)
    elif isinstance(variable, EnumVariable):
        declared["values"] = list(variable.values)
    if variable.description:
        declared["description"] = variable.description
    return declared
