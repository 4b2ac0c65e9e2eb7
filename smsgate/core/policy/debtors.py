"""A debtor reference as the contact caps count it: one spelling per person.

A debtor's cap counts the contacts with the same ``debtor_id``, so every
spelling a client can invent for one reference must come out the same, or
each spelling is a fresh debtor with a fresh cap (``D-1001``, ``d-1001``,
``D-1001`` with a zero-width space and ``Д-1001`` with a Cyrillic De once
got a phone 13 texts in a day). The canonical form is:

1. NFKC: full-width ``Ｄ－１００１`` is ``D-1001``, a ligature is its letters;
2. case-insensitive: the reference is case-folded and stored upper-case,
   so ``d-1001`` *is* ``D-1001`` (``ß`` is ``SS``); the gateway stores and
   answers the canonical form;
3. refused, rather than silently cleaned: control, format, private-use,
   surrogate and unassigned characters, the default-ignorable ones
   (zero-width space and joiners, soft hyphen, variation selectors, Hangul
   fillers, tags …), any whitespace (``D 1001`` and ``D  1001`` are not two
   debtors: spaces are simply not part of a reference), letters of more
   than one script (Latin with Cyrillic or Greek look-alikes) and digits
   of more than one numbering system. Scripts that are written together
   may mix, as in Unicode's "highly restrictive" identifiers (UTS #39):
   Latin with Han and Japanese kana, with Han and Bopomofo, or with Han
   and Hangul, so ``客户A-1001`` is accepted.

A reference written wholly in another script (``Д-1001``) is a reference of
its own: no rule can tell it from a real Cyrillic one. The per-phone cap
(``PolicyProfile.debtor_phone_cap``) is what stops a client that invents
such ids for one phone.
"""

from __future__ import annotations

import unicodedata

#: Default_Ignorable_Code_Point ranges (Unicode 15.1 DerivedCoreProperties) that are not
#: already refused as format (Cf) or unassigned (Cn) characters: they render as nothing.
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip
#: General categories that never belong in a reference (control, format, surrogate,
#: private use, unassigned, and every separator).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_HAN, _LATIN = "Han", "Latin"
#: Sets of scripts that may be written together in one reference (UTS #39 "highly restrictive").
_MIXABLE = (
    frozenset({_LATIN, _HAN, "Hiragana", "Katakana"}),
    frozenset({_LATIN, _HAN, "Bopomofo"}),
    frozenset({_LATIN, _HAN, "Hangul"}),
)
#: Unicode name prefixes of letters whose script is not the name's first word.
_SCRIPT_OF_PREFIX = (
    ("CJK ", _HAN),
    ("IDEOGRAPHIC ", _HAN),
    ("KATAKANA-HIRAGANA ", "Katakana"),
)


class DebtorIdError(ValueError):
    """A ``debtor_id`` that cannot be one person's reference; the message says why."""


def canonical_debtor_id(raw: str) -> str:
    """The canonical form of the debtor reference ``raw`` (see the module docstring).

    Raises ``DebtorIdError`` for an empty reference, a refused character (named
    by its code point) or letters of scripts that do not mix.
    """
    text = unicodedata.normalize("NFKC", raw)
    if not text:
        raise DebtorIdError("must not be empty")
    for char in text:
        _check_character(char)
    _check_scripts(text)
    _check_digits(text)
    return unicodedata.normalize("NFKC", text.casefold().upper())


def _check_character(char: str) -> None:
    code = ord(char)
    category = unicodedata.category(char)
    if char.isspace() or category in _REFUSED_CATEGORIES:
        kind = "whitespace" if char.isspace() or category[0] == "Z" else "an invisible or control"
        raise DebtorIdError(f"must not contain {kind} character U+{code:04X}")
    if any(low <= code <= high for low, high in _IGNORABLE_RANGES):
        raise DebtorIdError(f"must not contain the invisible character U+{code:04X}")


def _check_scripts(text: str) -> None:
    scripts = {_script(char) for char in text if unicodedata.category(char)[0] == "L"}
    if len(scripts) <= 1 or any(scripts <= mixable for mixable in _MIXABLE):
        return
    names = ", ".join(sorted(scripts))
    raise DebtorIdError(f"must not mix letters of different scripts ({names}): look-alikes")


def _check_digits(text: str) -> None:
    zeros = {
        ord(char) - unicodedata.digit(char) for char in text if unicodedata.decimal(char, -1) >= 0
    }
    if len(zeros) > 1:
        raise DebtorIdError("must not mix digits of different numbering systems")


def _script(letter: str) -> str:
    """The script of ``letter``, from its Unicode name (the standard library has no Script)."""
    name = unicodedata.name(letter, "")
    for prefix, script in _SCRIPT_OF_PREFIX:
        if name.startswith(prefix):
            return script
    first = name.split(" ", 1)[0]
    return first.capitalize() if first else f"U+{ord(letter):04X}"
