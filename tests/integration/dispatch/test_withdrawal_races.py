"""A reply or a retirement withdrawing a message while a dispatcher starts sending it.

Both units lock the message's rows: the dispatcher's first transaction
(``preparation``) renews the outbox lease and then marks the message
``sending``; a withdrawal (``booking.withdraw``: stop, complaint, refusal,
wrong number, retirement) moves the message, then drops its outbox row and
its booking. Each test stops the dispatcher right after its lease renewal
(``PausedStore``), starts the withdrawal, lets it take its first lock (or
find it taken), then lets the dispatcher go on. Without one lock order the
two units wait on each other and PostgreSQL aborts one (``40P01``, the
store's ``StoreBusy``); a stop answered with an error may never come back.

What must come out: no error on either side, and the end the lifecycle
gives a message already taken for sending: it is sent (too late to stop,
``booking.withdraw``), the withdrawal leaves it alone and still records its
own lasting effect (the opt-out, the flag, the detachment, the retirement),
which stops the next message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from smsgate.carriers import FakeCarrier, InboundSms
from smsgate.dispatch import Disposition
from smsgate.service.principals import Principal
from smsgate.service.replies import take_reply
from smsgate.service.retirement import settle_retired
from smsgate.store import MessageStatus, OptOutKind, Role, Store
from smsgate.wordlists import reply_classifier

from ..feedback.feedback_support import sent
from ..store_fixtures import OpenStore
from .conftest import MakeDispatcher
from .dispatch_support import PHONE, T0, Tenant, status_of
from .paused_units import PausedStore, first_of, lock_waiters

KEYWORDS = reply_classifier()
#: The longest the two units may take together once the dispatcher is let go.
RACE_LIMIT_S = 15.0

#: What a withdrawal did: the ids it settled.
Withdraw = Callable[[Store, Tenant], Awaitable[tuple[str, ...]]]
#: Whether the withdrawal's lasting effect is in the store.
Lasting = Callable[[Store, Tenant], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """One caller of ``booking.withdraw``, and the effect it leaves whatever the race."""

    withdraw: Withdraw
    lasting: Lasting


def replying(text: str) -> Withdraw:
    async def withdraw(store: Store, tenant: Tenant) -> tuple[str, ...]:
        outcome = await take_reply(store, "fake", InboundSms(PHONE, text), KEYWORDS, T0)
        assert outcome.new
        return outcome.rejected + outcome.held

    return withdraw


async def retiring(store: Store, tenant: Tenant) -> tuple[str, ...]:
    reviewer = Principal("key_reviewer", tenant.creditor.id, frozenset({Role.REVIEWER}))
    async with store.transaction() as tx:
        await tx.templates.retire(tenant.template.id, T0)
        return tuple(await settle_retired(tx, reviewer, tenant.template.id, "wrong text", T0))


def opted_out(kind: OptOutKind) -> Lasting:
    async def lasting(store: Store, tenant: Tenant) -> bool:
        async with store.read() as tx:
            active = await tx.opt_outs.active(tenant.creditor.id, PHONE)
        return kind in {opt_out.kind for opt_out in active}

    return lasting


async def detached(store: Store, tenant: Tenant) -> bool:
    async with store.read() as tx:
        return await tx.detachments.is_detached(tenant.creditor.id, "D-1001", PHONE)


def both(first: Lasting, second: Lasting) -> Lasting:
    async def lasting(store: Store, tenant: Tenant) -> bool:
        return await first(store, tenant) and await second(store, tenant)

    return lasting


async def retired(store: Store, tenant: Tenant) -> bool:
    async with store.read() as tx:
        template = await tx.templates.get(tenant.creditor.id, tenant.template.id)
    return template is not None and template.retired_at is not None


WITHDRAWALS = [
    pytest.param(Withdrawal(replying("退订"), opted_out(OptOutKind.OPT_OUT)), id="stop"),
    pytest.param(
        Withdrawal(replying("投诉"), opted_out(OptOutKind.DO_NOT_CONTACT)), id="complaint"
    ),
    pytest.param(
        Withdrawal(replying("我不认识他"), opted_out(OptOutKind.THIRD_PARTY_REFUSAL)),
        id="third-party-refusal",
    ),
    pytest.param(Withdrawal(replying("不是本人"), detached), id="wrong-number"),
    pytest.param(
        Withdrawal(replying("不是本人，退订"), both(detached, opted_out(OptOutKind.OPT_OUT))),
        id="wrong-number-and-stop",
    ),
    pytest.param(Withdrawal(retiring, retired), id="retirement"),
]


class TestWithdrawalRacingASend:
    """A withdrawal meeting a dispatcher mid-way through its first transaction never deadlocks."""

    @pytest.mark.parametrize("withdrawal", WITHDRAWALS)
    async def test_the_send_goes_and_the_withdrawal_lasts(
        self,
        store: Store,
        open_more: OpenStore,
        tenant: Tenant,
        make_dispatcher: MakeDispatcher,
        database_url: str,
        withdrawal: Withdrawal,
    ) -> None:
        await sent(store, tenant)  # the message a reply answers
        (queued,) = await tenant.accept(store)
        sending = PausedStore(store, "outbox", "renew")
        withdrawing = PausedStore(await open_more(), "messages", "set_status", hold=False)
        carrier = FakeCarrier()
        dispatch = asyncio.create_task(make_dispatcher(carrier, on=sending).run_once())
        async with asyncio.timeout(RACE_LIMIT_S):
            await sending.reached.wait()  # the lease renewed: the outbox row is the send's
            withdraw = asyncio.create_task(withdrawal.withdraw(withdrawing, tenant))
            await first_of(withdrawing.reached.wait(), lock_waiters(database_url))
            sending.resume.set()
            report, settled = await asyncio.gather(dispatch, withdraw)
        assert [outcome.disposition for outcome in report.outcomes] == [Disposition.SENT]
        assert settled == ()
        assert await status_of(store, queued.id) is MessageStatus.SENT
        assert [sms.message_id for sms in carrier.calls] == [queued.id]
        assert await withdrawal.lasting(store, tenant)
