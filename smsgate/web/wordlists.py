"""The wordlists page: the live version, its terms by category, and a scratch box.

The scratch box scans any text with the gateway's current scanner, the very
object the send path and ``smsgate scan`` use, so what a reviewer sees here
is what a message would get. It is a POST (with the CSRF token) so the text
typed, which may quote a debtor, never lands in a URL, a proxy log or the
browser history. Nothing is stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from smsgate.core.audience import Audience
from smsgate.core.scanner import ScanResult
from smsgate.core.scanner.wordlist import TermList
from smsgate.web.auth import Page
from smsgate.web.marks import Piece, findings_in_order, highlighted

#: The longest scratch text scanned (a six-segment SMS is far shorter).
MAX_SCRATCH_CHARS = 5000


@dataclass(frozen=True, slots=True)
class Scratch:
    """A scanned scratch text and what the scanner found."""

    text: str
    audience: Audience
    result: ScanResult
    pieces: list[Piece]
    findings: list[Mapping[str, Any]]


async def wordlists_page(page: Page) -> web.StreamResponse:
    """The live wordlist and an empty scratch box."""
    return _render(page, None)


async def scan(page: Page) -> web.StreamResponse:
    """The page with the posted text scanned for the posted audience."""
    text = page.field("text")[:MAX_SCRATCH_CHARS]
    audience = Audience.THIRD_PARTY if page.field("audience") == "third_party" else Audience.DEBTOR
    result = page.gateway.wordlists.current().scan(text, audience)
    findings = findings_in_order(finding.to_dict() for finding in result.findings)
    scratch = Scratch(text, audience, result, highlighted(text, findings), findings)
    return _render(page, scratch)


def _render(page: Page, scratch: Scratch | None) -> web.StreamResponse:
    wordlist = page.gateway.wordlists.current().wordlist
    return page.render(
        "wordlists.html",
        nav="wordlists",
        version=wordlist.version,
        categories=by_category(wordlist.lists),
        allowed=len(wordlist.allowed_phrases),
        scratch=scratch,
        audiences=list(Audience),
    )


def by_category(lists: tuple[TermList, ...]) -> list[tuple[str, list[TermList]]]:
    """The term lists grouped by category, categories by name, block lists first."""
    groups: dict[str, list[TermList]] = defaultdict(list)
    for term_list in lists:
        groups[term_list.category].append(term_list)
    return [
        (category, sorted(groups[category], key=lambda tl: (tl.severity.value, tl.file)))
        for category in sorted(groups)
    ]
