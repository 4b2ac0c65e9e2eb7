"""Wordlists as data: a TOML manifest naming term files by category and severity.

Terms are data, not code: compliance staff extend them without a release, the
gateway reloads them without a restart, and every message and template review
records the version it was checked against. This module only parses text it
is given; reading the files is the shell's job (``smsgate.wordlists``).

The version is the manifest's declared version plus a digest of every file's
content, so an edit that forgets to bump the declared version is still a new,
distinguishable version.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smsgate.core.audience import Audience
from smsgate.core.scanner.findings import Severity

_LIST_KEYS = frozenset(
    {"file", "category", "severity", "audiences", "pinyin", "pinyin_terms", "initials"}
    | {"homophones"}
    | {"source", "description"}
)


class WordlistError(ValueError):
    """The manifest or a term file is malformed; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class TermList:
    """One file of terms sharing a category, a severity and the audiences it applies to."""

    file: str
    category: str
    severity: Severity
    audiences: frozenset[Audience]
    terms: tuple[str, ...]
    pinyin: bool = False
    initials: bool = False
    source: str = ""
    #: Terms matched in pinyin although the list is not (``pinyin`` false): the
    #: ones whose pinyin reads unambiguously as the term (法院 fayuan, 诉讼
    #: susong), unlike 报案 baoan, which is also 保安 (a security guard).
    pinyin_terms: frozenset[str] = frozenset()
    #: Also match the terms written with a same-sounding character (公按 for 公安):
    #: for lists whose terms are words a reader hears (impersonation, threats,
    #: insults), not for phrase lists (通讯录, 你单位), where a swap is an
    #: everyday phrase more often than an evasion.
    homophones: bool = False

    def spelled_in_pinyin(self, term: str) -> bool:
        """Whether ``term`` of this list is also matched in pinyin."""
        return self.pinyin or term in self.pinyin_terms


@dataclass(frozen=True, slots=True)
class AllowedPhrase:
    """A harmless reading of a phrase that holds a term (上门服务 holds 上门).

    The phrase is harmless only as itself: it stops being harmless when a
    threat cue stands right before it (``not_after``: 就上门服务, 派人上门回收)
    or right after it (``not_before``: 上门回收欠款). A cue is matched on the
    folded text like a term, so separators between cue and phrase don't part
    them; a clause break (，。) does.
    """

    phrase: str
    not_after: tuple[str, ...] = ()
    not_before: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Wordlist:
    """Every term list plus the allow-list, at one version."""

    version: str
    lists: tuple[TermList, ...]
    allowed: tuple[AllowedPhrase, ...]

    @property
    def allowed_phrases(self) -> tuple[str, ...]:
        """The allow-listed phrases alone, without their cues."""
        return tuple(entry.phrase for entry in self.allowed)


def parse_terms(text: str) -> tuple[str, ...]:
    """The terms of one file: one a line, ``#`` comments and blank lines ignored."""
    terms = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(dict.fromkeys(term for term in terms if term))


#: Where an allow-list line's cues begin: ``not-after=就,派人`` / ``not-before=欠款``.
_CUES = re.compile(r"(?:^|\s)[a-z][a-z-]*=")
_CUE = re.compile(r"not-(after|before)=(\S*)")


def parse_allowed(text: str, name: str = "allow.txt") -> tuple[AllowedPhrase, ...]:
    """The phrases of an allow file: one a line, optionally followed by its threat cues.

    ``上门服务  not-after=就,派人  not-before=欠款`` (cues comma-separated; a key
    may repeat). A phrase listed twice gets the cues of both lines. Raises
    :class:`WordlistError` for cues without a phrase, or text that is not a cue.
    """
    entries: dict[str, AllowedPhrase] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        opening = _CUES.search(line)
        phrase = line[: opening.start()].strip() if opening else line
        cues: dict[str, list[str]] = {"after": [], "before": []}
        for field in line[len(phrase) :].split():
            cue = _CUE.fullmatch(field)
            if cue is None or not phrase:
                raise WordlistError(f"{name}:{number}: expected 'PHRASE [not-after=A,B] …'")
            cues[cue[1]] += [c for c in cue[2].split(",") if c]
        if phrase:
            known = entries.get(phrase, AllowedPhrase(phrase))
            entries[phrase] = AllowedPhrase(
                phrase,
                tuple(dict.fromkeys([*known.not_after, *cues["after"]])),
                tuple(dict.fromkeys([*known.not_before, *cues["before"]])),
            )
    return tuple(entries.values())


def parse_wordlist(manifest_text: str, files: Mapping[str, str]) -> Wordlist:
    """Build a :class:`Wordlist` from the manifest and the text of every file it names.

    Raises :class:`WordlistError` for invalid TOML, unknown keys, unknown
    severities or audiences, and files the manifest names but ``files`` lacks.
    """
    try:
        manifest = tomllib.loads(manifest_text)
    except tomllib.TOMLDecodeError as error:
        raise WordlistError(f"manifest.toml: {error}") from error
    declared = manifest.get("version")
    if not isinstance(declared, str) or not declared:
        raise WordlistError("manifest.toml: 'version' must be a non-empty string")
    lists = tuple(_term_list(entry, files) for entry in _entries(manifest))
    allow_files = manifest.get("allow", {}).get("files", [])
    allowed = tuple(
        entry for name in allow_files for entry in parse_allowed(_file(files, name), name)
    )
    return Wordlist(_version(declared, manifest_text, files), lists, allowed)


def _entries(manifest: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entries = manifest.get("lists")
    if not isinstance(entries, list) or not entries:
        raise WordlistError("manifest.toml: at least one [[lists]] entry is required")
    return entries


def _term_list(entry: Mapping[str, Any], files: Mapping[str, str]) -> TermList:
    name = entry.get("file")
    if not isinstance(name, str):
        raise WordlistError("manifest.toml: every [[lists]] entry needs a 'file'")
    unknown = set(entry) - _LIST_KEYS
    if unknown:
        raise WordlistError(f"manifest.toml: {name}: unknown keys {sorted(unknown)}")
    try:
        severity = Severity(str(entry.get("severity")))
        audiences = frozenset(Audience(a) for a in entry.get("audiences", list(Audience)))
    except ValueError as error:
        raise WordlistError(f"manifest.toml: {name}: {error}") from error
    category = entry.get("category")
    if not isinstance(category, str) or not category:
        raise WordlistError(f"manifest.toml: {name}: 'category' must be a non-empty string")
    terms = parse_terms(_file(files, name))
    return TermList(
        file=name,
        category=category,
        severity=severity,
        audiences=audiences,
        terms=terms,
        pinyin=bool(entry.get("pinyin", False)),
        initials=bool(entry.get("initials", False)),
        homophones=bool(entry.get("homophones", False)),
        source=str(entry.get("source", "")),
        pinyin_terms=_pinyin_terms(entry, name, terms),
    )


def _pinyin_terms(entry: Mapping[str, Any], name: str, terms: tuple[str, ...]) -> frozenset[str]:
    listed = entry.get("pinyin_terms", [])
    if not isinstance(listed, list) or not all(isinstance(term, str) for term in listed):
        raise WordlistError(f"manifest.toml: {name}: 'pinyin_terms' must be a list of terms")
    unknown = sorted(set(listed) - set(terms))
    if unknown:
        raise WordlistError(f"manifest.toml: {name}: 'pinyin_terms' not in the file: {unknown}")
    return frozenset(listed)


def _file(files: Mapping[str, str], name: str) -> str:
    try:
        return files[name]
    except KeyError:
        raise WordlistError(f"manifest.toml names {name!r}, which does not exist") from None


def _version(declared: str, manifest_text: str, files: Mapping[str, str]) -> str:
    digest = hashlib.sha256(manifest_text.encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return f"{declared}+{digest.hexdigest()[:12]}"
