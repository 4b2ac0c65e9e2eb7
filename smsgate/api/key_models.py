"""Request and response bodies of the key-management API (``/v1/keys``), as msgspec Structs.

The token appears in exactly one body, the answer to a create or a rotate,
and nowhere else: listings show ids, labels, persons, roles and instants only. Roles
are sorted lists so equal keys give equal JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from smsgate.api.bodies import RequestModel
from smsgate.service.keys import MAX_GRACE, IssuedKey, Rotation
from smsgate.store import ApiKey, Role

Label = Annotated[
    str, msgspec.Meta(max_length=200, description="Who or what uses the key; free text")
]
Person = Annotated[
    str,
    msgspec.Meta(
        max_length=200,
        description="The person the key is for; required for author and reviewer keys, since"
        " the four-eyes rule compares people (case, width and spacing do not matter)",
    ),
]
Roles = Annotated[
    list[Role],
    msgspec.Meta(min_length=1, max_length=4, description="sender, author, reviewer, admin"),
]
GraceSeconds = Annotated[
    int,
    msgspec.Meta(
        ge=0,
        le=int(MAX_GRACE.total_seconds()),
        description="How long the old key keeps working; 0 revokes it at once",
    ),
]


class NewKey(RequestModel):
    """``POST /v1/keys``: the roles and label of a new key of the caller's creditor."""

    roles: Roles
    label: Label = ""
    person: Person | None = None


class KeyRotation(RequestModel):
    """``POST /v1/keys/{key_id}/rotate``: how long the old key keeps working."""

    grace_seconds: GraceSeconds = 0


class KeyBody(msgspec.Struct, kw_only=True):
    """A key as listed: never its token. ``revoked_at`` in the future is a scheduled revocation.

    ``person``, ``chain_id`` (the first key of its rotation chain) and
    ``minted_by`` (the key that created it; null: the operator) are what the
    four-eyes rule compares.
    """

    id: str
    label: str
    roles: list[Role]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    person: str | None
    chain_id: str
    minted_by: str | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyBody:
        """The body of a stored key."""
        return cls(
            id=key.id,
            label=key.label,
            roles=sorted(key.roles),
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
            person=key.person,
            chain_id=key.chain_id,
            minted_by=key.minted_by,
        )


class KeyList(msgspec.Struct, kw_only=True):
    """The creditor's keys, revoked ones included, oldest first."""

    items: list[KeyBody]


class IssuedKeyBody(msgspec.Struct, kw_only=True):
    """A new key with its token: shown in this answer only, store it now."""

    id: str
    token: str
    roles: list[Role]
    label: str
    created_at: datetime
    person: str | None

    @classmethod
    def of(cls, issued: IssuedKey) -> IssuedKeyBody:
        """The body of a freshly minted key."""
        key = issued.key
        return cls(
            id=key.id,
            token=issued.token,
            roles=sorted(key.roles),
            label=key.label,
            created_at=key.created_at,
            person=key.person,
        )


class RotatedKeyBody(IssuedKeyBody, kw_only=True):
    """The successor key of a rotation, and when the key it replaces stops working."""

    replaces: str
    replaced_key_revoked_at: datetime

    @classmethod
    def of_rotation(cls, rotation: Rotation) -> RotatedKeyBody:
        """The body of a rotation's successor."""
        issued = IssuedKeyBody.of(rotation.new)
        revoked_at = rotation.old.revoked_at
        assert revoked_at is not None  # a rotation always schedules it
        return cls(
            **msgspec.structs.asdict(issued),
            replaces=rotation.old.id,
            replaced_key_revoked_at=revoked_at,
        )


class RevokedKeyBody(msgspec.Struct, kw_only=True):
    """A revoked key: its id and since when it no longer works."""

    id: str
    revoked_at: datetime
