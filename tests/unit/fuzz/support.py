"""Settings and strategies shared by the fuzz tests: hostile Unicode, chosen by hand and at random.

Hypothesis alone rarely produces the characters evaders and broken
upstreams actually send, so :data:`hostile_text` mixes arbitrary code points
(lone surrogates included, which a Python ``str`` can hold) with a catalogue
of them: combining marks, zero-width and bidi controls, full-width forms,
emoji with ZWJ and skin tones, astral ideographs, line separators, NUL.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st

from .conftest import FUZZ

__all__ = ["FUZZ", "fewer", "hostile_text", "long_text", "texts"]


def fewer(factor: int) -> settings:
    """The profile with ``factor`` times fewer examples, for properties costing milliseconds."""
    return settings(FUZZ, max_examples=max(FUZZ.max_examples // factor, 1))


TRICKY = (
    "\u0301",  # combining acute
    "e\u0301",
    "\u20dd",  # combining enclosing circle
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # BOM
    "\u200e",  # LRM
    "\u200f",  # RLM
    "\u202e",  # RLO (bidi override)
    "\u2066",  # LRI
    "\u00ad",  # soft hyphen
    "\u3000",  # ideographic space
    "\u2028",  # line separator
    "\u2029",
    "\x00",
    "\r\n",
    "\x1b",
    "\uff27\uff2f\uff2e\uff27",  # ＧＯＮＧ
    "\uff21\uff2e",  # ＡＮ
    "\uff10\uff11",  # full-width digits
    "👨\u200d👩\u200d👧\u200d👦",
    "👍🏽",
    "🇨🇳",
    "❤\ufe0f",
    "\U000e0067\U000e0062",  # tag characters
    "𠮷",
    "\ud800",  # lone surrogates
    "\udfff",
    "\uffff",
    "，",
    "。",
    "€",
    "{",
    "ß",
    "İ",
    "ﬁ",
)

any_char = st.characters(exclude_categories=())
chunks = st.one_of(
    st.text(any_char, max_size=8),
    st.sampled_from(TRICKY),
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=4),
    st.text("abcdefghijklmnopqrstuvwxyzABC 0123456789.,*-", max_size=8),
)
#: Short to medium texts of arbitrary and hand-picked hostile characters.
hostile_text = st.lists(chunks, max_size=24).map("".join)
#: Texts of about 10,000 characters: a hostile fragment repeated.
long_text = st.builds(
    lambda fragment, filler: ((fragment or filler) * (10_000 // len(fragment or filler) + 1))[
        :10_000
    ],
    hostile_text,
    st.sampled_from(["您好", "a\u200b", "😀"]),
)
#: Texts of any length the fuzz tests care about.
texts = st.one_of(hostile_text, hostile_text, hostile_text, long_text)
