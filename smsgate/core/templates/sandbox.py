"""Compiling and rendering templates inside a locked-down Jinja sandbox.

Templates are written by creditor staff and rendered with values that come
from upstream systems, so both are untrusted. Two walls stand between them
and the interpreter:

1. :func:`compile_template` parses the body and refuses every construct
   outside the SMS subset (see ``constructs.py``) and every variable the
   schema does not declare, before Jinja generates any code.
2. :class:`SmsSandbox`, an ``ImmutableSandboxedEnvironment`` following the
   override points of Jinja's ``sandbox.py``, refuses at render time what the
   first wall already refused: any attribute or item access, any call, any
   operator; it has no globals (no ``range``, ``lipsum``, ``cycler``,
   ``joiner``, ``namespace``, ``dict``), no tests, and only our filters.

Autoescaping is off (this is SMS text, not HTML) and undefined variables
raise (``StrictUndefined``). Values are validated against the schema before
they reach Jinja, and a value is output as text, never re-parsed, so a name
such as ``{{ 7*7 }}`` is sent literally. Without loops, rendering time is
linear in the body; the output is also capped at :data:`MAX_RENDERED_CHARS`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from smsgate.core.audience import Audience
from smsgate.core.sms import Encoding, measure
from smsgate.core.templates.constructs import inspect_template
from smsgate.core.templates.errors import (
    RenderedTooLong,
    RenderRefused,
    TemplateProblem,
    TemplateSyntaxProblem,
)
from smsgate.core.templates.filters import FILTERS
from smsgate.core.templates.parsing import (
    Locator,
    PositionedToken,
    parse_template,
    positioned_tokens,
)
from smsgate.core.templates.schema import TemplateSchema, parse_schema, sample_values, validate

# Far above any sensible message (6 UCS-2 segments are 402 characters) and far
# below anything that could hurt.
MAX_RENDERED_CHARS = 2_000


class SmsSandbox(ImmutableSandboxedEnvironment):
    """A Jinja environment in which templates can only print variables through our filters."""

    # Route every operator through call_binop/call_unop, which refuse; this
    # also stops the optimizer from folding constants such as 9**9**9 at compile.
    intercepted_binops = frozenset(SandboxedEnvironment.default_binop_table)
    intercepted_unops = frozenset(SandboxedEnvironment.default_unop_table)

    def __init__(self) -> None:
        super().__init__(
            autoescape=False,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            cache_size=0,
        )
        self.globals.clear()
        self.filters = {name: allowed.function for name, allowed in FILTERS.items()}
        self.tests = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return False

    def is_safe_callable(self, obj: Any) -> bool:
        return False

    def getattr(self, obj: Any, attribute: str) -> NoReturn:
        raise SecurityError(f"attribute access {attribute!r} is not allowed in SMS templates")

    def getitem(self, obj: Any, argument: Any) -> NoReturn:
        raise SecurityError(f"item access [{argument!r}] is not allowed in SMS templates")

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> NoReturn:
        raise SecurityError(f"operator {operator!r} is not allowed in SMS templates")

    def call_unop(self, context: Context, operator: str, arg: Any) -> NoReturn:
        raise SecurityError(f"operator {operator!r} is not allowed in SMS templates")


@dataclass(frozen=True, slots=True)
class Analysis:
    """A parsed body: its AST, located tokens, problems in source order, variables used."""

    ast: nodes.Template
    tokens: tuple[PositionedToken, ...]
    problems: tuple[TemplateProblem, ...]
    used: Mapping[str, int]


def analyse(environment: SmsSandbox, body: str, schema: TemplateSchema) -> Analysis:
    """Parse and inspect ``body``; raises :class:`TemplateSyntaxProblem`, returns other problems."""
    ast = parse_template(environment, body)
    tokens = tuple(positioned_tokens(environment, body))
    inspection = inspect_template(ast, schema, Locator(body, tokens))
    return Analysis(ast, tokens, inspection.problems, inspection.used)


def compile_template(body: str, schema: TemplateSchema) -> CompiledTemplate:
    """Compile ``body`` for rendering with values that fit ``schema``.

    Raises the first :class:`TemplateProblem` in source order:
    :class:`TemplateSyntaxProblem`, :class:`ForbiddenConstruct`,
    :class:`FilterMisuse` or :class:`UnknownVariable` (``lint`` lists them all).
    """
    environment = SmsSandbox()
    analysis = analyse(environment, body, schema)
    if analysis.problems:
        raise analysis.problems[0]
    template = _jinja_template(environment, analysis.ast)
    return CompiledTemplate(body, schema, frozenset(analysis.used), template, environment)


def _jinja_template(environment: SmsSandbox, ast: nodes.Template) -> Template:
    try:
        # Jinja's optimizer rewrites the tree it compiles; keep the caller's intact.
        return environment.from_string(copy.deepcopy(ast))
    except TemplateSyntaxError as error:
        raise TemplateSyntaxProblem(error.message or "syntax error", error.lineno) from None


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A template ready to render: its body, its schema and the variables it uses."""

    body: str
    schema: TemplateSchema
    variables_used: frozenset[str]
    _template: Template = field(repr=False, compare=False)
    _environment: SmsSandbox = field(repr=False, compare=False)

    def render(self, values: Mapping[str, object]) -> str:
        """Validate ``values`` and render; the text is unsigned (see ``sms.sign``).

        Raises :class:`VariableErrors` for values that do not fit the schema,
        :class:`RenderedTooLong` above :data:`MAX_RENDERED_CHARS`, and
        :class:`RenderRefused` if rendering fails otherwise.
        """
        text = _render(self._template, validate(self.schema, values))
        if len(text) > MAX_RENDERED_CHARS:
            raise RenderedTooLong(len(text), MAX_RENDERED_CHARS)
        return text

    def preview(self) -> str:
        """The template rendered with :func:`sample_values`, as the review UI shows it."""
        return self.render(sample_values(self.schema))

    def longest_text(self) -> str:
        """The widest rendering: longest sample values, and the widest branch of every ``if``.

        Branches are chosen one ``if`` at a time without evaluating its test,
        so the result bounds what any values can produce; it is the basis of
        the segment estimate. Not capped at :data:`MAX_RENDERED_CHARS`.
        """
        values = validate(self.schema, sample_values(self.schema))
        ast = parse_template(self._environment, self.body)
        return self._render_nodes(self._widest(ast.body, values), values)

    def _widest(self, body: list[nodes.Node], values: Mapping[str, Any]) -> list[nodes.Node]:
        chosen: list[nodes.Node] = []
        for node in body:
            if not isinstance(node, nodes.If):
                chosen.append(node)
                continue
            branches = [self._widest(b.body, values) for b in (node, *node.elif_)]
            branches.append(self._widest(node.else_, values))
            chosen.extend(max(branches, key=lambda b: _cost(self._render_nodes(b, values))))
        return chosen

    def _render_nodes(self, body: Iterable[nodes.Node], values: Mapping[str, Any]) -> str:
        template = _jinja_template(self._environment, nodes.Template(list(body), lineno=1))
        return _render(template, values)


def _cost(text: str) -> tuple[bool, int]:
    """Order texts by what they cost: any UCS-2 text above any GSM-7 one, then by units."""
    measured = measure(text)
    return measured.encoding is Encoding.UCS2, measured.units


def _render(template: Template, values: Mapping[str, Any]) -> str:
    try:
        return template.render(values)
    # Jinja's sandbox documentation: "other exceptions may occur during the
    # rendering so the caller has to ensure that all exceptions are caught".
    except Exception as error:
        raise RenderRefused(f"rendering failed: {error}") from error


@dataclass(frozen=True, slots=True)
class TemplateSource:
    """A template as an author submits it: body, audience and variables schema (JSON)."""

    body: str
    audience: Audience
    variables: Mapping[str, Any]

    def schema(self) -> TemplateSchema:
        """The parsed variables schema; raises :class:`SchemaError`."""
        return parse_schema(self.variables)

    def compile(self) -> CompiledTemplate:
        """Parse the schema and compile the body; raises what the two steps raise."""
        return compile_template(self.body, self.schema())
