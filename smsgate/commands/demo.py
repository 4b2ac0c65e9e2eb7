"""``smsgate demo`` (what ``make run`` starts): the service with everything a newcomer needs.

A fresh SQLite file, the console carrier printing every sent SMS (or the
fleet ``SMSGATE_CARRIERS`` configures, if set), the demo
creditor with an author, a reviewer and a sender key, two approved templates
and one awaiting review; the keys and a ready-to-paste ``curl`` are printed
before the server starts. The demo database is recreated on every start, so
the printed keys always work; it never touches ``SMSGATE_DATABASE_URL``'s
database unless that variable points the demo there explicitly.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from smsgate.audit_keys import SIGNING_KEY_VARIABLE, AuditSigner
from smsgate.core.policy import number_zones
from smsgate.demo_seed import DemoSetup, seed_demo
from smsgate.logs import configure_logging
from smsgate.settings import Settings
from smsgate.store import utc_now

if TYPE_CHECKING:
    from smsgate.bootstrap import Gateway

DEMO_DATABASE = Path("smsgate-demo.db")


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    parser = subparsers.add_parser("demo", help="run the service with a seeded demo creditor")
    parser.add_argument("--port", type=int, help="listen port (default 8080 or SMSGATE_PORT)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Seed a fresh demo database, print how to use it, and serve."""
    # Imported when serving, as in ``smsgate serve``: other commands start without aiohttp.
    from aiohttp import web

    from smsgate.api.app import serving_app

    explicit = "SMSGATE_DATABASE_URL" in os.environ
    if not explicit:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
        os.environ["SMSGATE_DATABASE_URL"] = f"sqlite:///{DEMO_DATABASE}"
    if not os.environ.get(SIGNING_KEY_VARIABLE):
        os.environ[SIGNING_KEY_VARIABLE] = AuditSigner.generate()[1]
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    port = args.port or settings.port

    async def seed_and_introduce(gateway: Gateway) -> None:
        setup = await seed_demo(gateway.store, gateway.wordlists.current(), utc_now())
        carriers = ", ".join(gateway.carriers.names())
        print(banner(setup, settings.host, port, utc_now(), carriers), flush=True)
        print(audit_banner(os.environ[SIGNING_KEY_VARIABLE]), flush=True)

    web.run_app(serving_app(settings, seed_and_introduce), host=settings.host, port=port,
                access_log=None, print=None)  # fmt: skip
    return 0


def audit_banner(signing_key: str) -> str:
    """The demo's audit key: the private one (to reuse) and the public one (to verify with)."""
    public = AuditSigner.from_private_key(signing_key).verifier.public_key
    return "\n".join([
        "The audit tree's heads are signed with this key (made for the demo unless",
        f"{SIGNING_KEY_VARIABLE} was set); `smsgate audit verify` checks them with its public key:",
        f"  {SIGNING_KEY_VARIABLE}={signing_key}",
        f"  public key {public}",
        "",
    ])  # fmt: skip


#: Mobile ranges spread around the globe, each in one time zone or two close ones (six more
#: digits make a number): one of them is always in the middle of its day. The recipient's
#: zone is derived from the number, so the demo picks a number, not just a zone.
DEMO_RANGES = (
    "+8613800", "+819012", "+64211", "+18085", "+13105", "+12125", "+5511998", "+447400",
    "+4915112", "+971501", "+919812", "+6591",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoPlace:
    """A mobile range and the time zones its numbers are in (the first one named)."""

    prefix: str

    @property
    def zones(self) -> tuple[str, ...]:
        """Every zone the range's numbers may be in, as the policy derives them."""
        return number_zones(self.phone(0))

    @property
    def zone(self) -> str:
        """The zone a sender would give for the range's numbers."""
        return self.zones[0]

    def phone(self, number: int) -> str:
        """The range's ``number``-th phone (0 to 999999), in E.164."""
        return f"{self.prefix}{number:06d}"

    def is_daytime(self, now: datetime) -> bool:
        """Whether it is between 09:00 and 20:00 at ``now`` in every zone of the range."""
        return all(9 <= now.astimezone(ZoneInfo(zone)).hour < 20 for zone in self.zones)


def daytime_place(now: datetime) -> DemoPlace:
    """A mobile range where it is now between 09:00 and 20:00, so the demo message goes at once.

    Quiet hours are real in the demo too: a number in a zone where it is night
    gets ``scheduled`` for 08:00 local, which the banner invites you to try.
    """
    places = [DemoPlace(prefix) for prefix in DEMO_RANGES]
    return next((place for place in places if place.is_daytime(now)), places[0])


def banner(setup: DemoSetup, host: str, port: int, now: datetime, carriers: str = "console") -> str:
    """What a newcomer needs, ready to paste; ``carriers`` names the fleet's accounts."""
    place = daytime_place(now)
    base = f"http://{host}:{port}"
    body = {
        "template_id": setup.templates["overdue-reminder"],
        "variables": {"name": "张三", "amount": "1234.50", "days": 5, "hotline": "4008001234"},
        "recipient": {"phone": place.phone(138000), "debtor_id": "D-1001", "role": "debtor",
                      "timezone": place.zone},
        "on_quiet_hours": "defer",
    }  # fmt: skip
    curl = (
        f"curl -s -X POST {base}/v1/messages \\\n"
        f"  -H 'Authorization: Bearer {setup.sender}' \\\n"
        f"  -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' \\\n"
        f"  -d '{json.dumps(body, ensure_ascii=False)}'"
    )
    return "\n".join([
        "",
        f"smsgate demo is starting on {base}  (database {DEMO_DATABASE}, carriers: {carriers})",
        "",
        "  creditor  acme (安信消费金融), profile cn-shenzhen",
        f"  sender    {setup.sender}",
        f"  author    {setup.author}",
        f"  reviewer  {setup.reviewer}",
        "",
        *(f"  template  {name:<18} {tid}" for name, tid in setup.templates.items()),
        "",
        "Send a first message (it appears below as a console-carrier line within a second):",
        "",
        curl,
        "",
        f"(The recipient's number, in {place.zone}, is chosen because it is daytime there now;",
        " a number where it is night gets the message scheduled for 08:00 local instead, and",
        " a time zone the number is not in is refused: timezone_mismatch.)",
        "",
        f"Then: curl -s {base}/v1/messages/<id> -H 'Authorization: Bearer {setup.sender}'",
        f"API document: {base}/openapi.json   health: {base}/readyz   metrics: {base}/metrics",
        "",
        f"Compliance UI: {base}/ui/  -- sign in with the reviewer key above; one template",
        "is waiting in the review queue (open it, give a reason, press 批准 / Approve).",
        "",
    ])  # fmt: skip
