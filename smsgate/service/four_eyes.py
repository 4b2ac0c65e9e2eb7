"""Four-eyes per person: whether a key may decide on a version another key wrote.

The rule, and why. A key's token is known to the person it is for and to
whoever minted it: the key whose request created it or rotated it, since the
answer carries the new token. So a key stands for a set of *holders*:

- its rotation chain (the first key and every successor rotated from it,
  ``ApiKey.chain_id``) and the person of that chain, and
- transitively, the holders of every key that minted a key of that chain.

A review (approval or rejection) is refused, ``four_eyes``, when the
author's key and the reviewer's key share a holder:

- ``same_chain``: the same key, or a successor rotated from it (or its
  predecessor);
- ``same_person``: both keys are for one person, their labels compared as
  ``normalise_person`` does (NFKC, case-folded, runs of spaces as one), so
  "Li Wei" and "li  wei" are one person;
- ``minting_line``: a chain or person up one key's minting line is a holder
  of the other. This covers an author key with the admin role minting a
  reviewer key; an admin who is also the author minting a reviewer key under
  another name; a reviewer-admin minting (or rotating) the author's key; and
  one admin key minting both the author's and the reviewer's key, which saw
  both tokens and could push a template through alone.

Keys minted by the operator's CLI have no minter: the operator, outside the
creditor, is the root of trust and is how a creditor gets two real
reviewers (two keys, two people, each token handed to its person). A person
label is the minter's word: the gateway cannot check a name, so every key
creation is audited with its minter and person. Keys from before persons
were recorded have none and stand for their chain alone.

The database refuses a review by the same chain or person itself (the
``reviews_four_eyes_people`` trigger); the minting line is a walk over a
graph, checked here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from smsgate.service.refusals import Refusal, RefusalCode
from smsgate.store import ApiKey, UnitOfWork


class Overlap(StrEnum):
    """Why a reviewer may not decide: what the two keys share (the refusal's ``rule``)."""

    SAME_CHAIN = "same_chain"
    SAME_PERSON = "same_person"
    MINTING_LINE = "minting_line"


@dataclass(frozen=True, slots=True)
class Holders:
    """Who knows a key's token: rotation chains (first key ids) and normalised persons."""

    chains: frozenset[str]
    people: frozenset[str]

    def meet(self, other: Holders) -> bool:
        """Whether one chain or person holds both keys."""
        return bool(self.chains & other.chains or self.people & other.people)


def holders(key: ApiKey, keys: Mapping[str, ApiKey]) -> Holders:
    """The holders of ``key``: its chain, and every chain up the minting lines, with persons.

    ``keys`` are the creditor's keys by id (a minter is always of the same
    creditor, or the operator, who has no key).
    """
    members: defaultdict[str, list[ApiKey]] = defaultdict(list)
    for each in (*keys.values(), key):
        members[each.chain_id].append(each)
    chains: set[str] = set()
    pending = [key.chain_id]
    while pending:
        chain = pending.pop()
        if chain in chains:
            continue
        chains.add(chain)
        minters = (keys.get(member.minted_by or "") for member in members[chain])
        pending.extend(minter.chain_id for minter in minters if minter is not None)
    people = {
        member.person_key
        for chain in chains
        for member in members[chain]
        if member.person_key is not None
    }
    return Holders(frozenset(chains), frozenset(people))


def overlap(author: ApiKey, reviewer: ApiKey, keys: Mapping[str, ApiKey]) -> Overlap | None:
    """What makes ``reviewer`` unfit to decide on a version ``author`` wrote, or None."""
    if author.chain_id == reviewer.chain_id:
        return Overlap.SAME_CHAIN
    if author.person_key is not None and author.person_key == reviewer.person_key:
        return Overlap.SAME_PERSON
    if holders(author, keys).meet(holders(reviewer, keys)):
        return Overlap.MINTING_LINE
    return None


_DETAILS = {
    Overlap.SAME_CHAIN: "this key, or one of its rotation chain, authored version {number}",
    Overlap.SAME_PERSON: "the person of this key authored version {number}",
    Overlap.MINTING_LINE: (
        "this key and the key that authored version {number} were minted by one person"
        " or one of them minted the other"
    ),
}


def four_eyes_refusal(number: int, rule: Overlap) -> Refusal:
    """The ``four_eyes`` refusal of a review of version ``number``, naming the rule."""
    detail = _DETAILS[rule].format(number=number) + "; another reviewer must decide on it"
    return Refusal(RefusalCode.FOUR_EYES, detail, rule=rule.value)


async def reviewing_keys(
    tx: UnitOfWork, creditor_id: str, author_key_id: str, reviewer_key_id: str, number: int
) -> tuple[ApiKey, ApiKey]:
    """The author's and the reviewer's keys of version ``number``; raises ``four_eyes``.

    Reads all of the creditor's keys: the minting lines run through them,
    and a creditor has few.
    """
    keys = {key.id: key for key in await tx.api_keys.of_creditor(creditor_id)}
    author, reviewer = keys.get(author_key_id), keys.get(reviewer_key_id)
    if author is None or reviewer is None:  # foreign keys: only a broken database gets here
        raise LookupError(f"the keys of version {number} are not the creditor's")
    rule = overlap(author, reviewer, keys)
    if rule is not None:
        raise four_eyes_refusal(number, rule)
    return author, reviewer
