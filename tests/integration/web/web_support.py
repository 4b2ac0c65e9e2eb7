"""A gateway with the compliance UI on 127.0.0.1, seeded like the demo, for UI and browser tests.

Everything is seeded through the real services (``TemplateDesk`` creates,
submits and approves; ``send_message`` holds a message with a review term),
so the pages are tested against data the running product would hold. Two
creditors, ``acme`` and ``globex``, each with their own keys, templates and
held messages, let tests check that one tenant never sees the other. The
clock is a :class:`FrozenClock` a test moves to expire sessions.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from smsgate.api.app import create_app
from smsgate.api.message_answers import ANSWERS
from smsgate.audit_keys import AuditSigner
from smsgate.bootstrap import Gateway, open_gateway
from smsgate.core.audience import Audience
from smsgate.core.policy import OnQuietHours, Recipient
from smsgate.core.templates import TemplateSource
from smsgate.service import administration, opt_outs
from smsgate.service.audit_checks import verify_audit_tree
from smsgate.service.principals import Principal
from smsgate.service.sending import SendRequest, send_message
from smsgate.service.sequencer import integrate
from smsgate.service.templates import TemplateDesk
from smsgate.settings import Settings
from smsgate.store import (
    AttemptOutcome,
    MessageStatus,
    OptOut,
    OptOutKind,
    OptOutSource,
    Role,
    SendAttempt,
)
from smsgate.web import WebSettings, add_web

# 10:00 in Shanghai: inside the contact window.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SECRET = b"test-session-secret-0123456789abcdef"
IDLE = timedelta(minutes=30)

#: 律师 (lawyer) is a review-severity term: the reviewer checks a real lawyer was instructed.
LAWYER_BODY = (
    "{{ name }}您好，您的欠款{{ amount|money }}已逾期，我司已委托律 师跟进，请致电{{ hotline }}。"
)
PLAIN_BODY = "{{ name }}您好，您的本期账单{{ amount|money }}将于{{ due|date }}到期，请按时还款。"
REMINDER_V1 = "{{ name }}您好，您的账单{{ amount|money }}已逾期{{ days }}天，请尽快还款。"
REMINDER_V2 = (
    "{{ name }}您好，您的账单{{ amount|money }}已逾期{{ days }}天，请通过官方APP尽快还款。"
)
VARIABLES: dict[str, Any] = {
    "name": {"type": "str", "max_length": 10},
    "amount": {"type": "money"},
    "days": {"type": "int", "max": 3650},
    "due": {"type": "date"},
    "hotline": {"type": "phone"},
}
PHONE = "+8613800138000"
OPTED_OUT_PHONE = "+8613900139000"
CARRIER = "fake-carrier"


def schema(body: str) -> dict[str, Any]:
    """The part of :data:`VARIABLES` that ``body`` uses."""
    return {name: spec for name, spec in VARIABLES.items() if "{{ " + name in body}


@dataclass
class FrozenClock:
    """A clock that stands still until a test moves it."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class UiWorld:
    """A running gateway with the UI, its tokens by name and the ids of what was seeded."""

    gateway: Gateway
    base_url: str
    clock: FrozenClock
    tokens: dict[str, str] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    held: dict[str, list[str]] = field(default_factory=dict)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The ids of the world's two creditors (``held`` is keyed by them).
    acme: str = "acme"
    globex: str = "globex"

    async def mint(
        self, name: str, creditor: str, *roles: Role, label: str = "", person: str = ""
    ) -> str:
        """Create a key called ``name`` (its label and person too, unless given)."""
        key, token = await administration.create_key(
            self.gateway.store, creditor, roles, at=self.clock(), label=label or name,
            person=person or name,
        )  # fmt: skip
        self.tokens[name] = token
        self.principals[name] = Principal(key.id, creditor, key.roles)
        return token

    async def template(self, author: str, name: str, body: str, *, approve_by: str = "") -> str:
        """Create and submit a template as ``author``; approve it as ``approve_by`` if given."""
        desk = TemplateDesk.of(self.gateway)
        source = TemplateSource(body, Audience.DEBTOR, schema(body))
        drafted = await desk.create(self.principals[author], name, source)
        await desk.submit(self.principals[author], drafted.template.id)
        if approve_by:
            await desk.approve(self.principals[approve_by], drafted.template.id, "seeded")
        self.templates[name] = drafted.template.id
        self.schemas.setdefault(name, schema(body))  # the first version serves
        return drafted.template.id

    async def send(
        self,
        sender: str,
        template: str,
        name: str,
        debtor: str,
        *,
        phone: str = PHONE,
        expect: int = 202,
    ) -> dict[str, Any]:
        """Send the approved ``template`` to ``phone`` as ``sender``; the response body."""
        values = {"name": name, "amount": "1234.50", "days": 5, "hotline": "4008001234"}
        variables = {k: v for k, v in values.items() if k in self.schemas[template]}
        request = SendRequest(
            template_id=self.templates[template],
            variables=variables,
            recipient=Recipient(phone, debtor, Audience.DEBTOR, "Asia/Shanghai"),
            send_at=None,
            on_quiet_hours=OnQuietHours.DEFER,
        )
        outcome = await send_message(self.gateway, self.principals[sender], request, ANSWERS)
        assert outcome.status == expect, outcome.body
        return outcome.body

    async def deliver(self, message_id: str) -> None:
        """Record that :data:`CARRIER` took the message and reported it delivered."""
        now = self.clock()
        attempt = SendAttempt(message_id, 1, CARRIER, f"{message_id}-1", now)
        async with self.gateway.store.transaction() as tx:
            await tx.attempts.start(attempt)
            await tx.messages.set_status(message_id, MessageStatus.SENDING, now, "attempt 1")
            await tx.attempts.finish(
                message_id, 1, AttemptOutcome.SENT, now, carrier_message_id="c1"
            )
            await tx.messages.set_status(message_id, MessageStatus.SENT, now, f"{CARRIER} c1")
            await tx.messages.set_status(message_id, MessageStatus.DELIVERED, now)

    async def opt_out(self, creditor: str, phone: str) -> None:
        """Put ``phone`` on ``creditor``'s do-not-contact list (as the API would)."""
        record = OptOut(creditor, phone, OptOutKind.OPT_OUT, OptOutSource.API, self.clock(), "STOP")
        await opt_outs.add_opt_out(self.gateway.store, record, "operator:test")


async def seed(world: UiWorld) -> None:
    """Two creditors, their keys, templates in every review state and held messages."""
    acme, globex = world.acme, world.globex
    for creditor, title in ((acme, "安信消费金融"), (globex, "环球小贷")):
        await administration.create_creditor(
            world.gateway.store, creditor, name=title, signature=title,
            profile="cn-shenzhen", at=world.clock(),
        )  # fmt: skip
    await world.mint("author", acme, Role.AUTHOR)
    await world.mint("reviewer", acme, Role.REVIEWER)
    await world.mint("second_reviewer", acme, Role.REVIEWER)
    await world.mint("admin", acme, Role.ADMIN)
    await world.mint("sender", acme, Role.SENDER)
    await world.mint("author_reviewer", acme, Role.AUTHOR, Role.REVIEWER)
    await world.mint("globex_author", globex, Role.AUTHOR)
    await world.mint("globex_reviewer", globex, Role.REVIEWER)
    await world.mint("globex_sender", globex, Role.SENDER)
    await world.template("author", "overdue-reminder", REMINDER_V1, approve_by="second_reviewer")
    world.clock.advance(minutes=5)
    await world.template("author", "overdue-reminder", REMINDER_V2)
    await world.template("author", "lawyer-letter", LAWYER_BODY)
    await world.template("author", "due-date-notice", PLAIN_BODY)
    await world.template("author_reviewer", "self-written", PLAIN_BODY)
    await world.template(
        "globex_author", "globex-private", REMINDER_V1, approve_by="globex_reviewer"
    )
    world.held[acme] = [
        (await world.send("sender", "overdue-reminder", "律师", f"D-{n}"))["id"] for n in (1, 2, 3)
    ]
    world.held[globex] = [
        (await world.send("globex_sender", "globex-private", "律师", "G-1"))["id"]
    ]
    delivered = await world.send("sender", "overdue-reminder", "张三", "D-9")
    await world.deliver(delivered["id"])
    await world.opt_out(acme, OPTED_OUT_PHONE)
    await world.send("sender", "overdue-reminder", "李四", "D-8", phone=OPTED_OUT_PHONE, expect=422)
    world.clock.advance(minutes=5)


async def start_ui(
    tmp_path: Path, settings: WebSettings | None = None, *, database_url: str = ""
) -> AsyncIterator[UiWorld]:
    """Start the seeded gateway with the UI on a free 127.0.0.1 port.

    ``database_url`` defaults to a SQLite file in ``tmp_path``.
    """
    clock = FrozenClock()
    url = database_url or f"sqlite:///{tmp_path / 'ui.db'}?synchronous=normal"
    signer = AuditSigner.generate()[0]  # this file is loaded by path: no shared test key
    async for gateway, base_url in serve_ui(url, clock, settings, signer=signer):
        yield await seeded_world(UiWorld(gateway, base_url, clock), signer)


async def seeded_world(world: UiWorld, signer: AuditSigner) -> UiWorld:
    """``world`` once :func:`seed` filled it and ``signer`` (the gateway's audit key) sequenced
    and verified the audit tree."""
    await seed(world)
    # What `smsgate serve`'s background job would have done by now: the page shows it.
    while await integrate(world.gateway.store, signer, world.clock) is not None:
        pass
    await verify_audit_tree(world.gateway.store, signer.verifier, world.clock)
    return world


async def serve_ui(
    database_url: str,
    clock: FrozenClock,
    settings: WebSettings | None = None,
    *,
    signer: AuditSigner | None = None,
    **more: Any,
) -> AsyncIterator[tuple[Gateway, str]]:
    """One gateway instance with the UI on ``database_url``: its gateway and base URL.

    Called again on the same database (and clock) it is a second instance,
    as another ``smsgate serve`` process sharing the database would be.
    ``signer`` is its audit key (evidence packs need one), as ``serve``'s would be;
    ``more`` adds to the gateway's ``Settings``.
    """
    config = Settings(database_url=database_url, auth_cache_seconds=0, audit_signer=signer, **more)
    async with open_gateway(config, clock=clock) as gateway:
        app = create_app(gateway)
        add_web(app, settings or WebSettings(session_secret=SECRET, idle_timeout=IDLE))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            yield gateway, f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)
