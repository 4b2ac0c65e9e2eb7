"""Creditor-approved SMS templates: variables schema, sandboxed compile/render, static lint.

A template is a short text with ``{{ variables }}``, optional ``{% if %}``
clauses and a few filters (``money``, ``date``, ``mask``, ``upper``,
``lower``, ``trim``), plus a JSON schema typing every variable. Authors get a
:func:`lint` report; approved versions are compiled with
:func:`compile_template` and rendered with validated values. Everything here
is pure: no I/O, no web or database imports.

Import from this package; the submodules are its implementation.
"""

from smsgate.core.templates.content_rules import (
    CONTENT_RULES,
    ContentRule,
    UnknownProfile,
    rules_for,
)
from smsgate.core.templates.errors import (
    FilterMisuse,
    ForbiddenConstruct,
    RenderedTooLong,
    RenderRefused,
    SchemaError,
    TemplateProblem,
    TemplateSyntaxProblem,
    UnknownVariable,
    VariableError,
    VariableErrors,
)
from smsgate.core.templates.filters import FILTERS, DateStyle, format_date, format_money, mask
from smsgate.core.templates.lint import (
    IssueSeverity,
    LintCode,
    LintIssue,
    LintReport,
    lint,
)
from smsgate.core.templates.sandbox import (
    MAX_RENDERED_CHARS,
    CompiledTemplate,
    SmsSandbox,
    TemplateSource,
    compile_template,
)
from smsgate.core.templates.schema import TemplateSchema, parse_schema, sample_values, validate
from smsgate.core.templates.variables import (
    DateVariable,
    EnumVariable,
    IntVariable,
    MoneyVariable,
    PhoneVariable,
    StrVariable,
    Variable,
    VariableType,
)

__all__ = [
    "CONTENT_RULES",
    "FILTERS",
    "MAX_RENDERED_CHARS",
    "CompiledTemplate",
    "ContentRule",
    "DateStyle",
    "DateVariable",
    "EnumVariable",
    "FilterMisuse",
    "ForbiddenConstruct",
    "IntVariable",
    "IssueSeverity",
    "LintCode",
    "LintIssue",
    "LintReport",
    "MoneyVariable",
    "PhoneVariable",
    "RenderRefused",
    "RenderedTooLong",
    "SchemaError",
    "SmsSandbox",
    "StrVariable",
    "TemplateProblem",
    "TemplateSchema",
    "TemplateSource",
    "TemplateSyntaxProblem",
    "UnknownProfile",
    "UnknownVariable",
    "Variable",
    "VariableError",
    "VariableErrors",
    "VariableType",
    "compile_template",
    "format_date",
    "format_money",
    "lint",
    "mask",
    "parse_schema",
    "rules_for",
    "sample_values",
    "validate",
]
