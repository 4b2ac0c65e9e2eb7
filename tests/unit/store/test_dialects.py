"""The dialects: SQL written once in SQLite's spelling, and what each database makes of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from smsgate.store import JsonValue
from smsgate.store.postgres.dialect import POSTGRES, numbered
from smsgate.store.sql.dialect import Dialect
from smsgate.store.sqlite.dialect import SQLITE

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


class TestNumberedPlaceholders:
    """PostgreSQL gets ``$N`` for SQLite's ``?`` and ``?N``, never inside quoted text."""

    @pytest.mark.parametrize(
        ("sqlite", "postgres"),
        [
            pytest.param("SELECT * FROM t", "SELECT * FROM t", id="none"),
            pytest.param("a = ? AND b = ?", "a = $1 AND b = $2", id="in-order"),
            pytest.param("a = ?2 OR b > ?1 OR c < ?2", "a = $2 OR b > $1 OR c < $2", id="numbered"),
            pytest.param("a = '?' AND b = ?", "a = '?' AND b = $1", id="quoted-text"),
            pytest.param("a = 'it''s ?' AND b = ?", "a = 'it''s ?' AND b = $1", id="escaped-quote"),
            pytest.param('"odd?" = ?', '"odd?" = $1', id="quoted-identifier"),
            pytest.param("x = ANY(?::text[])", "x = ANY($1::text[])", id="cast"),
        ],
    )
    def test_translation(self, sqlite: str, postgres: str) -> None:
        assert numbered(sqlite) == postgres

    def test_mixing_kinds_is_refused(self) -> None:
        with pytest.raises(ValueError, match="mixes"):
            numbered("a = ? AND b = ?2")

    def test_sqlite_keeps_its_own_spelling(self) -> None:
        assert SQLITE.placeholders("a = ? AND b = ?2") == "a = ? AND b = ?2"


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRES], ids=["sqlite", "postgres"])
class TestCodecs:
    """Each dialect reads back exactly the values it writes, and refuses naive instants."""

    def test_instant_round_trip(self, dialect: Dialect) -> None:
        local = T0.astimezone(timezone(timedelta(hours=8)))
        assert dialect.read_instant(dialect.instant(local)) == T0
        assert dialect.read_optional_instant(dialect.optional_instant(None)) is None

    def test_naive_instant_is_refused(self, dialect: Dialect) -> None:
        with pytest.raises(ValueError, match="naive"):
            dialect.instant(datetime(2024, 5, 1, 2, 0))

    def test_sets_are_sorted(self, dialect: Dialect) -> None:
        written = dialect.string_set({"b", "a"})
        assert written == dialect.string_set(["a", "b"])
        assert dialect.read_string_set(written) == {"a", "b"}

    def test_json_round_trip(self, dialect: Dialect) -> None:
        value: JsonValue = {"名": ["张三", 1, None], "b": {"c": True}}
        assert dialect.read_json(dialect.json(value)) == value


class TestInLists:
    """SQLite lists one placeholder per value; PostgreSQL passes one array."""

    def test_sqlite(self) -> None:
        assert SQLITE.any_of("id", ["a", "b"]) == ("id IN (?, ?)", ("a", "b"))

    def test_postgres(self) -> None:
        assert POSTGRES.any_of("id", ["a", "b"]) == ("id = ANY(?::text[])", (["a", "b"],))
