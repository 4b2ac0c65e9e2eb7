"""Loading wordlists from disk and swapping in new versions without a restart.

The pure scanner (:mod:`smsgate.core.scanner`) parses text; this shell reads
the files. :class:`WordlistSource` watches a directory and rebuilds the
scanner when its files change, so compliance staff can publish terms while
the gateway runs. A broken edit never replaces a working scanner: the error
is logged and the last good version keeps serving.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import cache
from importlib import metadata
from importlib.resources import files
from pathlib import Path

import regex
import structlog

from smsgate.core.replies import ReplyClassifier, parse_reply_rules
from smsgate.core.scanner.boundaries import FrequencyLexicon
from smsgate.core.scanner.folding import CharacterFolding
from smsgate.core.scanner.scanner import Scanner
from smsgate.core.scanner.wordlist import Wordlist, WordlistError, parse_wordlist
from smsgate.resources import shipped_dir

MANIFEST = "manifest.toml"

log = structlog.get_logger(__name__)


def shipped_wordlists() -> Path:
    """The directory of the wordlists shipped with smsgate."""
    return shipped_dir("wordlists")


def load_wordlist(directory: Path) -> Wordlist:
    """Read and parse the wordlist in ``directory``.

    Raises :class:`WordlistError` (also for unreadable or non-UTF-8 files).
    """
    try:
        manifest = (directory / MANIFEST).read_text(encoding="utf-8")
        texts = {
            path.relative_to(directory).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(directory.rglob("*.txt"))
        }
    except (OSError, UnicodeDecodeError) as error:
        raise WordlistError(f"{directory}: {error}") from error
    return parse_wordlist(manifest, texts)


@cache
def default_folding() -> CharacterFolding:
    """The process-wide character folding, built once (it takes about a second)."""
    return CharacterFolding(
        traditional_to_simplified(),
        ignorable=default_ignorable(),
        confusables=latin_confusables(),
        data_version=unicode_data_version(),
    )


def default_ignorable() -> frozenset[str]:
    """Every Default_Ignorable_Code_Point, from the ``regex`` module's Unicode tables
    (Python's ``unicodedata`` lacks the property)."""
    ignorable = regex.compile(r"\p{Default_Ignorable_Code_Point}")
    return frozenset(
        char for char in map(chr, range(0x110000)) if ignorable.match(char) is not None
    )


def latin_confusables() -> dict[str, str]:
    """Each character UTS #39 lists as confusable with one ASCII letter, and that letter.

    The data is ``confusables.txt`` as shipped (in JSON) by ``confusable-homoglyphs``.
    """
    table = files("confusable_homoglyphs") / "confusables.json"
    data: dict[str, list[dict[str, str]]] = json.loads(table.read_text(encoding="utf-8"))
    mapping: dict[str, str] = {}
    for char, homoglyphs in data.items():
        for homoglyph in homoglyphs:
            letter = homoglyph["c"].casefold()
            if len(letter) == 1 and "a" <= letter <= "z":
                mapping[char] = letter
                break
    return mapping


def unicode_data_version() -> str:
    """The packages the Unicode data came from, as recorded beside the wordlist version."""
    return ",".join(f"{name}-{metadata.version(name)}" for name in _UNICODE_DATA_PACKAGES)


#: The packages whose data decides what the scanner finds: Unicode properties,
#: UTS #39 confusables, and jieba's dictionary (word boundaries, homophones).
_UNICODE_DATA_PACKAGES = ("regex", "confusable-homoglyphs", "jieba")


def traditional_to_simplified() -> dict[str, str]:
    """OpenCC's character table, first candidate of each traditional character."""
    table = files("opencc") / "dictionary" / "TSCharacters.txt"
    mapping: dict[str, str] = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        traditional, _, simplified = line.partition("\t")
        if traditional and simplified:
            mapping[traditional] = simplified.split()[0]
    return mapping


REPLY_RULES_FILE = "replies.toml"


@cache
def reply_classifier(directory: Path | None = None) -> ReplyClassifier:
    """The reply classifier of ``directory/replies.toml``, built once per process.

    A wordlist directory without that file (an agency's own lists predating
    it) uses the shipped rules: a missing file must never switch off 退订.
    Raises ``InvalidReplyRules`` for a malformed file.
    """
    path = (directory or shipped_wordlists()) / REPLY_RULES_FILE
    if not path.is_file():
        path = shipped_wordlists() / REPLY_RULES_FILE
    return load_reply_rules(path)


def load_reply_rules(path: Path) -> ReplyClassifier:
    """A classifier for the rule file at ``path`` (``smsgate replies classify --rules``).

    Raises ``InvalidReplyRules`` for a malformed file and ``OSError`` for an unreadable one.
    """
    folding = default_folding()
    rules = parse_reply_rules(path.read_text(encoding="utf-8"), folding.fold_term)
    return ReplyClassifier(rules, folding)


@cache
def default_lexicon() -> FrequencyLexicon:
    """jieba's dictionary (``dict.txt``: word, frequency, part of speech), read once per
    process the first time a text needs it (about a third of a second, ~55 MB)."""
    frequencies: dict[str, int] = {}
    # Line by line: reading the 5 MB file whole and splitting it leaves some
    # 70 MB of fragments in the process; streamed, the table costs about 55 MB.
    with (files("jieba") / "dict.txt").open("r", encoding="utf-8") as table:
        for line in table:
            word, count, *_ = line.split(" ", 2)
            frequencies[word] = int(count)
    return FrequencyLexicon.of(frequencies)


def load_scanner(directory: Path | None = None) -> Scanner:
    """A scanner for the wordlist in ``directory`` (default: the shipped one)."""
    wordlist = load_wordlist(directory or shipped_wordlists())
    return Scanner(wordlist, default_folding(), default_lexicon)


class WordlistSource:
    """The current scanner for a wordlist directory, rebuilt when the files change.

    ``current()`` is cheap: it looks at the files' sizes and modification times
    at most every ``check_interval`` seconds, and rebuilds only when they differ.
    """

    def __init__(
        self,
        directory: Path,
        *,
        check_interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str | None, str], None] | None = None,
    ) -> None:
        self._directory = directory
        self._interval = check_interval
        self._clock = clock
        self._on_change = on_change
        self._fingerprint = self._stat()
        self._scanner = load_scanner(directory)
        self._checked_at = clock()

    def current(self) -> Scanner:
        """The scanner of the newest valid version of the wordlist."""
        now = self._clock()
        if now - self._checked_at >= self._interval:
            self._checked_at = now
            self.reload_if_changed()
        return self._scanner

    def reload_if_changed(self) -> bool:
        """Rebuild the scanner if the files changed; True if a new version is live."""
        fingerprint = self._stat()
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        try:
            scanner = load_scanner(self._directory)
        except WordlistError as error:
            log.error("wordlist_reload_failed", directory=str(self._directory), error=str(error))
            return False
        old = self._scanner.version
        if scanner.version == old:
            return False
        self._scanner = scanner
        log.info("wordlist_version_changed", old_version=old, new_version=scanner.version)
        if self._on_change is not None:
            self._on_change(old, scanner.version)
        return True

    def _stat(self) -> tuple[tuple[str, int, int], ...]:
        """Size and modification time of every file; a file that vanished counts as changed."""
        fingerprint = []
        for path in sorted([*self._directory.rglob("*.txt"), self._directory / MANIFEST]):
            try:
                stat = path.stat()
            except OSError:
                fingerprint.append((str(path), -1, -1))
            else:
                fingerprint.append((str(path), stat.st_size, stat.st_mtime_ns))
        return tuple(fingerprint)
