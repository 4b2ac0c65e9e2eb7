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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smsgate.core.audience import Audience
from smsgate.core.scanner.findings import Severity

_LIST_KEYS = frozenset(
    {"file", "category", "severity", "audiences", "pinyin", "initials", "source", "description"}
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


@dataclass(frozen=True, slots=True)
class Wordlist:
    """Every term list plus the allow-list, at one version."""

    version: str
    lists: tuple[TermList, ...]
    allowed_phrases: tuple[str, ...]


def parse_terms(text: str) -> tuple[str, ...]:
    """The terms of one file: one a line, ``#`` comments and blank lines ignored."""
    terms = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(dict.fromkeys(term for term in terms if term))


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
        dict.fromkeys(term for name in allow_files for term in parse_terms(_file(files, name)))
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
    return TermList(
        file=name,
        category=category,
        severity=severity,
        audiences=audiences,
        terms=parse_terms(_file(files, name)),
        pinyin=bool(entry.get("pinyin", False)),
        initials=bool(entry.get("initials", False)),
        source=str(entry.get("source", "")),
    )


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
