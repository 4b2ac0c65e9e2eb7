"""Compiling and rendering templates inside a locked-down Jinja sandbox.

Templates are written by creditor staff and rendered with values that come
from upstream systems, so both are untrusted. Three walls stand between them
and the interpreter:

1. :func:`compile_template` parses the body and refuses every construct
   outside the SMS subset (see ``constructs.py``) and every variable the
   schema does not declare, before Jinja generates any code.
2. :class:`SmsSandbox`, an ``ImmutableSandboxedEnvironment`` following the
   override points of Jinja's ``sandbox.py``, refuses at render time what the
   first wall already refused: any attribute or item access, any call, any
   operator; it has no globals (no ``range``, ``lipsum``, ``cycler``,
   ``joiner``, ``namespace``, ``dict``), no tests, and only our filters.
3. Its code generator, :class:`SmsCodeGenerator`, cannot compile a loop, a
   macro, a call block, a block or a reference to another template at all,
   so no part of a template ever runs twice, whatever reaches it.

Autoescaping is off (this is SMS text, not HTML) and undefined variables
raise (``StrictUndefined``). Values are validated against the schema before
they reach Jinja, and a value is output as text, never re-parsed, so a name
such as ``{{ 7*7 }}`` is sent literally.

Limits on rendering, all enforced in pure code (no signals, no threads):

- Time: with nothing that repeats or recurses, every node of the tree runs
  at most once, and a tree has at most ``MAX_TEMPLATE_NODES`` (8,000) nodes
  nested at most ``MAX_NESTING_DEPTH`` (40) deep (``parsing.py``; beyond,
  :class:`TemplateSyntaxProblem`, lint code ``syntax_error``). Values are
  bounded by their schema (500 characters at most), so a render is a few
  thousand bounded steps.
- Output: the text is consumed from ``Template.generate()`` piece by piece,
  and rendering stops as soon as it exceeds :data:`MAX_RENDERED_CHARS`
  (2,000) characters, raising :class:`RenderedTooLong`, a
  :class:`RenderRefused` (the send path answers 422 ``message_too_long``).
  No text longer than the limit plus one piece is ever built.
- Anything else Jinja raises while rendering becomes :class:`RenderRefused`.
"""

from __future__ import annotations

import copy
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

from jinja2 import StrictUndefined, Template, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from smsgate.core.audience import Audience
from smsgate.core.sms import SmsMeasure, measure
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
    check_size,
    parse_template,
    positioned_tokens,
)
from smsgate.core.templates.schema import TemplateSchema, parse_schema, sample_values, validate

# Far above any sensible message (6 UCS-2 segments are 402 characters) and far
# below anything that could hurt.
MAX_RENDERED_CHARS = 2_000


class SmsCodeGenerator(CodeGenerator):
    """Jinja's code generator without the statements that repeat, recurse or load templates.

    Each refusal raises Jinja's ``TemplateAssertionError`` (a
    ``TemplateSyntaxError``) at compile time, before any code runs.
    """

    def _refuse(self, node: nodes.Node, keyword: str) -> NoReturn:
        self.fail(f"'{{% {keyword} %}}' cannot be compiled in the SMS sandbox", node.lineno)

    def visit_For(self, node: nodes.For, frame: Frame) -> NoReturn:
        self._refuse(node, "for")

    def visit_Macro(self, node: nodes.Macro, frame: Frame) -> NoReturn:
        self._refuse(node, "macro")

    def visit_CallBlock(self, node: nodes.CallBlock, frame: Frame) -> NoReturn:
        self._refuse(node, "call")

    def visit_Block(self, node: nodes.Block, frame: Frame) -> NoReturn:
        self._refuse(node, "block")

    def visit_Extends(self, node: nodes.Extends, frame: Frame) -> NoReturn:
        self._refuse(node, "extends")

    def visit_Include(self, node: nodes.Include, frame: Frame) -> NoReturn:
        self._refuse(node, "include")

    def visit_Import(self, node: nodes.Import, frame: Frame) -> NoReturn:
        self._refuse(node, "import")

    def visit_FromImport(self, node: nodes.FromImport, frame: Frame) -> NoReturn:
        self._refuse(node, "from")


class SmsSandbox(ImmutableSandboxedEnvironment):
    """A Jinja environment in which templates can only print variables through our filters."""

    code_generator_class = SmsCodeGenerator

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

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Only a body compiled straight from text comes here (compile_template
        # hands over a checked tree): hold it to the same size limits.
        ast = super()._parse(source, name, filename)
        try:
            check_size(ast)
        except TemplateSyntaxProblem as problem:
            raise TemplateSyntaxError(problem.message, problem.line or 1) from None
        return ast

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
    # parse_template's size limits keep Python's compiler and Jinja's recursive
    # code generator well inside their own limits; should that ever be wrong,
    # the author still gets a template problem, not a crash.
    except (SyntaxError, RecursionError):
        raise TemplateSyntaxProblem("the template is too complex to compile") from None


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
        :class:`RenderedTooLong` as soon as the output exceeds
        :data:`MAX_RENDERED_CHARS`, and :class:`RenderRefused` if rendering
        fails otherwise.
        """
        return _render(self._template, validate(self.schema, values), MAX_RENDERED_CHARS)

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
            chosen.extend(max(branches, key=lambda b: self._measure(b, values).cost_order))
        return chosen

    def _measure(self, body: Iterable[nodes.Node], values: Mapping[str, Any]) -> SmsMeasure:
        return measure(self._render_nodes(body, values))

    def _render_nodes(self, body: Iterable[nodes.Node], values: Mapping[str, Any]) -> str:
        template = _jinja_template(self._environment, nodes.Template(list(body), lineno=1))
        return _render(template, values, limit=None)


def _render(template: Template, values: Mapping[str, Any], limit: int | None) -> str:
    """Render piece by piece, stopping as soon as the text is longer than ``limit``."""
    pieces: list[str] = []
    length = 0
    # Template.generate is a generator function, though typed as returning an Iterator.
    stream = cast(Generator[str, None, None], template.generate(values))
    try:
        for piece in stream:
            pieces.append(piece)
            length += len(piece)
            if limit is not None and length > limit:
                break
    # Jinja's sandbox documentation: "other exceptions may occur during the
    # rendering so the caller has to ensure that all exceptions are caught".
    except Exception as error:
        raise RenderRefused(f"rendering failed: {error}") from error
    finally:
        stream.close()
    if limit is not None and length > limit:
        raise RenderedTooLong(length, limit)
    return "".join(pieces)


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
