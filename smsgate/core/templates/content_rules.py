"""What a policy profile requires every message text to say, kept as data.

Some regimes prescribe content: under ``us-reg-f`` (Regulation F) every text
must tell the recipient how to opt out and that it comes from a debt
collector. Such requirements are phrases a template must contain, so they
live here as patterns keyed by profile name, where compliance staff can read
and extend them without touching the linter.

A requirement is checked against the template's *unconditional* literal text
(what every rendering contains): a disclosure inside an ``{% if %}`` branch or
supplied by a variable may be absent from some messages, so it does not count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


class UnknownProfile(ValueError):
    """A policy profile this module has no content rules for."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        super().__init__(
            f"unknown policy profile {profile!r}; known: {', '.join(sorted(CONTENT_RULES))}"
        )


@dataclass(frozen=True, slots=True)
class ContentRule:
    """A phrase every message must contain; ``code`` is the lint code when it is missing."""

    code: str
    message: str
    pattern: re.Pattern[str]

    def satisfied_by(self, text: str) -> bool:
        """Whether ``text`` contains a phrase the rule accepts."""
        return self.pattern.search(text) is not None


OPT_OUT_INSTRUCTION = ContentRule(
    code="missing_opt_out",
    message='the text must tell the recipient how to opt out, e.g. "Reply STOP to opt out"',
    pattern=re.compile(
        r"\b(?:reply|text|send)\s+[\"'“‘]?(?:stop|unsubscribe|cancel|end|quit)\b",
        re.IGNORECASE,
    ),
)
DEBT_COLLECTOR_DISCLOSURE = ContentRule(
    code="missing_debt_collector_disclosure",
    message='the text must say that it is from a debt collector, e.g. "This is a debt collector"',
    pattern=re.compile(r"\bdebt\s+collector\b", re.IGNORECASE),
)

CONTENT_RULES: Mapping[str, tuple[ContentRule, ...]] = MappingProxyType(
    {
        # Chinese rules restrict content (the scanner's job) but prescribe none.
        "cn-shenzhen": (),
        "us-reg-f": (OPT_OUT_INSTRUCTION, DEBT_COLLECTOR_DISCLOSURE),
    }
)


def rules_for(profile: str) -> tuple[ContentRule, ...]:
    """The content rules of ``profile``; raises :class:`UnknownProfile` rather than none.

    An unknown name is refused instead of treated as "no rules", so a typo in a
    creditor's configuration cannot switch a legal requirement off.
    """
    try:
        return CONTENT_RULES[profile]
    except KeyError:
        raise UnknownProfile(profile) from None
