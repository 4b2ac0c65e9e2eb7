"""One person, one count: canonical debtor ids and the per-phone cap on debtor contacts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.core.audience import Audience
from smsgate.core.policy import (
    CN_SHENZHEN,
    US_REG_F,
    Allow,
    ContactCap,
    DebtorIdError,
    PolicyCode,
    ProfileError,
    Refuse,
    canonical_debtor_id,
    decide,
    history_window,
    profile_from_config,
)

from .policy_support import (
    MONDAY_NOON,
    SECOND_PHONE,
    SHANGHAI,
    contact,
    debtor,
    local,
    request,
)


class TestCanonicalDebtorId:
    """Spellings of one reference are one reference; invisible and look-alike ones are refused."""

    @pytest.mark.parametrize(
        "spelling",
        [
            pytest.param("D-1001", id="as-is"),
            pytest.param("d-1001", id="lower-case"),
            pytest.param("\uff24\uff0d\uff11\uff10\uff10\uff11", id="full-width"),
            pytest.param("\uff44-1001", id="full-width-lower"),
        ],
    )
    def test_one_debtor(self, spelling: str) -> None:
        assert canonical_debtor_id(spelling) == "D-1001"

    @pytest.mark.parametrize(
        ("spelling", "canonical"),
        [
            pytest.param("straße-7", "STRASSE-7", id="sharp-s-folds"),
            pytest.param("客户a-1001", "客户A-1001", id="han-with-latin"),
            pytest.param("\u0434-1001", "\u0414-1001", id="all-cyrillic-is-its-own"),
            pytest.param("\ufb01x-1", "FIX-1", id="ligature"),
            pytest.param("ヤマダ-タロウ", "ヤマダ-タロウ", id="katakana"),
        ],
    )
    def test_canonical_forms(self, spelling: str, canonical: str) -> None:
        assert canonical_debtor_id(spelling) == canonical
        assert canonical_debtor_id(canonical) == canonical

    @pytest.mark.parametrize(
        ("spelling", "message"),
        [
            pytest.param("D-1001\u200b", "U\\+200B", id="zero-width-space"),
            pytest.param("D\u200d-1001", "U\\+200D", id="zero-width-joiner"),
            pytest.param("D\u00ad-1001", "U\\+00AD", id="soft-hyphen"),
            pytest.param("D-1001\u2060", "U\\+2060", id="word-joiner"),
            pytest.param("D-1001\ufe0f", "U\\+FE0F", id="variation-selector"),
            pytest.param("D-1001\U000e0041", "U\\+E0041", id="tag-character"),
            pytest.param("D-\u202e1001", "U\\+202E", id="bidi-override"),
            pytest.param("D-1001\x07", "U\\+0007", id="control"),
            pytest.param("D 1001", "whitespace", id="inner-space"),
            pytest.param("D\u30001001", "whitespace", id="ideographic-space"),
            pytest.param("D\u00a01001", "whitespace", id="no-break-space"),
            pytest.param("D\t1001", "whitespace", id="tab"),
            pytest.param("\u0414D-1001", "Cyrillic, Latin", id="cyrillic-with-latin"),
            pytest.param("\u0391BC-1", "Greek, Latin", id="greek-alpha-with-latin"),
            pytest.param("D-1\u0660\u0661", "numbering systems", id="mixed-digits"),
            pytest.param("", "empty", id="empty"),
        ],
    )
    def test_refused(self, spelling: str, message: str) -> None:
        with pytest.raises(DebtorIdError, match=message):
            canonical_debtor_id(spelling)

    @settings(max_examples=500)
    @given(st.text(max_size=40))
    def test_any_text_is_canonical_or_refused(self, text: str) -> None:
        try:
            canonical = canonical_debtor_id(text)
        except DebtorIdError:
            return
        assert canonical_debtor_id(canonical) == canonical
        assert canonical_debtor_id(canonical.lower()) == canonical

    def test_is_idempotent_over_single_characters(self) -> None:
        # Every accepted one-character reference keeps its canonical form when given again.
        for code in range(0x30000):
            try:
                canonical = canonical_debtor_id(chr(code))
            except DebtorIdError:
                continue
            assert canonical_debtor_id(canonical) == canonical, hex(code)


class TestPhoneCap:
    """A phone gets at most ``debtor_phone_cap`` debtor contacts, whatever ``debtor_id`` each."""

    def test_default_follows_the_debtor_cap(self) -> None:
        assert CN_SHENZHEN.phone_cap_for(debtor().role) == CN_SHENZHEN.debtor_cap
        assert US_REG_F.phone_cap_for(debtor().role) == ContactCap(7, 7)
        tighter = profile_from_config("cn-shenzhen", {"debtor_cap": {"limit": 2}})
        assert tighter.phone_cap_for(debtor().role) == ContactCap(2)

    def test_third_parties_have_no_second_cap(self) -> None:
        assert CN_SHENZHEN.phone_cap_for(Audience.THIRD_PARTY) is None

    def test_other_debtor_ids_on_the_phone_count(self) -> None:
        history = [contact(local(SHANGHAI, 2024, 3, 11, 9), debtor_id=f"X-{n}") for n in range(3)]
        decision = decide(request(debtor()), CN_SHENZHEN, history, MONDAY_NOON, "defer")
        assert isinstance(decision, Refuse)
        assert decision.code == PolicyCode.CONTACT_LIMIT
        assert "to this phone (any debtor_id)" in decision.reason
        assert "per phone" in decision.reason

    def test_the_debtors_other_phones_do_not_fill_this_phone(self) -> None:
        history = [
            contact(local(SHANGHAI, 2024, 3, 11, 9), debtor_id="X-1"),
            contact(local(SHANGHAI, 2024, 3, 11, 9), debtor_id="D-1001", phone=SECOND_PHONE),
        ]
        decision = decide(request(debtor()), CN_SHENZHEN, history, MONDAY_NOON, "defer")
        assert decision == Allow(MONDAY_NOON)

    def test_own_cap_is_named_first_when_both_are_full(self) -> None:
        history = [contact(local(SHANGHAI, 2024, 3, 11, 9)) for _ in range(3)]
        decision = decide(request(debtor()), CN_SHENZHEN, history, MONDAY_NOON, "defer")
        assert isinstance(decision, Refuse)
        assert "phone" not in decision.reason

    def test_a_larger_phone_cap_lets_a_household_share(self) -> None:
        shared = profile_from_config("cn-shenzhen", {"debtor_phone_cap": {"limit": 5}})
        history = [contact(local(SHANGHAI, 2024, 3, 11, 9), debtor_id=f"X-{n}") for n in range(4)]
        assert decide(request(debtor()), shared, history, MONDAY_NOON, "defer") == Allow(
            MONDAY_NOON
        )
        history.append(contact(local(SHANGHAI, 2024, 3, 11, 10), debtor_id="X-9"))
        assert isinstance(decide(request(debtor()), shared, history, MONDAY_NOON, "defer"), Refuse)

    def test_history_window_spans_the_longer_cap(self) -> None:
        weekly = profile_from_config("cn-shenzhen", {"debtor_phone_cap": {"limit": 5, "days": 7}})
        start, _ = history_window(weekly, debtor(), MONDAY_NOON)
        assert start == local(SHANGHAI, 2024, 3, 5)


class TestPhoneCapConfig:
    """``debtor_phone_cap`` is read like the other caps, and follows ``debtor_cap`` when partial."""

    def test_partial_takes_the_days_of_the_debtor_cap_in_effect(self) -> None:
        profile = profile_from_config(
            "cn-shenzhen",
            {"debtor_phone_cap": {"limit": 4}, "debtor_cap": {"limit": 2, "days": 2}},
        )
        assert profile.debtor_phone_cap == ContactCap(4, 2)

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            pytest.param(3, "debtor_phone_cap must be a table", id="not-a-table"),
            pytest.param({"limit": -1}, "debtor_phone_cap: .*≥ 0", id="negative"),
            pytest.param({"per": 3}, "debtor_phone_cap: unknown key", id="unknown-key"),
        ],
    )
    def test_rejects(self, value: Any, message: str) -> None:
        with pytest.raises(ProfileError, match=message):
            profile_from_config("cn-shenzhen", {"debtor_phone_cap": value})
