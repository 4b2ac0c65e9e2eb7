"""Which Jinja constructs an SMS template may use: a whitelist checked on the parsed AST.

An SMS template is a sentence with blanks, so the allowed language is tiny:
literal text, ``{{ variable }}`` optionally piped through the filters of
``filters.py``, and ``{% if %}``/``{% elif %}``/``{% else %}`` around optional
clauses, whose tests may compare variables with constants and combine with
``and``/``or``/``not``. Everything else is refused before Jinja compiles the
template: loops (rendering time stays bounded by the length of the text),
``set``/``with``/macros/blocks/includes (no state, no other templates),
attribute and item access, calls, arithmetic and ``%`` formatting (the usual
sandbox escapes), tests and inline ``if`` (one way to say a thing).

Checking a whitelist on the AST means a construct added to a future Jinja is
refused until someone decides otherwise. The sandboxed environment in
``sandbox.py`` refuses the same things again at render time, as a second wall.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import nodes

from smsgate.core.templates.errors import (
    FilterMisuse,
    ForbiddenConstruct,
    TemplateProblem,
    UnknownVariable,
)
from smsgate.core.templates.filters import FILTERS, TEXT, SmsFilter
from smsgate.core.templates.parsing import Locator
from smsgate.core.templates.schema import TemplateSchema

ALLOWED_COMPARISONS = frozenset({"eq", "ne", "lt", "lteq", "gt", "gteq"})
_CONSTANT_TYPES = (str, int, bool)
_PLAIN = "SMS templates use plain variables and the allowed filters only"

# Statement node -> (tag keyword, why an SMS template does not need it).
_STATEMENTS: dict[type[nodes.Node], tuple[str, str]] = {
    nodes.For: ("for", "a message has no repeated parts"),
    nodes.Macro: ("macro", "templates are plain text with variables"),
    nodes.CallBlock: ("call", "templates are plain text with variables"),
    nodes.Import: ("import", "a template cannot use other templates"),
    nodes.FromImport: ("from", "a template cannot use other templates"),
    nodes.Include: ("include", "a template cannot use other templates"),
    nodes.Extends: ("extends", "a template cannot use other templates"),
    nodes.Block: ("block", "a template cannot use other templates"),
    nodes.Assign: ("set", "templates hold no state; declare a variable instead"),
    nodes.AssignBlock: ("set", "templates hold no state; declare a variable instead"),
    nodes.With: ("with", "templates hold no state; declare a variable instead"),
    nodes.FilterBlock: ("filter", "apply a filter to a variable instead"),
    # {% autoescape %} parses to a Scope around a ScopedEvalContextModifier.
    nodes.Scope: ("autoescape", "SMS text is never escaped"),
    nodes.ScopedEvalContextModifier: ("autoescape", "SMS text is never escaped"),
    nodes.EvalContextModifier: ("autoescape", "SMS text is never escaped"),
}


@dataclass(frozen=True, slots=True)
class Inspection:
    """What a template uses: its problems in source order, and its variables by first line."""

    problems: tuple[TemplateProblem, ...]
    used: dict[str, int]


@dataclass
class _Walk:
    """One pass over the AST, collecting problems and the variables referenced."""

    schema: TemplateSchema
    locator: Locator
    problems: list[TemplateProblem] = field(default_factory=list)
    used: dict[str, int] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)

    def statements(self, body: list[nodes.Node]) -> None:
        for node in body:
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    if not isinstance(child, nodes.TemplateData):
                        self.output(child)
            elif isinstance(node, nodes.If):
                for branch in (node, *node.elif_):
                    self.test(branch.test)
                    self.statements(branch.body)
                self.statements(node.else_)
            else:
                self.forbid(node)

    def output(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Name):
            self.name(node)
        elif isinstance(node, nodes.Filter):
            self.filter(node)
        else:
            self.forbid(node)

    def test(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Const):
            if not isinstance(node.value, _CONSTANT_TYPES):
                self.forbid(
                    node, f"the constant {node.value!r}", why="compare with text or integers"
                )
        elif isinstance(node, nodes.And | nodes.Or):
            self.test(node.left)
            self.test(node.right)
        elif isinstance(node, nodes.Not):
            self.test(node.node)
        elif isinstance(node, nodes.Compare):
            self.compare(node)
        else:
            self.output(node)

    def compare(self, node: nodes.Compare) -> None:
        self.test(node.expr)
        for operand in node.ops:
            if operand.op not in ALLOWED_COMPARISONS:
                self.forbid(node, f"comparison '{operand.op}'", needle=operand.op)
            self.test(operand.expr)

    def name(self, node: nodes.Name) -> str | None:
        """Record a use of a variable; return its type if declared."""
        variable = self.schema.get(node.name)
        self.used.setdefault(node.name, node.lineno)
        if variable is None and node.name not in self.unknown:
            self.unknown.add(node.name)
            column = self.locator.column(node.lineno, node.name)
            self.problems.append(UnknownVariable(node.name, node.lineno, column))
        return None if variable is None else variable.type

    def filter(self, node: nodes.Filter) -> None:
        allowed = FILTERS.get(node.name)
        if allowed is None:
            self.forbid(node, f"filter '{node.name}'", needle=node.name)
        elif node.kwargs or node.dyn_args or node.dyn_kwargs:
            self.forbid(node, "keyword or dynamic filter arguments", needle=node.name)
        else:
            self.check_filter(node, allowed)

    def check_filter(self, node: nodes.Filter, allowed: SmsFilter) -> None:
        kind = self.filter_input(node)
        line, column = node.lineno, self.locator.column(node.lineno, node.name)
        if kind is not None and kind not in allowed.accepts:
            message = f"filter '{node.name}' cannot be applied to a {kind} value"
            self.problems.append(FilterMisuse(message, line, column))
        if not _arguments_fit(node.args, allowed.argument_choices):
            choices = ", ".join(sorted(allowed.argument_choices)) or "none"
            message = f"filter '{node.name}' takes no argument except a quoted one of: {choices}"
            self.problems.append(FilterMisuse(message, line, column))

    def filter_input(self, node: nodes.Filter) -> str | None:
        if isinstance(node.node, nodes.Name):
            return self.name(node.node)
        if isinstance(node.node, nodes.Filter):
            self.filter(node.node)
            return TEXT
        self.forbid(node, "a filter on anything but a variable", needle=node.name)
        return None

    def forbid(
        self,
        node: nodes.Node,
        what: str | None = None,
        needle: str | None = None,
        why: str = _PLAIN,
    ) -> None:
        if what is None:
            what, needle, why = _describe(node)
        line = _line_of(node)
        column = None if line is None else self.locator.column(line, needle)
        # Variables inside the refused construct count as used (no unused warnings),
        # and their tokens are claimed so later columns point at later uses.
        for name in node.find_all(nodes.Name):
            self.used.setdefault(name.name, name.lineno)
            self.locator.column(name.lineno, name.name)
        message = f"{what} is not allowed in SMS templates: {why}"
        self.problems.append(ForbiddenConstruct(what, message, line, column))


def _line_of(node: nodes.Node) -> int | None:
    """The node's line, or its first descendant's: Jinja leaves some wrappers without one."""
    if node.lineno:
        return int(node.lineno)
    return next((int(child.lineno) for child in node.find_all(nodes.Node) if child.lineno), None)


def _arguments_fit(arguments: list[nodes.Expr], choices: frozenset[str]) -> bool:
    if not arguments:
        return True
    if len(arguments) > 1 or not isinstance(arguments[0], nodes.Const):
        return False
    return arguments[0].value in choices


def _describe(node: nodes.Node) -> tuple[str, str | None, str]:
    """A construct's name for an author, the token that shows it, and why it is refused."""
    if type(node) in _STATEMENTS:
        keyword, why = _STATEMENTS[type(node)]
        return f"'{{% {keyword} %}}'", keyword, why
    if isinstance(node, nodes.Getattr):
        return f"attribute access '.{node.attr}'", node.attr, _PLAIN
    if isinstance(node, nodes.Call):
        if isinstance(node.node, nodes.Getattr):
            return f"method call '.{node.node.attr}()'", node.node.attr, _PLAIN
        if isinstance(node.node, nodes.Name):
            return f"function call '{node.node.name}()'", node.node.name, _PLAIN
        return "function call", "(", _PLAIN
    if isinstance(node, nodes.Getitem):
        return "item access '[...]'", "[", _PLAIN
    if isinstance(node, nodes.BinExpr | nodes.UnaryExpr):
        return f"operator '{node.operator}'", node.operator, "templates do no arithmetic"
    if isinstance(node, nodes.Concat):
        return "operator '~'", "~", "write the text around the variables instead"
    if isinstance(node, nodes.Test):
        return f"test 'is {node.name}'", "is", "use a comparison such as 'days > 30'"
    if isinstance(node, nodes.CondExpr):
        return "inline 'if' expression", "if", "use {% if %} … {% endif %}"
    if isinstance(node, nodes.Const):
        return "a constant in output", None, "write the text literally ({% raw %} for braces)"
    return f"'{type(node).__name__}'", None, _PLAIN


def inspect_template(ast: nodes.Template, schema: TemplateSchema, locator: Locator) -> Inspection:
    """Check ``ast`` against the whitelist and ``schema``; never raises for a parsed template."""
    walk = _Walk(schema, locator)
    walk.statements(ast.body)
    return Inspection(tuple(walk.problems), walk.used)
