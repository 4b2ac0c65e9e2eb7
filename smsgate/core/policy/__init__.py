"""Contact policy: may this recipient be contacted now, later, or not at all?

A pure decision over plain values. The HTTP layer builds a ``ContactRequest``;
storage fetches the contacts inside ``history_window``; ``decide`` returns
``Allow``, ``Defer`` or ``Refuse`` with a stable ``PolicyCode`` and a reason a
compliance reviewer can read. Profiles (``cn-shenzhen``, ``us-reg-f``) are data,
adjustable per creditor with ``profile_from_config``. All local-time reasoning
is in the recipient's time zones, derived from the number (``zones``), and
DST-correct; see ``local_time``.
"""

from smsgate.core.policy.caps import CapLedger, CapLedgers, CapScope, ContactCap
from smsgate.core.policy.config import profile_from_config
from smsgate.core.policy.contacts import Channel, Contact, ContactRequest, ContactStatus, Recipient
from smsgate.core.policy.debtors import DebtorIdError, canonical_debtor_id
from smsgate.core.policy.decisions import Allow, Decision, Defer, OnQuietHours, PolicyCode, Refuse
from smsgate.core.policy.errors import PolicyError, ProfileError, UnknownTimeZone
from smsgate.core.policy.hours import ContactHours, EveryZoneHours, LocalWindow, TagBlackout
from smsgate.core.policy.profiles import (
    BUILTIN_PROFILES,
    CN_SHENZHEN,
    DEFAULT_PROFILE_NAME,
    US_REG_F,
    PolicyProfile,
    builtin_profile,
)
from smsgate.core.policy.rules import RULES, Rule
from smsgate.core.policy.vetting import decide, history_window
from smsgate.core.policy.zones import (
    RecipientZones,
    geographic_zone,
    number_zones,
    recipient_zones,
)

__all__ = [
    "BUILTIN_PROFILES",
    "CN_SHENZHEN",
    "DEFAULT_PROFILE_NAME",
    "RULES",
    "US_REG_F",
    "Allow",
    "CapLedger",
    "CapLedgers",
    "CapScope",
    "Channel",
    "Contact",
    "ContactCap",
    "ContactHours",
    "ContactRequest",
    "ContactStatus",
    "DebtorIdError",
    "Decision",
    "Defer",
    "EveryZoneHours",
    "LocalWindow",
    "OnQuietHours",
    "PolicyCode",
    "PolicyError",
    "PolicyProfile",
    "ProfileError",
    "Recipient",
    "RecipientZones",
    "Refuse",
    "Rule",
    "TagBlackout",
    "UnknownTimeZone",
    "builtin_profile",
    "canonical_debtor_id",
    "decide",
    "geographic_zone",
    "history_window",
    "number_zones",
    "profile_from_config",
    "recipient_zones",
]
