"""What a free-text (``str``) value may not carry: a link or a phone number, unless declared.

A ``str`` variable exists for a name or a short phrase. If it could carry a
URL or a phone number, any sender could turn an approved template into a
phishing text or point the debtor at a number nobody reviewed: the reviewer
approved the wording and the hotline, not what arrives in a value. So a
value that contains either is refused (422 ``variable_invalid``), unless the
variable's schema allows it explicitly (``"allow": ["url"]`` or
``["phone"]``), which the reviewer then sees and approves. Call-back
numbers belong in a ``phone`` variable, which is made for them.

Detection runs on the value folded as a reader would read it: NFKC (full-width
letters, digits and dots become ASCII: ``ｗｗｗ．ｘｘ．ｃｏｍ``, ``１３８…``),
lower case, ideographic full stops and 点 between letters read as dots, and
spaces around a dot dropped (``evil . com``). It finds:

- a URL: a scheme (``https://``), ``www.``, an IPv4 address, a domain with a
  path (``xx.yy/…``), or a name ending in a common top-level domain
  (``xx.com``, ``xx.cn``, ``xx.top`` …);
- a phone number: a run of seven or more digits, separators (spaces, dashes,
  dots, slashes, parentheses, 。 and ·) allowed between them: ``138-0013-8000``,
  ``(0755) 1234 5678``.

Shorter digit runs (an instalment number, a day count) pass.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class FreeTextAllowance(StrEnum):
    """What a ``str`` variable's schema may allow in its values (``"allow": [...]``)."""

    URL = "url"
    PHONE = "phone"


PHONE_MIN_DIGITS = 7

_DOT_LIKE = re.compile(r"\s*[.。]\s*|(?<=[a-z0-9])\s*[点點]\s*(?=[a-z0-9])")
_TLDS = (
    "com|cn|net|org|top|xyz|vip|info|cc|me|io|co|app|site|club|shop|link|ly|gl|tk|ml|ga|cf"
    "|gq|ws|biz|mobi|pw|tv|hk|tw|us|uk|ru|online|store|tech|fun|icu|live|work|ink|wang|ltd"
    "|group|ren|kim|red|pro|asia|name|so|la|cx|ai|fit|cyou|bond|sbs|click|cloud|xin|im"
)
_URL = re.compile(
    r"[a-z][a-z0-9+.\-]*://"
    r"|(?<![a-z0-9])www\."
    r"|(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\d)"
    r"|[a-z0-9\-]+\.[a-z]{2,}/"
    rf"|(?<![a-z0-9\-])[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9\-]+)*\.(?:{_TLDS})(?![a-z0-9])"
)
_PHONE = re.compile(rf"\d(?:[\s\-–—./()。·]*\d){{{PHONE_MIN_DIGITS - 1},}}")


def reading_form(text: str) -> str:
    """``text`` as the detectors read it: NFKC, lower case, dot look-alikes as ``.``."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _DOT_LIKE.sub(".", folded)


def contact_problem(text: str, allowed: frozenset[FreeTextAllowance]) -> str | None:
    """Why ``text`` may not be a free-text value (a URL or phone number not allowed), or None."""
    folded = reading_form(text)
    if FreeTextAllowance.URL not in allowed and _URL.search(folded):
        return 'must not contain a link (URL); a variable that needs one declares "allow": ["url"]'
    # Digits are read without the dot folding: "1.5" is not two digit runs joined.
    digits = unicodedata.normalize("NFKC", text)
    if FreeTextAllowance.PHONE not in allowed and _PHONE.search(digits):
        return (
            f"must not contain a phone number ({PHONE_MIN_DIGITS} or more digits); a call-back"
            ' number belongs in a "phone" variable, or the variable declares "allow": ["phone"]'
        )
    return None
