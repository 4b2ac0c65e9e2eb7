"""Why a fact is about a pack's subject, judged from the leaves alone (what a verifier has).

A leaf names its ``subject`` (a message id, ``debtor:<id>`` for a refusal,
a debtor id for a recorded call, a phone for an opt-out, a template id) and
its ``detail`` often names the debtor. A fact belongs in a pack when one of
these links holds, checked in this order:

- ``subject``: the leaf's subject is the pack's (or ``debtor:<id>``);
- ``debtor_id`` / ``phone``: its detail names the pack's debtor (or phone);
- ``message``: its subject is a message the pack's own facts tie to the
  subject (an accepted or held message's leaf naming the debtor);
- ``reply``: it was done because of a reply the pack ties to the subject
  (an opt-out a 退订 caused names the reply);
- ``template``: it is the creation, submission or approval of the template
  version one of those messages used (who approved it);
- ``masked_phone``: a phone leaf whose number fits the masked phone
  (``138****8000``) of one of the subject's message leaves, or a message
  leaf for a phone pack. This link is weaker: a mask fits many numbers.
  Item 5's salted phone digests will make it exact.

A leaf naming another debtor is never linked, whatever else holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smsgate.core.evidence.pack import JsonObject, Subject, SubjectKind

_MESSAGE_ACTIONS = frozenset({"message.accepted", "message.held", "message.refused"})
_TEMPLATE_ACTIONS = frozenset({"template.created", "template.submitted", "template.approved"})
REPLY_RECEIVED = "reply.received"


def masked_fits(masked: str, phone: str) -> bool:
    """Whether ``phone`` could be the number ``masked`` hides (``+86138****8000``)."""
    head, stars, tail = masked.partition("*")
    if not stars:
        return masked == phone
    tail = tail.lstrip("*")
    return len(phone) > len(head) + len(tail) and phone.startswith(head) and phone.endswith(tail)


def _detail(event: JsonObject) -> dict[str, Any]:
    detail = event.get("detail")
    return detail if isinstance(detail, dict) else {}


@dataclass(slots=True)
class Links:
    """What the pack's facts tie to its subject: messages, replies, template versions, masks."""

    subject: Subject
    messages: set[str] = field(default_factory=set)
    replies: set[str] = field(default_factory=set)
    versions: set[tuple[str, int]] = field(default_factory=set)
    masks: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, subject: Subject, events: Iterable[JsonObject]) -> Links:
        """The links the given leaves establish for ``subject``."""
        links = cls(subject)
        events = list(events)
        for event in events:
            links._learn_message(event)
        for event in events:
            detail = _detail(event)
            if event.get("action") == REPLY_RECEIVED and links._direct(event):
                links.replies.add(str(detail.get("reply")))
        return links

    def _learn_message(self, event: JsonObject) -> None:
        detail = _detail(event)
        if event.get("action") not in _MESSAGE_ACTIONS or self._foreign(detail):
            return
        if self._direct(event) is None and not self._phone_fits(detail):
            return
        if event.get("action") != "message.refused":
            self.messages.add(str(event.get("subject")))
        if isinstance(detail.get("phone"), str):
            self.masks.add(detail["phone"])
        version = detail.get("template_version")
        if isinstance(version, int) and isinstance(detail.get("template_id"), str):
            self.versions.add((detail["template_id"], version))

    def _foreign(self, detail: dict[str, Any]) -> bool:
        debtor = detail.get("debtor_id")
        return self.subject.kind is SubjectKind.DEBTOR and debtor not in (None, self.subject.value)

    def _phone_fits(self, detail: dict[str, Any]) -> bool:
        phone = detail.get("phone")
        return (
            self.subject.kind is SubjectKind.PHONE
            and isinstance(phone, str)
            and masked_fits(phone, self.subject.value)
        )

    def _direct(self, event: JsonObject) -> str | None:
        value, kind, detail = self.subject.value, self.subject.kind, _detail(event)
        refused = f"debtor:{value}" if kind is SubjectKind.DEBTOR else value
        if event.get("subject") in (value, refused):
            return "subject"
        if kind is SubjectKind.DEBTOR and detail.get("debtor_id") == value:
            return "debtor_id"
        if kind is SubjectKind.PHONE and detail.get("phone") == value:
            return "phone"
        if event.get("subject") in self.messages:
            return "message"
        return None

    def reason(self, event: JsonObject) -> str | None:
        """Which link ties ``event`` to the subject, or ``None`` if none does."""
        detail = _detail(event)
        if self._foreign(detail):
            return None
        direct = self._direct(event)
        if direct is not None:
            return direct
        if str(detail.get("reply")) in self.replies:
            return "reply"
        version = detail.get("version")
        template = (event.get("subject"), version)
        if event.get("action") in _TEMPLATE_ACTIONS and template in self.versions:
            return "template"
        return self._masked(event)

    def _masked(self, event: JsonObject) -> str | None:
        subject, detail = event.get("subject"), _detail(event)
        if self.subject.kind is SubjectKind.PHONE and self._phone_fits(detail):
            return "masked_phone"
        debtor = self.subject.kind is SubjectKind.DEBTOR and isinstance(subject, str)
        if debtor and any(masked_fits(mask, str(subject)) for mask in self.masks):
            return "masked_phone"
        return None


def link_of(subject: Subject, event: JsonObject, events: Iterable[JsonObject]) -> str | None:
    """Which link ties ``event`` to ``subject`` given all the pack's leaves ``events``."""
    return Links.of(subject, events).reason(event)
