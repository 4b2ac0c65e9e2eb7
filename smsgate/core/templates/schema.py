"""A template's variables schema: parsed strictly from JSON, then used to check values.

The schema arrives as JSON written by a person, e.g.
``{"name": {"type": "str", "max_length": 10}, "days": {"type": "int", "max": 3650}}``.
Parsing validates it completely (unknown types or keys, nonsense bounds, names
a template could not reference), raising :class:`SchemaError` that names the
variable, so a typo such as ``"max_lenght"`` never silently falls back to a
default. :func:`validate` then checks a message's values against it and
reports every failing variable at once, so a caller fixes them in one round.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from smsgate.core.templates.errors import SchemaError, VariableError, VariableErrors
from smsgate.core.templates.free_text import FreeTextAllowance
from smsgate.core.templates.variables import (
    CENT,
    DEFAULT_INT_MAX,
    DEFAULT_INT_MIN,
    DEFAULT_MONEY_MAX,
    DEFAULT_STR_MAX_LENGTH,
    INT_LIMIT,
    MAX_DESCRIPTION_LENGTH,
    MAX_ENUM_VALUE_LENGTH,
    MAX_ENUM_VALUES,
    MAX_STR_LENGTH,
    MONEY_LIMIT,
    PHONE_MAX_LENGTH,
    PHONE_MIN_LENGTH,
    DateVariable,
    EnumVariable,
    IntVariable,
    MoneyVariable,
    PhoneVariable,
    StrVariable,
    ValueRefused,
    Variable,
    VariableType,
    describe,
    text_problem,
)

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
# Words Jinja's parser reads as constants or operators, and names it binds itself.
RESERVED_NAMES = frozenset(
    {"true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if"}
    | {"else", "self", "loop", "caller", "varargs", "kwargs", "super"}
)


@dataclass(frozen=True, slots=True)
class TemplateSchema:
    """The declared variables of one template version, in declaration order."""

    variables: tuple[Variable, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The declared names, in declaration order."""
        return tuple(variable.name for variable in self.variables)

    def get(self, name: str) -> Variable | None:
        """The declaration of ``name``, or ``None`` if it is not declared."""
        return next((v for v in self.variables if v.name == name), None)

    def __iter__(self) -> Iterator[Variable]:
        return iter(self.variables)

    def to_dict(self) -> dict[str, Mapping[str, object]]:
        """The schema as JSON-ready data, with every default made explicit."""
        return {variable.name: describe(variable) for variable in self.variables}


def parse_schema(raw: Mapping[str, Any]) -> TemplateSchema:
    """Parse a JSON variables schema; raises :class:`SchemaError` naming the variable."""
    if not isinstance(raw, Mapping):
        raise SchemaError(None, "must be an object mapping variable names to declarations")
    return TemplateSchema(tuple(_parse_variable(name, options) for name, options in raw.items()))


def _parse_variable(name: object, options: object) -> Variable:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise SchemaError(str(name), "names start with a letter; letters, digits, _; ≤32 chars")
    if name in RESERVED_NAMES or keyword.iskeyword(name):
        raise SchemaError(name, "is a reserved word")
    if not isinstance(options, Mapping):
        raise SchemaError(name, 'declaration must be an object such as {"type": "str"}')
    kind = options.get("type")
    if not isinstance(kind, str) or kind not in {member.value for member in VariableType}:
        raise SchemaError(name, f"type must be one of {', '.join(VariableType)}, not {kind!r}")
    parse = _PARSERS[VariableType(kind)]
    _refuse_unknown_keys(name, options, _KEYS[VariableType(kind)])
    return parse(name, options, _description(name, options))


def _refuse_unknown_keys(name: str, options: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(options) - allowed - {"type", "description"})
    if unknown:
        raise SchemaError(name, f"unknown key(s) {', '.join(map(repr, unknown))}")


def _description(name: str, options: Mapping[str, Any]) -> str:
    text = options.get("description", "")
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION_LENGTH:
        raise SchemaError(name, f"description must be text of ≤{MAX_DESCRIPTION_LENGTH} chars")
    return text


def _int_option(
    name: str, options: Mapping[str, Any], key: str, default: int, bounds: range
) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value not in bounds:
        raise SchemaError(
            name, f"{key} must be an integer from {bounds.start} to {bounds.stop - 1}"
        )
    return value


def _parse_str(name: str, options: Mapping[str, Any], description: str) -> Variable:
    limit = _int_option(
        name, options, "max_length", DEFAULT_STR_MAX_LENGTH, range(1, MAX_STR_LENGTH + 1)
    )
    return StrVariable(name, limit, description, _allowances(name, options))


def _allowances(name: str, options: Mapping[str, Any]) -> frozenset[FreeTextAllowance]:
    """``"allow": ["url", "phone"]``: what a free-text value may carry beyond plain words."""
    raw = options.get("allow", [])
    known = [member.value for member in FreeTextAllowance]
    if not isinstance(raw, list | tuple) or any(item not in known for item in raw):
        raise SchemaError(name, f"allow must be a list of {', '.join(map(repr, known))}")
    if len(set(raw)) != len(raw):
        raise SchemaError(name, "allow must not repeat")
    return frozenset(FreeTextAllowance(item) for item in raw)


def _parse_int(name: str, options: Mapping[str, Any], description: str) -> Variable:
    bounds = range(-INT_LIMIT, INT_LIMIT + 1)
    low = _int_option(name, options, "min", DEFAULT_INT_MIN, bounds)
    high = _int_option(name, options, "max", DEFAULT_INT_MAX, bounds)
    if low > high:
        raise SchemaError(name, f"min ({low}) must not exceed max ({high})")
    return IntVariable(name, low, high, description)


def _parse_money(name: str, options: Mapping[str, Any], description: str) -> Variable:
    raw = options.get("max", DEFAULT_MONEY_MAX)
    try:
        if isinstance(raw, bool | float):
            raise InvalidOperation
        high = Decimal(raw)
    except (InvalidOperation, TypeError, ValueError):
        raise SchemaError(name, 'max must be an integer or a decimal string ("5000.00")') from None
    if not (high.is_finite() and 0 <= high <= MONEY_LIMIT and high == high.quantize(CENT)):
        raise SchemaError(name, f"max must be 0–{MONEY_LIMIT} with at most 2 decimal places")
    return MoneyVariable(name, high, description)


def _parse_date(name: str, options: Mapping[str, Any], description: str) -> Variable:
    return DateVariable(name, description)


def _parse_phone(name: str, options: Mapping[str, Any], description: str) -> Variable:
    bounds = range(PHONE_MIN_LENGTH, PHONE_MAX_LENGTH + 1)
    return PhoneVariable(
        name, _int_option(name, options, "max_length", PHONE_MAX_LENGTH, bounds), description
    )


def _parse_enum(name: str, options: Mapping[str, Any], description: str) -> Variable:
    values = options.get("values")
    if not isinstance(values, list | tuple) or not 1 <= len(values) <= MAX_ENUM_VALUES:
        raise SchemaError(name, f"values must be a list of 1–{MAX_ENUM_VALUES} strings")
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise SchemaError(name, f"value {value!r} must be a non-empty string")
        if len(value) > MAX_ENUM_VALUE_LENGTH:
            raise SchemaError(name, f"value {value!r} is longer than {MAX_ENUM_VALUE_LENGTH}")
        if problem := text_problem(value):
            raise SchemaError(name, f"value {value!r} {problem}")
    if len(set(values)) != len(values):
        raise SchemaError(name, "values must not repeat")
    return EnumVariable(name, tuple(values), description)


_Parser = Callable[[str, Mapping[str, Any], str], Variable]
_PARSERS: Mapping[VariableType, _Parser] = {
    VariableType.STR: _parse_str,
    VariableType.INT: _parse_int,
    VariableType.MONEY: _parse_money,
    VariableType.DATE: _parse_date,
    VariableType.PHONE: _parse_phone,
    VariableType.ENUM: _parse_enum,
}
_KEYS: Mapping[VariableType, frozenset[str]] = {
    VariableType.STR: frozenset({"max_length", "allow"}),
    VariableType.INT: frozenset({"min", "max"}),
    VariableType.MONEY: frozenset({"max"}),
    VariableType.DATE: frozenset(),
    VariableType.PHONE: frozenset({"max_length"}),
    VariableType.ENUM: frozenset({"values"}),
}


def validate(schema: TemplateSchema, values: Mapping[str, object]) -> dict[str, Any]:
    """Check ``values`` against ``schema`` and return them coerced to their types.

    Raises :class:`VariableErrors` listing every missing, undeclared, mistyped,
    out-of-range or over-long variable (declared ones in schema order, then
    undeclared ones sorted by name).
    """
    coerced: dict[str, Any] = {}
    errors: list[VariableError] = []
    for variable in schema:
        if variable.name not in values:
            errors.append(VariableError(variable.name, "missing"))
            continue
        try:
            coerced[variable.name] = variable.coerce(values[variable.name])
        except ValueRefused as refused:
            errors.append(VariableError(variable.name, str(refused)))
    for extra in sorted(set(values) - set(schema.names), key=str):
        errors.append(VariableError(str(extra), "not declared in the template's variables"))
    if errors:
        raise VariableErrors(tuple(errors))
    return coerced


def sample_values(schema: TemplateSchema) -> dict[str, Any]:
    """A value for every variable at its longest rendering, for estimates and previews.

    Strings are filled with the ideograph 某, so a sample forces UCS-2 just as
    a real Chinese name would: the estimate is for the costly case.
    """
    return {variable.name: variable.sample() for variable in schema}
