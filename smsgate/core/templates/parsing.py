"""Parsing a template body while keeping track of where every token is.

Jinja's parser and AST know line numbers only, but an author fixing a
template wants a column, and the linter must map scan findings of literal
text back to offsets into the body. So the body is lexed with Jinja's own
lexer (the single source of truth on what is a tag and what is text) and
each raw token is located in the body; the parser is then fed from that
located stream, so a syntax error can be pinned to the token it stopped at.

Literal text is grouped into *runs*: stretches a reader sees as continuous in
some rendering. Comments and ``{% if %}``/``{% endif %}`` tags render nothing,
so text on both sides joins (``公{# x #}安`` can only render as 公安). A
``{{ variable }}`` always renders something (values are never empty) and an
``{% elif %}``/``{% else %}`` separates branches that never appear together,
so those end a run: a sensitive term is never invented across them.

A parsed template is also held to a size: at most :data:`MAX_NESTING_DEPTH`
levels of nodes (Jinja's code generator and Python's compiler recurse on the
tree, and Python refuses more than 100 levels of indentation, so a deeper
tree would fail later with an error no author could read) and at most
:data:`MAX_TEMPLATE_NODES` nodes (far more than a 2,000-character body can
hold; it bounds the work of everything downstream, rendering included); a
body itself may have at most :data:`MAX_TEMPLATE_CHARS` characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.lexer import Token, TokenStream
from jinja2.parser import Parser

from smsgate.core.templates.errors import TemplateSyntaxProblem

NEWLINE = re.compile(r"\r\n|\r|\n")
TAG_BEGINS = frozenset({"variable_begin", "block_begin", "comment_begin", "raw_begin"})
# Block keywords that start a branch which never renders next to the previous one.
RUN_BREAKING_KEYWORDS = frozenset({"elif", "else"})
#: A template's tree is at most this deep: ``{% if %}`` blocks, operators and
#: filter chains each add a level; real templates use fewer than ten.
MAX_NESTING_DEPTH = 40
#: A template's tree has at most this many nodes (a body has at most about one per character).
MAX_TEMPLATE_NODES = 8_000
#: Longer bodies are refused before lexing: Jinja's lexer slows down faster than
#: linearly on long texts, and the API admits 2,000 characters anyway.
MAX_TEMPLATE_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class PositionedToken:
    """One raw token of Jinja's lexer with its offsets in the body (end exclusive)."""

    lineno: int
    kind: str
    value: str
    start: int
    end: int


def positioned_tokens(environment: Environment, body: str) -> Iterator[PositionedToken]:
    """Jinja's raw tokens of ``body`` with offsets; raises the lexer's ``TemplateSyntaxError``."""
    cursor = 0
    for lineno, kind, value in environment.lexer.tokeniter(body, None):
        start, end = _locate(body, value, cursor)
        yield PositionedToken(lineno, kind, value, start, end)
        cursor = end


def _locate(body: str, value: str, cursor: int) -> tuple[int, int]:
    """Find ``value`` at or after ``cursor``; the lexer only skips stripped whitespace."""
    if not value:
        return cursor, cursor
    # The lexer reports every line break as "\n" whatever the body used.
    pattern = f"(?:{NEWLINE.pattern})".join(re.escape(part) for part in value.split("\n"))
    found = re.compile(pattern).search(body, cursor)
    return found.span() if found else (cursor, cursor)


def line_and_column(body: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of a code-point ``offset`` into ``body``."""
    line, line_start = 1, 0
    for newline in NEWLINE.finditer(body, 0, offset):
        line, line_start = line + 1, newline.end()
    return line, offset - line_start + 1


@dataclass
class _TrackedStream:
    """Feeds the parser and remembers the body offset of every token it hands out."""

    environment: Environment
    body: str
    raw_start: int = 0
    raw_end: int = 0
    lexer_failed: bool = False
    wrap_failed: bool = False
    handed_out: list[tuple[Token, int]] = field(default_factory=list)

    def _raw(self) -> Iterator[tuple[int, str, str]]:
        try:
            for token in positioned_tokens(self.environment, self.body):
                self.raw_start, self.raw_end = token.start, token.end
                yield token.lineno, token.kind, token.value
        except TemplateSyntaxError:
            self.lexer_failed = True
            raise

    def tokens(self) -> Iterator[Token]:
        try:
            for token in self.environment.lexer.wrap(self._raw()):
                self.handed_out.append((token, self.raw_start))
                yield token
        except TemplateSyntaxError:
            self.wrap_failed = not self.lexer_failed
            raise
        except ValueError:
            # int() refuses a literal of more than sys.get_int_max_str_digits() digits.
            self.wrap_failed = True
            line = line_and_column(self.body, self.raw_start)[0]
            raise TemplateSyntaxError("number with too many digits", line) from None

    def offset_of_failure(self, current: Token | None, message: str) -> int:
        """Best effort: the parser sometimes fails one token after the culprit."""
        if self.lexer_failed:
            return self.raw_end  # the lexer could not match what comes next
        if self.wrap_failed or current is None:
            return self.raw_start  # the last raw token was malformed
        for token, start in reversed(self.handed_out):
            if token is current:
                return start
        # The parser stands at the end: blame the end only if it says so.
        if "end of template" in message or not self.handed_out:
            return len(self.body)
        return self.handed_out[-1][1]


def parse_template(environment: Environment, body: str) -> nodes.Template:
    """Parse ``body``; raises :class:`TemplateSyntaxProblem` with line and, if known, column.

    A body longer than :data:`MAX_TEMPLATE_CHARS`, or a tree deeper than
    :data:`MAX_NESTING_DEPTH` or larger than :data:`MAX_TEMPLATE_NODES`, is a
    :class:`TemplateSyntaxProblem` too.
    """
    if len(body) > MAX_TEMPLATE_CHARS:
        message = f"the template is longer than {MAX_TEMPLATE_CHARS} characters"
        raise TemplateSyntaxProblem(message)
    stream = _TrackedStream(environment, body)
    parser: Parser | None = None
    try:
        # Parse "" first: Parser() lexes its source eagerly, ours is fed below.
        parser = Parser(environment, "")
        parser.stream = TokenStream(stream.tokens(), None, None)
        ast = parser.parse()
    except TemplateSyntaxError as error:
        current = parser.stream.current if parser is not None else None
        message = error.message or "syntax error"
        line, column = line_and_column(body, stream.offset_of_failure(current, message))
        located = column if line == error.lineno else None
        raise TemplateSyntaxProblem(message, error.lineno, located) from None
    except RecursionError:
        raise TemplateSyntaxProblem("the template is nested too deeply") from None
    check_size(ast)
    return ast


def check_size(ast: nodes.Template) -> None:
    """Raise :class:`TemplateSyntaxProblem` for a tree too deep or too large to compile.

    Walks with an explicit stack: recursion is what a deep tree must not get.
    """
    stack: list[tuple[nodes.Node, int]] = [(ast, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_NESTING_DEPTH:
            message = f"the template is nested too deeply (more than {MAX_NESTING_DEPTH} levels)"
            raise TemplateSyntaxProblem(message, node.lineno or None)
        if count > MAX_TEMPLATE_NODES:
            message = f"the template is too large (more than {MAX_TEMPLATE_NODES} parts)"
            raise TemplateSyntaxProblem(message, node.lineno or None)
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())


class Locator:
    """Columns for AST nodes, which carry only a line: the next matching token on that line."""

    def __init__(self, body: str, tokens: Sequence[PositionedToken]) -> None:
        self._body = body
        self._tokens = tokens
        self._used: set[int] = set()

    def column(self, line: int, needle: str | None) -> int | None:
        """Column of the first unclaimed tag token ``needle`` on ``line``, else of its first tag."""
        fallback: int | None = None
        for index, token in enumerate(self._tokens):
            if token.lineno != line or token.kind == "data":
                continue
            if token.kind in TAG_BEGINS and fallback is None:
                fallback = index
            if needle is not None and token.value == needle and index not in self._used:
                self._used.add(index)
                return line_and_column(self._body, token.start)[1]
        if fallback is None:
            return None
        return line_and_column(self._body, self._tokens[fallback].start)[1]


@dataclass(frozen=True, slots=True)
class LiteralRun:
    """Literal text that renders contiguously, with each character's offset in the body."""

    text: str
    offsets: tuple[int, ...]

    def body_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of :attr:`text` (end exclusive, non-empty) to a span of the body."""
        return self.offsets[start], self.offsets[end - 1] + 1


def literal_runs(body: str, tokens: Sequence[PositionedToken]) -> list[LiteralRun]:
    """Group the body's literal text into runs (see the module docstring)."""
    runs: list[LiteralRun] = []
    offsets: list[int] = []
    awaiting_keyword = False
    for token in tokens:
        breaks = token.kind == "variable_begin" or (
            awaiting_keyword and token.kind == "name" and token.value in RUN_BREAKING_KEYWORDS
        )
        if breaks and offsets:
            runs.append(_run(body, offsets))
            offsets = []
        if token.kind == "data":
            offsets.extend(range(token.start, token.end))
        if token.kind == "block_begin" or token.kind == "name":
            awaiting_keyword = token.kind == "block_begin"
    if offsets:
        runs.append(_run(body, offsets))
    return runs


def _run(body: str, offsets: list[int]) -> LiteralRun:
    return LiteralRun("".join(body[offset] for offset in offsets), tuple(offsets))
