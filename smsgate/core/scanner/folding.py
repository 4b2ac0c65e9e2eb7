"""Fold text to the canonical form terms are matched in, remembering where each char came from.

Evaders write 派 出 所, 派*出*所, ＧＯＮＧＡＮ, 傳票 or 公\u200b安. Folding maps every
character independently to its canonical spelling: NFKC (full-width letters,
compatibility ideographs, mathematical fancy-font letters), case folding,
traditional -> simplified Chinese, and separators (spaces, U+3000, zero-width
and format characters, punctuation, symbols, emoji, combining marks, line
breaks) to nothing.

Unicode's own data extends that (#15), passed in by the shell so this module
stays pure:

- every Default_Ignorable_Code_Point is a gap, including the blank-rendering
  Hangul fillers (U+3164, U+115F, U+1160, U+FFA0: category Lo, so no category
  rule catches them) and the variation selectors;
- a Latin letter with diacritics folds to its base letter (``gōng ān`` ->
  ``gongan``, ``ǚ`` -> ``u``), so toned pinyin meets toneless pinyin;
- a letter of another script that UTS #39 lists as confusable with one ASCII
  letter folds to that letter (Greek ``ο``, Cyrillic ``а``/``і``, Latin ``ɡ``),
  so ``pοlice`` and ``jіngcha`` reach the Latin and pinyin patterns. Only
  code points below U+2E80 are mapped: CJK characters keep their identity
  (UTS #39 pairs 〇 with O and 丨 with box-drawing bars, which would only
  blur Chinese text). Because the mapping is
per character, each folded character knows its original index, so a finding
maps back to the exact span of the original text.

Speed matters (every message is scanned) and a per-character Python loop, or
even ``str.translate`` with a dict, is too slow for the common case. Most
messages hold nothing that needs the table except ASCII capitals and ASCII
separators (``1,234.50``, ``9:00``, spaces). For those, :meth:`CharacterFolding.quick_fold`
folds the UTF-8 bytes with one ``bytes.translate`` call, and the scanner
matches a bytes automaton on the result; that automaton also finds the
characters that need the table (:attr:`CharacterFolding.table_needed`), so
the scanner asks no regex of a clean text. Everything else takes
:meth:`CharacterFolding.fold`, the whole table. Both give the same findings;
a property test holds them to it.

Clause punctuation (，。、；：！？) gets special care: it usually separates two
clauses (合同法，院方 must not be read as 法院), so a match may bridge it only
when it is at least three characters long and *every* gap inside it holds
clause punctuation, a deliberate spacing pattern (派，出，所) rather than the
end of one clause and the start of the next; see :meth:`FoldedText.gaps_allowed`. The quick fold
keeps clause breaks in place, so no match crosses them there, and any text in
which a match could legitimately bridge one takes the full fold.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from types import MappingProxyType

#: Characters that normally end a clause in Chinese text.
CLAUSE_BREAKS = frozenset("\u3001\u3002\uff0c\uff1b\uff1a\uff01\uff1f")

#: Unicode general categories whose characters are ignored inside terms.
_SEPARATOR_CATEGORIES = frozenset(
    {"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Mn", "Mc", "Me", "Pc", "Pd", "Ps", "Pe"}
    | {"Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So"}
)

#: Code point ranges worth examining when building the table; the rest of the
#: code space is unassigned, or ideographs that only the traditional table maps.
_SCANNED_RANGES = ((0x0000, 0x3400), (0xA000, 0x20000), (0x2F800, 0x2FA20), (0xE0000, 0xE01F0))

#: The shortest match that may bridge clause breaks (one in every gap: 派，出，所).
CLAUSE_BRIDGE_MIN_LENGTH = 3

#: Confusable prototypes apply below the CJK blocks only (see the module docstring).
_CONFUSABLE_LIMIT = 0x2E80


def _is_separator(char: str) -> bool:
    return unicodedata.category(char) in _SEPARATOR_CATEGORIES


def _is_mark(char: str) -> bool:
    """A combining mark or variation selector: drawn with the character before it."""
    return unicodedata.category(char) in _MARK_CATEGORIES


_MARK_CATEGORIES = frozenset({"Mn", "Mc", "Me"})


class FoldedText:
    """A text in canonical form, able to map folded positions back to the original.

    ``trace()`` lists the original index of every folded character; it runs
    the first time a match needs it. It is ``None`` when folding kept every
    character in place (folded index ``i`` is original index ``i``).
    """

    __slots__ = ("_breaks", "_origins", "_trace", "ascii_folded_only", "folded", "original")

    def __init__(
        self,
        original: str,
        folded: str,
        trace: Callable[[], list[int]] | None,
        *,
        ascii_folded_only: bool = False,
    ) -> None:
        """``ascii_folded_only``: the quick fold made it, so no character other than
        ASCII was changed (no traditional, full-width or look-alike one is in it)."""
        self.original = original
        self.folded = folded
        self._trace = trace
        self._origins: list[int] | None = None
        self._breaks: frozenset[int] | None = None
        self.ascii_folded_only = ascii_folded_only

    def breaks_after(self) -> frozenset[int]:
        """The folded indexes ``i`` with clause punctuation between folded characters
        ``i`` and ``i + 1`` in the original (found from the few breaks, not per character)."""
        if self._breaks is None:
            origins = self.origins
            found = (i for i, char in enumerate(self.original) if char in CLAUSE_BREAKS)
            if origins is None:
                self._breaks = frozenset(i - 1 for i in found)
            else:
                self._breaks = frozenset(bisect.bisect_left(origins, i) - 1 for i in found)
        return self._breaks

    @property
    def origins(self) -> list[int] | None:
        """Original index of each folded character, or ``None`` if the fold kept positions."""
        if self._trace is None:
            return None
        if self._origins is None:
            self._origins = self._trace()
        return self._origins

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering folded characters ``[start, end)``.

        The span never splits a character from the combining marks or the
        variation selector that follow it (``警察\u0301``, ``公安\ufe0f``): they
        are part of how the last character is drawn, so the span takes them.
        """
        origins = self.origins
        if origins is None:
            return start, end
        last = origins[end - 1] + 1
        original = self.original
        while last < len(original) and _is_mark(original[last]):
            last += 1
        return origins[start], last

    def gaps(self, start: int, end: int) -> list[str]:
        """The original text between each pair of neighbouring folded characters.

        Two folded characters from one original character (an expansion such as
        ß -> ss) have an empty gap.
        """
        origins = self.origins
        if origins is None:
            return [""] * (end - start - 1)
        original = self.original
        return [original[origins[i] + 1 : origins[i + 1]] for i in range(start, end - 1)]

    def gaps_allowed(self, start: int, end: int, *, spaced_out: bool) -> bool:
        """Whether the separators inside the match ``[start, end)`` may be bridged.

        ``spaced_out`` demands a separator in every gap (initials such as g.a.).
        A gap holding clause punctuation is bridged only when every gap holds
        clause punctuation and the match is at least three characters long.
        """
        gaps = self.gaps(start, end)
        if spaced_out and not all(gaps):
            return False
        breaks = [bool(CLAUSE_BREAKS.intersection(gap)) for gap in gaps]
        if any(breaks):
            return end - start >= CLAUSE_BRIDGE_MIN_LENGTH and all(breaks)
        return True


class CharacterFolding:
    """The per-character folding table and the quick path for common texts.

    Build it once per process (it examines some 200k code points, well under a
    second) and share it; it is immutable.
    """

    def __init__(
        self,
        traditional_to_simplified: Mapping[str, str],
        *,
        ignorable: AbstractSet[str] = frozenset(),
        confusables: Mapping[str, str] = MappingProxyType({}),
        data_version: str = "",
    ) -> None:
        self._hant = dict(traditional_to_simplified)
        self._ignorable = frozenset(ignorable)
        self._confusables = {
            char: proto
            for char, proto in confusables.items()
            if len(char) == 1 and ord(char) < _CONFUSABLE_LIMIT and not char.isascii()
        }
        self._data_version = data_version
        table: dict[int, str] = {}
        for code in _candidate_code_points(self._hant):
            folded = self.fold_char(chr(code))
            if folded != chr(code):
                table[code] = folded
        self._table = table
        ascii_dropped = [c for c in range(0x80) if table.get(c) == ""]
        self._ascii_dropped = bytes(ascii_dropped)
        # Lower-case ASCII capitals; mark the lead byte of every 4-byte UTF-8
        # sequence (an astral code point, e.g. an emoji) with 0xFF, a byte that
        # never occurs in UTF-8, so one memchr afterwards finds them.
        self._ascii_lower = bytes.maketrans(
            bytes(range(0x41, 0x5B)) + bytes(range(0xF0, 0xF5)),
            bytes(range(0x61, 0x7B)) + b"\xff" * 5,
        )
        self._dropped_by_quick_fold = frozenset(map(chr, ascii_dropped))
        needs, bridge = self._full_fold_patterns(table)
        self._table_needed = frozenset(map(chr, needs))
        self._needs_table = re.compile(f"[{_char_class(needs)}]").search
        self._bridges_breaks = re.compile(bridge).search

    @property
    def quick_translation(self) -> tuple[bytes, bytes]:
        """The ``bytes.translate`` arguments of the quick fold (table, bytes deleted):
        ASCII capitals lower-cased, ASCII separators dropped, and the lead byte of
        every astral character (four UTF-8 bytes) made ``0xFF``, which UTF-8 never holds."""
        return self._ascii_lower, self._ascii_dropped

    @property
    def table_needed(self) -> frozenset[str]:
        """The characters below U+10000 that only the whole table folds: a text holding
        one of them (or an astral one) is no text for the quick fold."""
        return self._table_needed

    @property
    def data_version(self) -> str:
        """Which Unicode data the table was built from (recorded with the wordlist version)."""
        return self._data_version

    def fold_char(self, char: str) -> str:
        """The canonical spelling of one character; empty for a separator."""
        if char in CLAUSE_BREAKS or char in self._ignorable:
            return ""
        out = []
        for part in unicodedata.normalize("NFKC", char).casefold():
            for piece in unicodedata.normalize("NFKC", self._hant.get(part, part)):
                if not (_is_separator(piece) or piece in self._ignorable):
                    out.append(self._latin(piece))
        return "".join(out)

    def _latin(self, char: str) -> str:
        """A letter's ASCII reading: diacritics stripped, then UTS #39 prototypes."""
        if char.isascii():
            return char
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not _is_separator(c))
        if base and base.isascii():
            return base
        return self._confusables.get(char, char)

    def evasion_of(self, char: str) -> str:
        """How one original character disguises its folded form: ``traditional``,
        ``confusable`` (look-alike, full width, fancy font, diacritics), or ``""``."""
        if char in self._hant:
            return "traditional"
        folded = self.canonical(char)
        if folded and folded != char.lower():
            return "confusable"
        return ""

    def fold_term(self, term: str) -> str:
        """A wordlist term in the form it is matched in (the same folding as text)."""
        return term.translate(self._table)

    def canonical(self, char: str) -> str:
        """The folded form of one character (empty for a separator)."""
        return self._table.get(ord(char), char)

    def quick_fold(self, text: str, encoded: bytes | None = None) -> bytes | None:
        """The folded UTF-8 of ``text`` if it needs nothing but ASCII folding, else ``None``.

        The result drops ASCII separators and lower-cases ASCII capitals; every
        other character, clause breaks included, is kept as it is. ``encoded``
        is ``text`` as UTF-8, if the caller has it already.
        """
        if encoded is None:
            encoded = text.encode()
        folded = self.quick_bytes(text, encoded)
        if folded is None or self._bridges_breaks(text) is not None:
            return None
        return folded

    def quick_bytes(self, text: str, encoded: bytes) -> bytes | None:
        """:meth:`quick_fold` without its test for a match bridging clause breaks
        (派，出，所), for a caller that finds those itself: the scanner's automaton
        holds probes for them, which costs clean text nothing, where the regex
        test costs a third of a clean scan."""
        if self._needs_table(text) is not None:
            return None
        folded = encoded.translate(self._ascii_lower, self._ascii_dropped)
        return None if 0xFF in folded else folded

    def may_bridge_breaks(self, text: str) -> bool:
        """Whether a match in ``text`` could bridge a clause break: a single character
        stands between two breaks (派，出，所), separators aside."""
        return self._bridges_breaks(text) is not None

    def quick_folded_text(self, text: str) -> FoldedText:
        """The :class:`FoldedText` of a text for which :meth:`quick_fold` succeeded."""
        dropped = self._dropped_by_quick_fold
        folded = text.encode().translate(self._ascii_lower, self._ascii_dropped).decode()
        if len(folded) == len(text):
            return FoldedText(text, folded, None, ascii_folded_only=True)
        return FoldedText(
            text,
            folded,
            lambda: [i for i, char in enumerate(text) if char not in dropped],
            ascii_folded_only=True,
        )

    def fold(self, text: str) -> FoldedText:
        """Fold ``text`` through the whole table: the reference every path must equal."""
        table = self._table

        def trace() -> list[int]:
            return [
                i for i, char in enumerate(text) for _ in range(len(table.get(ord(char), char)))
            ]

        return FoldedText(text, text.translate(table), trace)

    def _full_fold_patterns(self, table: Mapping[int, str]) -> tuple[list[int], str]:
        """Where a text needs more than :meth:`quick_fold` does: the code points, and a
        regex for the clause breaks a match may bridge.

        The code points are every non-ASCII one below U+10000 that folds to
        something else (other than a clause break, which the quick fold keeps in
        place) or whose ``lower()`` differs; the regex finds a single character
        between two clause breaks (separators aside), the only place a match may
        bridge them (派，出，所). Astral characters (emoji) are found in the UTF-8
        bytes, because one astral code point would turn a compiled class from a
        bitmap (an O(1) test per character) into a list of ranges.
        """
        needs: list[int] = []
        separators: list[int] = []
        for code in range(0x80, 0x10000):
            char = chr(code)
            folded = table.get(code, char)
            if folded == "":
                separators.append(code)
            if char in CLAUSE_BREAKS:
                continue
            if folded != char or char.lower() != char:
                needs.append(code)
        separators += [c for c in range(0x80) if table.get(c) == ""]
        sep = _char_class(sorted(separators))
        brk = _char_class(sorted(map(ord, CLAUSE_BREAKS)))
        # Possessive runs never backtrack (half the time on every text, #15); the
        # second run stops before a clause break, which is itself a separator.
        between = _char_class(sorted(set(separators) - set(map(ord, CLAUSE_BREAKS))))
        return needs, f"[{brk}][{sep}]*+[^{sep}][{between}]*+[{brk}]"


def _candidate_code_points(hant: Mapping[str, str]) -> Iterable[int]:
    for low, high in _SCANNED_RANGES:
        yield from range(low, high)
    for char in hant:
        code = ord(char)
        if not any(low <= code < high for low, high in _SCANNED_RANGES):
            yield code


def _char_class(codes: list[int]) -> str:
    """A regex character-class body for sorted code points, written as ranges."""
    parts: list[str] = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        first, last = re.escape(chr(codes[i])), re.escape(chr(codes[j]))
        parts.append(first if i == j else f"{first}-{last}")
        i = j + 1
    return "".join(parts)
