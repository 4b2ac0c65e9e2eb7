"""Fuzzing phone parsing at the edge and phone masking in logs.

What is promised: ``service.phones.parse_e164`` returns the E.164 form of a
valid international number or raises an ``invalid_request`` ``Refusal`` (a 400)
naming the field, nothing else; ``carriers.kannel.callbacks.e164_from_kannel``
raises only ``MalformedCallback``; ``logs.mask_phone`` keeps the (known)
country code, 3 leading and 4 trailing digits (1 and 2 of a short number),
and masking twice changes nothing.
"""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from smsgate.api.problems import ProblemCode
from smsgate.api.refusal_status import problem_of
from smsgate.carriers.callbacks import MalformedCallback
from smsgate.carriers.kannel.callbacks import e164_from_kannel
from smsgate.logs import mask_phone
from smsgate.service.phones import parse_e164
from smsgate.service.refusals import Refusal

from .support import FUZZ, hostile_text

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
TYPES = [PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE]


def example_numbers() -> list[str]:
    """libphonenumber's example number of each region and type, in E.164."""
    found = []
    for region in REGIONS:
        for kind in TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.append(phonenumbers.format_number(number, PhoneNumberFormat.E164))
    return sorted(set(found))


VALID = example_numbers()
phone_like = st.one_of(
    hostile_text,
    st.from_regex(r"[+ ]?[0-9 ()\-.]{0,25}", fullmatch=True),
    st.sampled_from(VALID),
    st.text("+0123456789０１２３٣", max_size=30),
)


@st.composite
def spelled(draw: st.DrawFn) -> tuple[str, str]:
    """A valid number and one way a person writes it (spaces, dashes, brackets, padding)."""
    e164 = draw(st.sampled_from(VALID))
    pieces = [e164[:1]] + [draw(st.sampled_from(["", " ", "-", "."])) + d for d in e164[1:]]
    return e164, draw(st.sampled_from(["", " ", "\t"])) + "".join(pieces) + " "


class TestParseE164:
    """Any string is a valid E.164 number or a clean 400 naming the field."""

    @FUZZ
    @given(phone_like)
    def test_only_problems_escape(self, raw: str) -> None:
        """Promise: E.164 out (idempotent), or a Refusal (400 invalid_request) naming the field."""
        try:
            e164 = parse_e164(raw, "recipient.phone")
        except Refusal as refused:
            problem = problem_of(refused)
            refusal = (problem.status, problem.code, problem.body()["field"])
            assert refusal == (400, ProblemCode.INVALID_REQUEST, "recipient.phone")
            return
        assert re.fullmatch(r"\+[1-9][0-9]{4,14}", e164)
        assert parse_e164(e164, "f") == e164

    @FUZZ
    @given(spelled())
    def test_valid_numbers_round_trip(self, number: tuple[str, str]) -> None:
        """Promise: any spelling of a valid number gives its E.164 form."""
        e164, written = number
        assert parse_e164(written, "phone") == e164

    @FUZZ
    @given(phone_like, st.sampled_from(["CN", "US", "ZZ", "HK"]))
    def test_kannel_numbers(self, raw: str, region: str) -> None:
        """Promise: an E.164-looking string, or MalformedCallback."""
        try:
            e164 = e164_from_kannel(raw, region)
        except MalformedCallback:
            return
        assert re.fullmatch(r"\+[0-9]+", e164)


class TestMaskPhone:
    """Masking a parsed number never reveals more than the documented digits."""

    @FUZZ
    @given(st.sampled_from(VALID), hostile_text)
    def test_reveals_at_most_the_documented_digits(self, e164: str, around: str) -> None:
        """Promise: country code (<=3 digits) + 3 leading + 4 trailing digits at most,
        and never fewer than 4 digits hidden."""
        masked = mask_phone(e164)
        revealed = re.sub(r"\D", "", masked)
        assert "****" in masked
        assert len(revealed) <= 3 + 3 + 4
        assert len(revealed) <= len(e164) - 1 - 4
        assert e164 not in mask_phone(f"{around} {e164} {around}")
        assert mask_phone(masked) == masked

    @pytest.mark.parametrize(
        ("e164", "masked"),
        [
            pytest.param("+8613800138000", "+86138****8000", id="cn-mobile"),
            pytest.param("+79161234567", "+791****4567", id="ru-mobile"),
            pytest.param("+85291234567", "+852****4567", id="hk-eight-digits"),
        ],
    )
    def test_documented_examples(self, e164: str, masked: str) -> None:
        """Promise: the shapes the docstring describes."""
        assert mask_phone(e164) == masked
