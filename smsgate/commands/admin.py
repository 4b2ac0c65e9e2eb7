"""Administrative commands: migrate, creditors create / webhook, keys, audit.

The DESIGN.md contract: ``keys create`` prints the new key alone on its last
line, so scripts can take it with ``tail -1``; ``keys rotate`` does the same
with the successor key. ``keys list`` prints one line per key (id, roles,
label, person, state, last use), never a token. ``keys create`` needs
``--person`` for an author or reviewer key: four-eyes compares people.
``creditors confirmation ID --text T | --off`` sets or turns off the
creditor's one confirmation text per stop. ``creditors webhook --url``
does the same with the creditor's derived webhook signing secret.
``audit verify`` checks the audit tree against its newest signed head
(``smsgate.service.audit_checks``) with the public key from ``--public-key``,
``SMSGATE_AUDIT_PUBLIC_KEY`` or the signing key (and, holding the signing
key, first integrates pending leaves as a sequencer would, so an install
run by CLI alone has its entries in the tree); ``audit keygen`` prints a new
signing key (and its public key), ``audit public-key`` the configured one's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from smsgate.audit_keys import (
    PUBLIC_KEY_VARIABLE,
    SIGNING_KEY_VARIABLE,
    AuditKeyError,
    AuditSigner,
    AuditVerifier,
)
from smsgate.bootstrap import open_operator_store
from smsgate.service import administration
from smsgate.service.audit_checks import verify_audit_tree
from smsgate.service.sequencer import integrate
from smsgate.store import Role, Store, StoreError, TreeCheckpoint, utc_now
from smsgate.store.sql.schema import MigrationOptions
from smsgate.webhooks.config import creditor_secret, require_master_secret
from smsgate.webhooks.targets import TargetAllowList
from smsgate.wordlists import load_scanner

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add the administrative commands."""
    migrate = subparsers.add_parser("migrate", help="create or upgrade the database schema")
    migrate.add_argument(
        "--accept-broken-chain", type=int, metavar="SEQ", default=None,
        help="migrate an audit log whose old hash chain is broken at SEQ (the first bad entry "
        "the refused migration named), recording that in the log",
    )  # fmt: skip
    migrate.set_defaults(handler=lambda args: _run(_migrate(args.accept_broken_chain)))

    creditors = subparsers.add_parser("creditors", help="manage creditors (tenants)")
    creditor_commands = creditors.add_subparsers(dest="action", required=True)
    create = creditor_commands.add_parser("create", help="create a creditor")
    create.add_argument("id", help="a lower-case slug such as acme")
    create.add_argument("--name", required=True)
    create.add_argument("--signature", required=True, help="the 【signature】 carriers require")
    create.add_argument("--profile", default="cn-shenzhen", help="policy profile")
    create.set_defaults(handler=lambda args: _run(_create_creditor(args)))
    _register_webhook(creditor_commands)
    _register_confirmation(creditor_commands)

    keys = subparsers.add_parser("keys", help="manage API keys")
    key_commands = keys.add_subparsers(dest="action", required=True)
    key = key_commands.add_parser("create", help="create a key; prints it once, on the last line")
    key.add_argument("--creditor", required=True)
    key.add_argument("--roles", required=True, help="comma-separated: sender,author,reviewer,admin")
    key.add_argument("--label", default="")
    key.add_argument(
        "--person",
        default=None,
        help="whom the key is for (required with author or reviewer): four-eyes compares people",
    )
    key.set_defaults(handler=lambda args: _run(_create_key(args)))
    _register_key_lifecycle(key_commands)

    _register_audit(subparsers)


def _register_audit(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="the audit log and its Merkle tree")
    audit_commands = audit.add_subparsers(dest="action", required=True)
    verify = audit_commands.add_parser(
        "verify",
        help="check the audit tree against its newest signed head, from the last verified one",
        description="Check the leaves added since the last verified tree head (the checkpoint) "
        "and that the newest signed head extends it, and move the checkpoint; --full checks "
        "every leaf from the first.",
    )
    verify.add_argument(
        "--full", action="store_true", help="check every leaf, also those before the checkpoint"
    )
    verify.add_argument(
        "--public-key", default=None, metavar="BASE64",
        help=f"the audit key's public key (default {PUBLIC_KEY_VARIABLE}, else derived from "
        f"{SIGNING_KEY_VARIABLE})",
    )  # fmt: skip
    verify.set_defaults(handler=lambda args: _run(_verify(args)))
    keygen = audit_commands.add_parser(
        "keygen", help=f"print a new audit signing key ({SIGNING_KEY_VARIABLE}) and its public key"
    )
    keygen.set_defaults(handler=lambda args: _keygen())
    public = audit_commands.add_parser(
        "public-key", help=f"print the public key of {SIGNING_KEY_VARIABLE} (for verifiers)"
    )
    public.set_defaults(handler=lambda args: _public_key())


def _register_key_lifecycle(key_commands: Any) -> None:
    listing = key_commands.add_parser("list", help="list a creditor's keys (never their tokens)")
    listing.add_argument("--creditor", required=True)
    listing.set_defaults(handler=lambda args: _run(_list_keys(args)))
    rotate = key_commands.add_parser(
        "rotate", help="replace a key by a new one with the same roles; prints it on the last line"
    )
    rotate.add_argument("key_id")
    rotate.add_argument(
        "--grace", type=int, default=0, metavar="SECONDS",
        help="how long the old key keeps working (0 to 604800, default 0)",
    )  # fmt: skip
    rotate.set_defaults(handler=lambda args: _run(_rotate_key(args)))
    revoke = key_commands.add_parser("revoke", help="revoke a key now (idempotent)")
    revoke.add_argument("key_id")
    revoke.set_defaults(handler=lambda args: _run(_revoke_key(args)))


def _register_webhook(creditor_commands: Any) -> None:
    webhook = creditor_commands.add_parser(
        "webhook", help="set or remove the creditor's signed status webhook"
    )
    webhook.add_argument("id", help="the creditor")
    target = webhook.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="the https URL that receives status events")
    target.add_argument("--remove", action="store_true", help="stop sending status events")
    webhook.set_defaults(handler=lambda args: _run(_webhook(args)))


def _register_confirmation(creditor_commands: Any) -> None:
    confirmation = creditor_commands.add_parser(
        "confirmation",
        help="set or turn off the creditor's one confirmation text per stop (退订成功…)",
        description="The text goes once per opt-out to a phone that replied stop; it is signed "
        "with the creditor's 【signature】, must be fixed wording and must pass the scanner.",
    )
    confirmation.add_argument("id", help="the creditor")
    choice = confirmation.add_mutually_exclusive_group(required=True)
    choice.add_argument("--text", help="the confirmation text (turns confirmations on)")
    choice.add_argument("--off", action="store_true", help="send no confirmations (the default)")
    confirmation.add_argument(
        "--wordlists", type=Path, default=None, metavar="DIR",
        help="the wordlist directory to scan with (default: SMSGATE_WORDLISTS, else the shipped)",
    )  # fmt: skip
    confirmation.set_defaults(handler=lambda args: _run(_confirmation(args)))


def _run(coroutine: Any) -> int:
    try:
        status: int = asyncio.run(coroutine)
    except (StoreError, ValueError) as error:
        print(f"smsgate: {error}", file=sys.stderr)
        return EXIT_FAILED
    return status


async def _migrate(accept_broken_chain: int | None) -> int:
    options = MigrationOptions(accept_broken_chain_at=accept_broken_chain)
    async with open_operator_store(migration=options) as store:
        version = await store.migrate()
    print(f"database schema at version {version}")
    return EXIT_OK


async def _create_creditor(args: argparse.Namespace) -> int:
    async with open_operator_store() as store:
        creditor = await administration.create_creditor(
            store,
            args.id,
            name=args.name,
            signature=args.signature,
            profile=args.profile,
            at=utc_now(),
        )
    print(f"created creditor {creditor.id} ({creditor.name}, profile {creditor.profile_name})")
    return EXIT_OK


async def _create_key(args: argparse.Namespace) -> int:
    try:
        roles = [Role(role.strip()) for role in args.roles.split(",") if role.strip()]
    except ValueError:
        raise ValueError("roles are sender, author, reviewer and admin") from None
    async with open_operator_store() as store:
        key, token = await administration.create_key(
            store, args.creditor, roles, at=utc_now(), label=args.label, person=args.person
        )
    print(f"created key {key.id} for {key.creditor_id} with roles {','.join(sorted(key.roles))}")
    print("store it now: it is not shown again")
    print(token)
    return EXIT_OK


async def _list_keys(args: argparse.Namespace) -> int:
    async with open_operator_store() as store:
        keys = await administration.list_keys(store, args.creditor)
    now = utc_now()
    for key in keys:
        state = "live" if key.revoked_at is None else _revocation(key.revoked_at, now)
        used = "never used" if key.last_used_at is None else f"used {_instant(key.last_used_at)}"
        label = f" {key.label!r}" if key.label else ""
        person = f" for {key.person!r}" if key.person is not None else ""
        print(f"{key.id} {','.join(sorted(key.roles))}{label}{person} {state}, {used}")
    return EXIT_OK


async def _rotate_key(args: argparse.Namespace) -> int:
    grace = timedelta(seconds=args.grace)
    async with open_operator_store() as store:
        rotation = await administration.rotate_key(store, args.key_id, at=utc_now(), grace=grace)
    old, new = rotation.old, rotation.new.key
    assert old.revoked_at is not None  # a rotation always schedules it
    print(f"created key {new.id} for {new.creditor_id} with roles {','.join(sorted(new.roles))}")
    print(f"key {old.id} stops working at {_instant(old.revoked_at)}")
    print("store it now: it is not shown again")
    print(rotation.new.token)
    return EXIT_OK


async def _revoke_key(args: argparse.Namespace) -> int:
    async with open_operator_store() as store:
        key = await administration.revoke_key(store, args.key_id, at=utc_now())
    assert key.revoked_at is not None  # revoke_key returns the key as revoked
    print(f"key {key.id} of {key.creditor_id} revoked at {_instant(key.revoked_at)}")
    return EXIT_OK


def _revocation(revoked_at: datetime, now: datetime) -> str:
    verb = "revoked" if revoked_at <= now else "revoked from"
    return f"{verb} {_instant(revoked_at)}"


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def _webhook(args: argparse.Namespace) -> int:
    if args.remove:
        return await _remove_webhook(args.id)
    master = require_master_secret(os.environ)  # refuse before anything is written
    targets = TargetAllowList.from_env(os.environ)
    async with open_operator_store() as store:
        webhook = await administration.configure_webhook(
            store, args.id, args.url, at=utc_now(), targets=targets
        )
    print(f"webhook of {webhook.creditor_id} set to {webhook.url}")
    print(f"it receives status events after event {webhook.last_event_id}, signed with:")
    print(creditor_secret(master, webhook.creditor_id))
    return EXIT_OK


async def _remove_webhook(creditor_id: str) -> int:
    async with open_operator_store() as store:
        removed = await administration.remove_webhook(store, creditor_id, at=utc_now())
    if not removed:
        print(f"smsgate: {creditor_id} has no webhook", file=sys.stderr)
        return EXIT_FAILED
    print(f"webhook of {creditor_id} removed")
    return EXIT_OK


async def _confirmation(args: argparse.Namespace) -> int:
    async with open_operator_store() as store:
        if args.off:
            cleared = await administration.clear_stop_confirmation(store, args.id, at=utc_now())
            print(f"stop confirmations of {args.id} {'off' if cleared else 'were already off'}")
            return EXIT_OK
        configured = os.environ.get("SMSGATE_WORDLISTS")
        scanner = load_scanner(args.wordlists or (Path(configured) if configured else None))
        version = await administration.set_stop_confirmation(
            store, args.id, args.text, at=utc_now(), scanner=scanner
        )
    print(f"stop confirmations of {args.id} on: template {version.template_id} "
          f"version {version.version}")  # fmt: skip
    return EXIT_OK


def _keygen() -> int:
    signer, private = AuditSigner.generate()
    print("keep the signing key secret, like a password; verifiers need only the public key")
    print(f"public key {signer.verifier.public_key} (key id {signer.verifier.key_id})")
    print(f"{SIGNING_KEY_VARIABLE}={private}")
    return EXIT_OK


def _public_key() -> int:
    raw = os.environ.get(SIGNING_KEY_VARIABLE)
    if not raw:
        print(f"smsgate: {SIGNING_KEY_VARIABLE} is not set", file=sys.stderr)
        return EXIT_USAGE
    try:
        verifier = AuditSigner.from_private_key(raw).verifier
    except AuditKeyError as error:
        print(f"smsgate: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{verifier.public_key}  (key id {verifier.key_id})")
    return EXIT_OK


def trusted_public_key(public_key: str | None) -> AuditVerifier | None:
    """The verifier of a public key the operator gave: ``--public-key``, else
    ``SMSGATE_AUDIT_PUBLIC_KEY``; ``None`` when neither is given."""
    if public_key:
        return AuditVerifier.from_public_key(public_key, "--public-key")
    if configured := os.environ.get(PUBLIC_KEY_VARIABLE):
        return AuditVerifier.from_public_key(configured)
    return None


def audit_verifier(public_key: str | None) -> AuditVerifier:
    """The verifier ``audit verify`` uses; raises ``AuditKeyError`` when there is no key."""
    if (given := trusted_public_key(public_key)) is not None:
        return given
    if signing := os.environ.get(SIGNING_KEY_VARIABLE):
        return AuditSigner.from_private_key(signing).verifier
    raise AuditKeyError(
        f"no key to check the tree heads with: pass --public-key or set {PUBLIC_KEY_VARIABLE} "
        f"(or {SIGNING_KEY_VARIABLE})"
    )


async def _verify(args: argparse.Namespace) -> int:
    try:
        verifier = audit_verifier(args.public_key)
    except AuditKeyError as error:
        print(f"smsgate: {error}", file=sys.stderr)
        return EXIT_USAGE
    started = time.monotonic()
    signing = os.environ.get(SIGNING_KEY_VARIABLE)
    async with open_operator_store() as store:
        if signing and not args.public_key:  # the key is here: sequence what is pending first
            integrated = await sequence_pending(store, AuditSigner.from_private_key(signing))
            if integrated:
                print(f"integrated {integrated} pending leaves into the tree first")
        result = await verify_audit_tree(store, verifier, utc_now, full=args.full)
    print(verification_report(result, time.monotonic() - started),
          file=sys.stdout if result.ok else sys.stderr)  # fmt: skip
    return EXIT_OK if result.ok else EXIT_FAILED


async def sequence_pending(store: Store, signer: AuditSigner) -> int:
    """Run sequencer rounds until nothing is pending (or another instance leads); how many."""
    count = 0
    while (done := await integrate(store, signer, utc_now)) is not None:
        count += done.leaves
    return count


def verification_report(result: TreeCheckpoint, seconds: float) -> str:
    """The one line ``audit verify`` prints: size, root prefix, leaves checked, time; or why not."""
    scope = "from leaf 0" if result.full else "since the last verified head"
    tree = f"tree size {result.size}, root {result.root[:16]}…"
    if result.ok:
        return (
            f"audit tree intact: {tree} ({result.checked} leaves checked {scope}, {seconds:.2f} s)"
        )
    fault = None if result.fault is None else result.fault.value
    where = "" if result.bad_leaf is None else f" at leaf {result.bad_leaf}"
    return (
        f"audit tree BROKEN{where}: {fault}: {result.reason} (last good {tree}; "
        f"{result.checked} leaves checked {scope}, {seconds:.2f} s)"
    )
