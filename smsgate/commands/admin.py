"""Administrative commands: migrate, creditors create / webhook, keys create, audit verify.

The DESIGN.md contract: ``keys create`` prints the new key alone on its last
line, so scripts can take it with ``tail -1``. ``creditors webhook --url``
does the same with the creditor's derived webhook signing secret.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from smsgate import admin
from smsgate.store import Role, StoreError, database_url, open_store, utc_now
from smsgate.webhooks.config import creditor_secret, require_master_secret

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
    _register_webhook(creditor_commands)

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


def _register_webhook(creditor_commands: Any) -> None:
    webhook = creditor_commands.add_parser(
        "webhook", help="set or remove the creditor's signed status webhook"
    )
    webhook.add_argument("id", help="the creditor")
    target = webhook.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="the https URL that receives status events")
    target.add_argument("--remove", action="store_true", help="stop sending status events")
    webhook.set_defaults(handler=lambda args: _run(_webhook(args)))


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


async def _webhook(args: argparse.Namespace) -> int:
    if args.remove:
        return await _remove_webhook(args.id)
    master = require_master_secret(os.environ)  # refuse before anything is written
    store = await open_store(database_url(os.environ))
    try:
        webhook = await admin.configure_webhook(store, args.id, args.url, at=utc_now())
    finally:
        await store.close()
    print(f"webhook of {webhook.creditor_id} set to {webhook.url}")
    print(f"it receives status events after event {webhook.last_event_id}, signed with:")
    print(creditor_secret(master, webhook.creditor_id))
    return EXIT_OK


async def _remove_webhook(creditor_id: str) -> int:
    store = await open_store(database_url(os.environ))
    try:
        removed = await admin.remove_webhook(store, creditor_id, at=utc_now())
    finally:
        await store.close()
    if not removed:
        print(f"smsgate: {creditor_id} has no webhook", file=sys.stderr)
        return EXIT_FAILED
    print(f"webhook of {creditor_id} removed")
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
