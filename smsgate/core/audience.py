"""Who a message is for: the debtor, or a third party (family, colleague, referee).

Industry rules treat the two very differently: a third party may only be asked
to pass on a call-back request and must never learn of the debt. Templates
declare an audience, recipients carry a role, and some wordlists apply only
to one audience, so the notion lives here, shared by the whole core.
"""

from enum import StrEnum


class Audience(StrEnum):
    """The audience of a template, which is also the role of a recipient."""

    DEBTOR = "debtor"
    THIRD_PARTY = "third_party"
