"""The templates package's public surface and its purity."""

from __future__ import annotations

import subprocess
import sys

import smsgate.core.templates as templates

PUBLIC_API = {
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
}


class TestPublicApi:
    """``__all__`` lists exactly the public names, and each one resolves."""

    def test_all_is_exact(self) -> None:
        assert set(templates.__all__) == PUBLIC_API
        assert len(templates.__all__) == len(PUBLIC_API)

    def test_every_name_resolves(self) -> None:
        for name in templates.__all__:
            assert getattr(templates, name) is not None

    def test_error_codes_are_stable(self) -> None:
        codes: dict[type[ValueError], str] = {
            templates.TemplateSyntaxProblem: "syntax_error",
            templates.ForbiddenConstruct: "forbidden_construct",
            templates.FilterMisuse: "filter_misuse",
            templates.UnknownVariable: "unknown_variable",
            templates.SchemaError: "schema_invalid",
            templates.VariableErrors: "variable_invalid",
            templates.RenderRefused: "render_refused",
        }
        assert {error: getattr(error, "code", None) for error in codes} == codes
        assert all(issubclass(error, ValueError) for error in codes)


class TestPurity:
    """Importing the templates and SMS modules pulls in no web, HTTP or database library."""

    def test_no_io_libraries_imported(self) -> None:
        code = (
            "import sys, smsgate.core.templates, smsgate.core.sms;"
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
        )
        loaded = set(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout.split()
        )
        forbidden = {"aiohttp", "httpx", "sqlite3", "asyncpg", "psycopg", "psycopg2", "socket"}
        assert not loaded & forbidden
