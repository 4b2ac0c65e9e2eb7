"""Why a template or its values were refused: one exception family with stable codes.

Every error carries a ``code`` that the HTTP layer and the lint report pass on
unchanged (``variable_invalid`` is part of the API contract; the others name
lint issues). Jinja's own exceptions never leave this package: they are
translated where Jinja is called (parsing in ``sandbox.py``, rendering in
``CompiledTemplate.render``), so callers handle only these::

    ValueError
    ├── TemplateProblem            the template text cannot be accepted (authoring)
    │   ├── TemplateSyntaxProblem      syntax_error
    │   ├── ForbiddenConstruct         forbidden_construct
    │   ├── FilterMisuse               filter_misuse
    │   └── UnknownVariable            unknown_variable
    ├── SchemaError                the variables schema is malformed   schema_invalid
    ├── VariableErrors             the values do not fit the schema    variable_invalid
    └── RenderRefused              rendering failed                    render_refused
        └── RenderedTooLong            the output exceeds the size limit
"""

from __future__ import annotations

from dataclasses import dataclass


class TemplateProblem(ValueError):
    """A template text that cannot be compiled; ``line``/``column`` are 1-based when known."""

    code = "template_invalid"

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.message = message
        self.line = line
        self.column = column
        where = (
            "" if line is None else f" (line {line}" + (f", column {column})" if column else ")")
        )
        super().__init__(message + where)


class TemplateSyntaxProblem(TemplateProblem):
    """The text is not a valid template (Jinja's parser refused it)."""

    code = "syntax_error"


class ForbiddenConstruct(TemplateProblem):
    """The template uses a construct outside the SMS subset (loops, attribute access, …)."""

    code = "forbidden_construct"

    def __init__(
        self, construct: str, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        self.construct = construct
        super().__init__(message, line, column)


class FilterMisuse(TemplateProblem):
    """An allowed filter applied to the wrong kind of value or with a wrong argument."""

    code = "filter_misuse"


class UnknownVariable(TemplateProblem):
    """The template uses a variable that its schema does not declare."""

    code = "unknown_variable"

    def __init__(self, variable: str, line: int | None = None, column: int | None = None) -> None:
        self.variable = variable
        super().__init__(f"variable {variable!r} is used but not declared", line, column)


class SchemaError(ValueError):
    """The variables schema of a template is malformed; ``variable`` names the culprit."""

    code = "schema_invalid"

    def __init__(self, variable: str | None, reason: str) -> None:
        self.variable = variable
        self.reason = reason
        prefix = "variables schema" if variable is None else f"variable {variable!r}"
        super().__init__(f"{prefix}: {reason}")


@dataclass(frozen=True, slots=True)
class VariableError:
    """One value that does not fit its declaration (or is missing, or undeclared)."""

    variable: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """The error as a JSON object of a ``variable_invalid`` problem response."""
        return {"variable": self.variable, "reason": self.reason}


class VariableErrors(ValueError):
    """All the values that failed validation, in schema order, undeclared ones last."""

    code = "variable_invalid"

    def __init__(self, errors: tuple[VariableError, ...]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{error.variable}: {error.reason}" for error in errors))

    @property
    def variables(self) -> tuple[str, ...]:
        """The names of the failing variables, in the order of :attr:`errors`."""
        return tuple(error.variable for error in self.errors)


class RenderRefused(ValueError):
    """A compiled template failed while rendering validated values."""

    code = "render_refused"


class RenderedTooLong(RenderRefused):
    """The rendered text is longer than any SMS we are willing to send.

    Rendering stops at the first piece that crosses the limit, so ``length``
    (the characters rendered by then) is a lower bound of the full length.
    """

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(
            f"rendered text exceeds the limit of {limit} characters (rendering stopped at {length})"
        )
