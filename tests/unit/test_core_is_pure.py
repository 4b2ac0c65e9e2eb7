"""The core stays pure: no web framework, database, HTTP client, logging or carrier SDK."""

import ast
from pathlib import Path

import smsgate.core

FORBIDDEN = {
    "aiohttp",
    "httpx",
    "sqlite3",
    "aiosqlite",
    "asyncpg",
    "psycopg",
    "requests",
    "socket",
    "structlog",
    "logging",
    "asyncio",
    "subprocess",
    "smsgate.store",
    "smsgate.api",
    "smsgate.carriers",
    "smsgate.dispatch",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


class TestCoreImports:
    """Every module under smsgate/core imports only pure libraries."""

    def test_no_forbidden_imports(self) -> None:
        core = Path(smsgate.core.__file__).parent
        offenders = {
            f"{path.relative_to(core)}: {name}"
            for path in core.rglob("*.py")
            for name in imported_modules(path)
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
        }
        assert not offenders
