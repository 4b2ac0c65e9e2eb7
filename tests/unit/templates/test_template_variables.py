"""Unit tests for the variables schema: parsing, value validation and sample values."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from smsgate.core.templates import (
    DateVariable,
    EnumVariable,
    IntVariable,
    MoneyVariable,
    PhoneVariable,
    SchemaError,
    StrVariable,
    TemplateSchema,
    VariableError,
    VariableErrors,
    parse_schema,
    sample_values,
    validate,
)

BRIEF_SCHEMA: dict[str, Any] = {
    "name": {"type": "str", "max_length": 10},
    "amount": {"type": "money"},
    "days": {"type": "int", "max": 3650},
    "due": {"type": "date"},
    "hotline": {"type": "phone"},
    "product": {"type": "enum", "values": ["信用卡", "消费贷"]},
}


def one(declaration: dict[str, Any]) -> TemplateSchema:
    return parse_schema({"v": declaration})


class TestParseSchema:
    """A schema parses into typed declarations with explicit defaults."""

    def test_parses_every_type(self) -> None:
        assert parse_schema(BRIEF_SCHEMA) == TemplateSchema(
            (
                StrVariable("name", 10),
                MoneyVariable("amount", Decimal(10_000_000)),
                IntVariable("days", 0, 3650),
                DateVariable("due"),
                PhoneVariable("hotline", 20),
                EnumVariable("product", ("信用卡", "消费贷")),
            )
        )

    def test_defaults(self) -> None:
        schema = parse_schema({"s": {"type": "str"}, "i": {"type": "int"}, "p": {"type": "phone"}})
        assert schema.variables == (
            StrVariable("s", 20),
            IntVariable("i", 0, 10**9),
            PhoneVariable("p", 20),
        )

    def test_keeps_declaration_order_and_looks_up(self) -> None:
        schema = parse_schema(BRIEF_SCHEMA)
        assert schema.names == ("name", "amount", "days", "due", "hotline", "product")
        assert schema.get("days") == IntVariable("days", 0, 3650)
        assert schema.get("nope") is None

    def test_round_trips_through_to_dict(self) -> None:
        schema = parse_schema(BRIEF_SCHEMA | {"x": {"type": "money", "max": "5000.50"}})
        assert parse_schema(schema.to_dict()) == schema
        assert schema.to_dict()["name"] == {"type": "str", "max_length": 10}
        assert schema.to_dict()["x"] == {"type": "money", "max": "5000.50"}

    def test_description_is_kept(self) -> None:
        schema = one({"type": "date", "description": "还款日"})
        assert schema.variables == (DateVariable("v", "还款日"),)

    def test_empty_schema(self) -> None:
        assert parse_schema({}) == TemplateSchema(())

    @pytest.mark.parametrize(
        ("declaration", "reason"),
        [
            pytest.param({"type": "float"}, "type must be one of", id="unknown-type"),
            pytest.param({}, "type must be one of", id="missing-type"),
            pytest.param({"type": ["str"]}, "type must be one of", id="unhashable-type"),
            pytest.param(
                {"type": "str", "max_lenght": 5}, "unknown key(s) 'max_lenght'", id="typo-key"
            ),
            pytest.param({"type": "date", "max": 3}, "unknown key(s) 'max'", id="foreign-key"),
            pytest.param({"type": "str", "max_length": 0}, "max_length", id="str-zero"),
            pytest.param({"type": "str", "max_length": 501}, "max_length", id="str-too-long"),
            pytest.param({"type": "str", "max_length": "10"}, "max_length", id="str-text"),
            pytest.param({"type": "str", "max_length": True}, "max_length", id="str-bool"),
            pytest.param({"type": "int", "min": 5, "max": 4}, "min (5)", id="int-min-over-max"),
            pytest.param({"type": "int", "max": 1.5}, "max must be", id="int-float"),
            pytest.param({"type": "int", "max": False}, "max must be", id="int-bool"),
            pytest.param({"type": "int", "max": 10**16}, "max must be", id="int-huge"),
            pytest.param({"type": "money", "max": 100.5}, "max must be", id="money-float"),
            pytest.param({"type": "money", "max": "-1"}, "max must be 0", id="money-negative"),
            pytest.param({"type": "money", "max": "1.001"}, "2 decimal", id="money-3-places"),
            pytest.param({"type": "money", "max": "abc"}, "max must be", id="money-text"),
            pytest.param({"type": "money", "max": True}, "max must be", id="money-bool"),
            pytest.param({"type": "money", "max": "NaN"}, "max must be 0", id="money-nan"),
            pytest.param({"type": "money", "max": 10**13}, "max must be 0", id="money-huge"),
            pytest.param({"type": "phone", "max_length": 4}, "max_length", id="phone-short"),
            pytest.param({"type": "phone", "max_length": 21}, "max_length", id="phone-long"),
            pytest.param({"type": "enum"}, "values must be a list", id="enum-no-values"),
            pytest.param({"type": "enum", "values": []}, "values must be", id="enum-empty"),
            pytest.param({"type": "enum", "values": "ab"}, "values must be", id="enum-string"),
            pytest.param({"type": "enum", "values": [1]}, "non-empty string", id="enum-int"),
            pytest.param({"type": "enum", "values": [" "]}, "non-empty", id="enum-blank"),
            pytest.param({"type": "enum", "values": ["a", "a"]}, "repeat", id="enum-duplicate"),
            pytest.param({"type": "enum", "values": ["a\nb"]}, "line breaks", id="enum-newline"),
            pytest.param({"type": "enum", "values": ["【x】"]}, "【", id="enum-signature"),
            pytest.param({"type": "enum", "values": ["a" * 101]}, "longer", id="enum-long"),
            pytest.param({"type": "date", "description": 5}, "description", id="bad-description"),
        ],
    )
    def test_rejects_bad_declaration_naming_variable(
        self, declaration: dict[str, Any], reason: str
    ) -> None:
        with pytest.raises(SchemaError) as caught:
            one(declaration)
        assert caught.value.variable == "v"
        assert reason in caught.value.reason
        assert caught.value.code == "schema_invalid"

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("1abc", id="leading-digit"),
            pytest.param("_private", id="leading-underscore"),
            pytest.param("a-b", id="dash"),
            pytest.param("", id="empty"),
            pytest.param("名字", id="non-ascii"),
            pytest.param("a" * 33, id="too-long"),
            pytest.param("if", id="jinja-keyword"),
            pytest.param("true", id="jinja-constant"),
            pytest.param("self", id="jinja-self"),
            pytest.param("loop", id="jinja-loop"),
            pytest.param("class", id="python-keyword"),
        ],
    )
    def test_rejects_bad_names(self, name: str) -> None:
        with pytest.raises(SchemaError) as caught:
            parse_schema({name: {"type": "str"}})
        assert caught.value.variable == name

    def test_rejects_non_object_declaration(self) -> None:
        with pytest.raises(SchemaError, match="declaration must be an object") as caught:
            parse_schema({"name": "str"})
        assert caught.value.variable == "name"

    def test_rejects_non_object_schema(self) -> None:
        with pytest.raises(SchemaError) as caught:
            parse_schema(["name"])  # type: ignore[arg-type]
        assert caught.value.variable is None


class TestValidate:
    """Values are coerced to their declared types, or refused with the variable named."""

    def test_coerces_the_design_example(self) -> None:
        values = {
            "name": "张三",
            "amount": "1234.5",
            "days": 5,
            "due": "2026-11-23",
            "hotline": "4008001234",
            "product": "信用卡",
        }
        assert validate(parse_schema(BRIEF_SCHEMA), values) == {
            "name": "张三",
            "amount": Decimal("1234.50"),
            "days": 5,
            "due": date(2026, 11, 23),
            "hotline": "4008001234",
            "product": "信用卡",
        }

    @pytest.mark.parametrize(
        ("declaration", "value", "expected"),
        [
            pytest.param({"type": "int"}, "0042", 42, id="int-digit-string"),
            pytest.param({"type": "int", "min": -5}, "-5", -5, id="int-negative-string"),
            pytest.param({"type": "money"}, 100, Decimal("100.00"), id="money-int"),
            pytest.param({"type": "money"}, "0", Decimal("0.00"), id="money-zero"),
            pytest.param(
                {"type": "money"}, Decimal("1.230"), Decimal("1.23"), id="money-trailing-zero"
            ),
            pytest.param(
                {"type": "money"}, "10000000.00", Decimal("10000000.00"), id="money-at-max"
            ),
            pytest.param({"type": "date"}, date(2026, 2, 28), date(2026, 2, 28), id="date"),
            pytest.param({"type": "phone"}, "95555", "95555", id="phone-5-digits"),
            pytest.param({"type": "phone"}, "+8613800138000", "+8613800138000", id="phone-plus"),
            pytest.param({"type": "str"}, " 张 三 ", " 张 三 ", id="str-kept-as-is"),
        ],
    )
    def test_coerces(self, declaration: dict[str, Any], value: object, expected: object) -> None:
        result = validate(one(declaration), {"v": value})["v"]
        assert result == expected
        assert type(result) is type(expected)

    def test_money_keeps_two_decimals_in_text(self) -> None:
        assert str(validate(one({"type": "money"}), {"v": "1234.5"})["v"]) == "1234.50"

    @pytest.mark.parametrize(
        ("declaration", "value", "reason"),
        [
            pytest.param({"type": "str"}, 5, "must be a string", id="str-int"),
            pytest.param({"type": "str"}, "", "must not be empty", id="str-empty"),
            pytest.param({"type": "str"}, "  ", "must not be empty", id="str-blank"),
            pytest.param(
                {"type": "str", "max_length": 10}, "张" * 11, "at most 10", id="str-too-long"
            ),
            pytest.param({"type": "str"}, "a\nb", "line breaks", id="str-newline"),
            pytest.param({"type": "str"}, "a\rb", "line breaks", id="str-cr"),
            pytest.param({"type": "str"}, "a\u2028b", "line breaks", id="str-line-separator"),
            pytest.param({"type": "str"}, "a\u202eb", "control", id="str-bidi-override"),
            pytest.param({"type": "str"}, "a\x00b", "control", id="str-nul"),
            pytest.param({"type": "str"}, "【公安】", "【", id="str-signature-brackets"),
            pytest.param({"type": "int"}, True, "integer", id="int-bool"),
            pytest.param({"type": "int"}, 5.0, "integer", id="int-float"),
            pytest.param({"type": "int"}, "5.0", "integer", id="int-decimal-string"),
            pytest.param({"type": "int"}, "", "integer", id="int-empty-string"),
            pytest.param({"type": "int"}, "１２", "integer", id="int-fullwidth-digits"),
            pytest.param({"type": "int"}, " 5", "integer", id="int-padded"),
            pytest.param({"type": "int"}, -1, "between 0 and", id="int-below-min"),
            pytest.param({"type": "int", "max": 3650}, 3651, "between 0 and 3650", id="int-over"),
            pytest.param({"type": "money"}, 1.5, "must not be a float", id="money-float"),
            pytest.param({"type": "money"}, True, "boolean", id="money-bool"),
            pytest.param({"type": "money"}, "-1", "amount such as", id="money-negative-str"),
            pytest.param({"type": "money"}, -1, "negative", id="money-negative-int"),
            pytest.param({"type": "money"}, Decimal("-0"), "negative", id="money-negative-zero"),
            pytest.param({"type": "money"}, "1.234", "amount such as", id="money-3-places-str"),
            pytest.param(
                {"type": "money"}, Decimal("1.234"), "2 decimal places", id="money-3-places"
            ),
            pytest.param({"type": "money"}, "1e3", "amount such as", id="money-exponent"),
            pytest.param({"type": "money"}, "1,000", "amount such as", id="money-separator"),
            pytest.param({"type": "money"}, Decimal("NaN"), "finite", id="money-nan"),
            pytest.param({"type": "money"}, Decimal("Infinity"), "finite", id="money-inf"),
            pytest.param({"type": "money"}, "10000000.01", "at most", id="money-over-max"),
            pytest.param({"type": "money", "max": 500}, 501, "at most 500", id="money-over"),
            pytest.param({"type": "date"}, "2026-02-30", "not a calendar date", id="date-30-feb"),
            pytest.param({"type": "date"}, "2026/11/23", "YYYY-MM-DD", id="date-slashes"),
            pytest.param({"type": "date"}, "20261123", "YYYY-MM-DD", id="date-compact"),
            pytest.param({"type": "date"}, 20261123, "YYYY-MM-DD", id="date-int"),
            pytest.param(
                {"type": "date"}, datetime(2026, 11, 23, 9), "not a date and time", id="datetime"
            ),
            pytest.param({"type": "phone"}, 4008001234, "must be a string", id="phone-int"),
            pytest.param({"type": "phone"}, "1234", "5–20 digits", id="phone-short"),
            pytest.param({"type": "phone"}, "1" * 21, "5–20 digits", id="phone-long"),
            pytest.param({"type": "phone"}, "+86 138", "5–20 digits", id="phone-space"),
            pytest.param({"type": "phone"}, "138-0013", "5–20 digits", id="phone-dash"),
            pytest.param({"type": "phone"}, "1380013800+", "5–20 digits", id="phone-plus-late"),
            pytest.param({"type": "phone"}, "９５５５５", "5–20 digits", id="phone-fullwidth"),
            pytest.param(
                {"type": "phone", "max_length": 11}, "861380013800", "5–11", id="phone-over-max"
            ),
            pytest.param(
                {"type": "enum", "values": ["信用卡", "消费贷"]},
                "其他",
                "one of: 信用卡, 消费贷",
                id="enum-unknown",
            ),
            pytest.param({"type": "enum", "values": ["1"]}, 1, "one of: 1", id="enum-int"),
        ],
    )
    def test_refuses(self, declaration: dict[str, Any], value: object, reason: str) -> None:
        with pytest.raises(VariableErrors) as caught:
            validate(one(declaration), {"v": value})
        (error,) = caught.value.errors
        assert error.variable == "v"
        assert reason in error.reason

    def test_collects_every_error_in_schema_order_then_extras(self) -> None:
        values = {
            "zeta": 1,
            "name": "张" * 11,
            "amount": 1.5,
            "days": 5,
            "due": "2026-11-23",
            "hotline": "4008001234",
            "alpha": 2,
        }
        with pytest.raises(VariableErrors) as caught:
            validate(parse_schema(BRIEF_SCHEMA), values)
        error = caught.value
        assert error.code == "variable_invalid"
        assert error.variables == ("name", "amount", "product", "alpha", "zeta")
        assert error.errors[2] == VariableError("product", "missing")
        assert error.errors[3] == VariableError("alpha", "not declared in the template's variables")
        assert error.errors[2].to_dict() == {"variable": "product", "reason": "missing"}
        assert str(error).startswith("name: must be at most 10 characters, not 11; amount: ")

    def test_template_syntax_in_value_is_just_text(self) -> None:
        assert validate(one({"type": "str"}), {"v": "{{ 7*7 }}"}) == {"v": "{{ 7*7 }}"}


class TestSampleValues:
    """Sample values are valid and as wide as each declaration allows."""

    def test_brief_schema(self) -> None:
        assert sample_values(parse_schema(BRIEF_SCHEMA)) == {
            "name": "某" * 10,
            "amount": Decimal("10000000.00"),
            "days": 3650,
            "due": date(2026, 12, 31),
            "hotline": "40080012344008001234",
            "product": "信用卡",
        }

    @pytest.mark.parametrize(
        ("declaration", "expected"),
        [
            pytest.param({"type": "int", "min": -100000, "max": 10}, -100000, id="int-wide-min"),
            pytest.param({"type": "int", "min": -9, "max": 10}, 10, id="int-wide-max"),
            pytest.param({"type": "money", "max": "99.5"}, Decimal("99.50"), id="money"),
            pytest.param({"type": "phone", "max_length": 5}, "40080", id="phone"),
            pytest.param({"type": "enum", "values": ["a", "bbb", "cc"]}, "bbb", id="enum"),
        ],
    )
    def test_widest(self, declaration: dict[str, Any], expected: object) -> None:
        assert sample_values(one(declaration)) == {"v": expected}

    def test_samples_validate_and_reach_max_rendered_length(self) -> None:
        schema = parse_schema(BRIEF_SCHEMA)
        samples = sample_values(schema)
        assert validate(schema, samples) == samples
        for variable in schema:
            assert len(str(samples[variable.name])) == variable.max_rendered_length
