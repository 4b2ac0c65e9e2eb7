"""Builders shared by the policy tests: exact local instants, recipients, contacts.

Plain functions rather than fixtures so that hypothesis tests can use them too.
Every instant is built from a wall-clock reading in a named zone and returned
in UTC, which is how the policy reports instants.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from smsgate.core.audience import Audience
from smsgate.core.policy import (
    CN_SHENZHEN,
    Channel,
    Contact,
    ContactRequest,
    ContactStatus,
    Decision,
    OnQuietHours,
    Recipient,
    decide,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
DEBTOR_PHONE = "+8613800138000"
SECOND_PHONE = "+8613900139000"
FRIEND_PHONE = "+8613700137000"
#: A Manhattan number (area code 212): its only zone is America/New_York.
US_PHONE = "+12125550100"
#: A Los Angeles number (area code 310): America/Los_Angeles.
LA_PHONE = "+13105550100"
#: A US personal number (area code 500): no area, so every US zone from Adak to New York.
US_ANYWHERE_PHONE = "+15002345678"
#: An international-networks number libphonenumber cannot place (Etc/Unknown).
UNPLACED_PHONE = "+88234567890"


def local(
    zone: ZoneInfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    """The instant (UTC) at which the clock of ``zone`` reads the given wall time."""
    wall = datetime(year, month, day, hour, minute, second, fold=fold, tzinfo=zone)
    return wall.astimezone(UTC)


def debtor(
    *,
    phone: str = DEBTOR_PHONE,
    debtor_id: str = "D-1001",
    timezone: str | None = None,
    tags: frozenset[str] = frozenset(),
) -> Recipient:
    """A debtor recipient."""
    return Recipient(phone, debtor_id, Audience.DEBTOR, timezone, tags)


def us_debtor(*, phone: str = US_PHONE, timezone: str | None = None) -> Recipient:
    """Debtor D-1001 on a New York number."""
    return debtor(phone=phone, timezone=timezone)


def third_party(*, phone: str = FRIEND_PHONE, timezone: str | None = None) -> Recipient:
    """A third party (family member, colleague) reached about debtor D-1001."""
    return Recipient(phone, "D-1001", Audience.THIRD_PARTY, timezone)


def request(
    recipient: Recipient,
    *,
    audience: Audience | None = None,
    send_at: datetime | None = None,
    opted_out: bool = False,
    third_party_refused: bool = False,
) -> ContactRequest:
    """A request whose template audience matches the recipient unless told otherwise."""
    return ContactRequest(
        recipient=recipient,
        audience=recipient.role if audience is None else audience,
        status=ContactStatus(opted_out=opted_out, third_party_refused=third_party_refused),
        send_at=send_at,
    )


def contact(
    at: datetime,
    *,
    phone: str = DEBTOR_PHONE,
    debtor_id: str = "D-1001",
    channel: Channel = Channel.SMS,
    role: Audience = Audience.DEBTOR,
) -> Contact:
    """A prior contact; by default an SMS to debtor D-1001's first phone."""
    return Contact(at, debtor_id, phone, channel, role)


# A Monday in Shanghai, and the next two mornings' 08:00 as UTC instants.
MONDAY_NOON = local(SHANGHAI, 2024, 3, 11, 12)
TUESDAY_0800 = datetime(2024, 3, 12, 0, 0, tzinfo=UTC)
WEDNESDAY_0800 = datetime(2024, 3, 13, 0, 0, tzinfo=UTC)
STUDENT = frozenset({"student"})


def shanghai_decision(
    req: ContactRequest,
    now: datetime,
    history: tuple[Contact, ...] = (),
    on_quiet_hours: OnQuietHours = OnQuietHours.DEFER,
) -> Decision:
    """``decide`` under the built-in cn-shenzhen profile."""
    return decide(req, CN_SHENZHEN, history, now, on_quiet_hours)
