"""Pure parts of the store: instants, ids, records, database URLs, error translation."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import smsgate.store
from smsgate.store import (
    AlreadyExists,
    ApiKey,
    AppendOnlyViolation,
    Creditor,
    InvalidDatabaseUrl,
    Role,
    StoreBusy,
    StoreError,
    TemplateVersion,
    VersionStatus,
    database_url,
    format_instant,
    new_id,
    parse_instant,
)
from smsgate.store.location import postgres_settings, sqlite_settings
from smsgate.store.sqlite import Synchronous
from smsgate.store.sqlite.translate import translate

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


class TestInstants:
    """Instants are fixed-width UTC text that sorts like time and parses back exactly."""

    def test_format(self) -> None:
        local = datetime(2024, 5, 1, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=8)))
        assert format_instant(local) == "2024-05-01T02:00:00.000005Z"
        assert parse_instant(format_instant(local)) == local

    def test_text_order_is_time_order(self) -> None:
        moments = [T0 + timedelta(microseconds=n * 999_999) for n in range(0, 50, 7)]
        assert sorted(moments, key=format_instant) == moments

    def test_naive_refused(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            format_instant(datetime(2024, 5, 1))


class TestRecords:
    """Ids are prefixed and random; records check what the schema cannot say well."""

    def test_new_id(self) -> None:
        ids = {new_id("msg") for _ in range(1000)}
        assert len(ids) == 1000
        assert all(i.startswith("msg_") and len(i) == 26 for i in ids)

    @pytest.mark.parametrize("slug", ["Acme", "", "a b", "-x", "a" * 64])
    def test_creditor_slug(self, slug: str) -> None:
        with pytest.raises(ValueError, match="slug"):
            Creditor(slug, "n", "s", "cn-shenzhen", T0)

    def test_key_needs_a_role(self) -> None:
        with pytest.raises(ValueError, match="role"):
            ApiKey("key_1", "acme", frozenset(), "h", T0)

    def test_version_counts_from_one(self) -> None:
        with pytest.raises(ValueError, match="from 1"):
            TemplateVersion("tpl_1", 0, "b", {}, VersionStatus.DRAFT, "key_1", T0, "w")

    def test_json_arrays_held_as_tuples(self) -> None:
        made = TemplateVersion("t", 1, "b", {}, VersionStatus.DRAFT, "k", T0, "w", lint=[{"a": 1}])
        assert made.lint == ({"a": 1},)

    def test_revoked_key_may_nothing(self) -> None:
        key = ApiKey("key_1", "acme", frozenset({Role.SENDER}), "h", T0, revoked_at=T0)
        assert not key.may(Role.SENDER)


class TestDatabaseUrl:
    """URLs select the SQLite file and its durability, or a PostgreSQL server, or are refused."""

    @pytest.mark.parametrize(
        ("url", "path"),
        [
            pytest.param("sqlite:///smsgate.db", Path("smsgate.db"), id="relative"),
            pytest.param("sqlite:///data/gw.db", Path("data/gw.db"), id="relative-folder"),
            pytest.param("sqlite:////var/lib/gw.db", Path("/var/lib/gw.db"), id="absolute"),
            pytest.param("sqlite:///my%20db.db", Path("my db.db"), id="escaped"),
        ],
    )
    def test_sqlite_paths(self, url: str, path: Path) -> None:
        settings = sqlite_settings(url)
        assert settings.path == path
        assert settings.synchronous is Synchronous.FULL

    def test_synchronous_option(self) -> None:
        settings = sqlite_settings("sqlite:///x.db?synchronous=NORMAL")
        assert settings.synchronous is Synchronous.NORMAL

    @pytest.mark.parametrize(
        "url",
        [
            "sqlite://:memory:",
            "sqlite:///",
            "mysql://localhost/db",
            "smsgate.db",
            "sqlite:///x.db?synchronous=off",
            "sqlite:///x.db?cache=shared",
        ],
    )
    def test_invalid(self, url: str) -> None:
        with pytest.raises(InvalidDatabaseUrl):
            sqlite_settings(url)

    @pytest.mark.parametrize(
        ("url", "dsn", "pool_size"),
        [
            pytest.param("postgresql://gw@db/gw", "postgresql://gw@db/gw", 10, id="plain"),
            pytest.param("postgres://db:5433/gw", "postgresql://db:5433/gw", 10, id="short-scheme"),
            pytest.param(
                "postgresql+asyncpg://gw:s3cret@db/gw?sslmode=require&pool_size=4",
                "postgresql://gw:s3cret@db/gw?sslmode=require",
                4,
                id="sqlalchemy-scheme-and-options",
            ),
        ],
    )
    def test_postgres_urls(self, url: str, dsn: str, pool_size: int) -> None:
        settings = postgres_settings(url)
        assert (settings.dsn, settings.pool_size) == (dsn, pool_size)

    @pytest.mark.parametrize(
        "url",
        [
            pytest.param("postgresql://db", id="no-database"),
            pytest.param("postgresql://db/gw?pool_size=many", id="pool-size-text"),
            pytest.param("postgresql://db/gw?pool_size=0", id="pool-size-zero"),
        ],
    )
    def test_postgres_invalid(self, url: str) -> None:
        with pytest.raises(InvalidDatabaseUrl):
            postgres_settings(url)

    def test_password_not_in_error(self) -> None:
        with pytest.raises(InvalidDatabaseUrl) as raised:
            postgres_settings("postgresql://gw:s3cret@db")
        assert "s3cret" not in str(raised.value)

    def test_from_environment(self) -> None:
        assert database_url({}) == "sqlite:///smsgate.db"
        assert database_url({"SMSGATE_DATABASE_URL": "sqlite:////x.db"}) == "sqlite:////x.db"


class TestTranslate:
    """sqlite3 errors become store errors that name the domain rule."""

    @staticmethod
    def error_of(sql: str) -> sqlite3.Error:
        db = sqlite3.connect(":memory:")
        db.executescript(
            "CREATE TABLE a (x INTEGER PRIMARY KEY);"
            "CREATE TRIGGER t BEFORE DELETE ON a BEGIN"
            " SELECT RAISE(ABORT, 'audit log is append-only'); END;"
            "INSERT INTO a VALUES (1);"
        )
        try:
            db.execute(sql)
        except sqlite3.Error as error:
            return error
        finally:
            db.close()
        raise AssertionError(f"{sql} did not fail")

    def test_primary_key(self) -> None:
        assert isinstance(translate(self.error_of("INSERT INTO a VALUES (1)")), AlreadyExists)

    def test_trigger(self) -> None:
        error = translate(self.error_of("DELETE FROM a"))
        assert isinstance(error, AppendOnlyViolation)

    def test_busy(self) -> None:
        busy = sqlite3.OperationalError("database is locked")
        busy.sqlite_errorname = "SQLITE_BUSY"
        assert isinstance(translate(busy), StoreBusy)

    def test_anything_else(self) -> None:
        error = translate(self.error_of("SELECT * FROM missing"))
        assert type(error) is StoreError
        assert "missing" in str(error)


class TestPublicNames:
    """Every name in ``__all__`` exists, once."""

    def test_all(self) -> None:
        names = smsgate.store.__all__
        assert all(hasattr(smsgate.store, name) for name in names)
        assert len(set(names)) == len(names)
