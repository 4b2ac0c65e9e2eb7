"""Administrative commands: migrate, creditors create, keys create, audit verify.

The DESIGN.md contract: ``keys create`` prints the new key alone on its last
line, so scripts can take it with ``tail -1``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from smsgate import admin
from smsgate.store import Role, StoreError, database_url, open_store, utc_now

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add the administrative commands."""
    migrate = subparsers.add_parser("migrate", help="create or upgrade the database schema")
    migrate.set_defaults(handler=lambda args: _run(_migrate()))

    creditors = subparsers.add_parser("creditors", help="manage creditors (tenants)")
    creditor_commands = creditors.add_subparsers(dest="action", required=True)
    create = creditor_commands.add_parser("create", help="create a creditor")
    create.add_argument("id", help="a lower-case slug such as acme")
    create.add_argument("--name", required=True)
    create.add_argument("--signature", required=True, help="the 【signature】 carriers require")
    create.add_argument("--profile", default="cn-shenzhen", help="policy profile")
    create.set_defaults(handler=lambda args: _run(_create_creditor(args)))

    keys = subparsers.add_parser("keys", help="manage API keys")
    key_commands = keys.add_subparsers(dest="action", required=True)
    key = key_commands.add_parser("create", help="create a key; prints it once, on the last line")
    key.add_argument("--creditor", required=True)
    key.add_argument("--roles", required=True, help="comma-separated: sender,author,reviewer,admin")
    key.add_argument("--label", default="")
    key.set_defaults(handler=lambda args: _run(_create_key(args)))

    audit = subparsers.add_parser("audit", help="the audit log")
    audit_commands = audit.add_subparsers(dest="action", required=True)
    verify = audit_commands.add_parser("verify", help="check the hash chain of the audit log")
    verify.set_defaults(handler=lambda args: _run(_verify()))


def _run(coroutine: Any) -> int:
    try:
        status: int = asyncio.run(coroutine)
    except (StoreError, ValueError) as error:
        print(f"smsgate: {error}", file=sys.stderr)
        return EXIT_FAILED
    return status


async def _migrate() -> int:
    store = await open_store(database_url(os.environ))
    try:
        version = await store.migrate()
    finally:
        await store.close()
    print(f"database schema at version {version}")
    return EXIT_OK


async def _create_creditor(args: argparse.Namespace) -> int:
    store = await open_store(database_url(os.environ))
    try:
        creditor = await admin.create_creditor(
            store,
            args.id,
            name=args.name,
            signature=args.signature,
            profile=args.profile,
            at=utc_now(),
        )
    finally:
        await store.close()
    print(f"created creditor {creditor.id} ({creditor.name}, profile {creditor.profile_name})")
    return EXIT_OK


async def _create_key(args: argparse.Namespace) -> int:
    try:
        roles = [Role(role.strip()) for role in args.roles.split(",") if role.strip()]
    except ValueError:
        raise ValueError("roles are sender, author, reviewer and admin") from None
    store = await open_store(database_url(os.environ))
    try:
        key, token = await admin.create_key(
            store, args.creditor, roles, at=utc_now(), label=args.label
        )
    finally:
        await store.close()
    print(f"created key {key.id} for {key.creditor_id} with roles {','.join(sorted(key.roles))}")
    print("store it now: it is not shown again")
    print(token)
    return EXIT_OK


async def _verify() -> int:
    store = await open_store(database_url(os.environ))
    try:
        async with store.read() as tx:
            result = await tx.audit.verify()
    finally:
        await store.close()
    if result.ok:
        print(f"audit chain intact: {result.checked} entries")
        return EXIT_OK
    print(f"audit chain BROKEN at seq {result.bad_seq}: {result.fault}", file=sys.stderr)
    return EXIT_FAILED
