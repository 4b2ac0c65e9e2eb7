"""Stored intents: replies stored as "opt_out" before the intents widened read as stop."""

from __future__ import annotations

from smsgate.core.replies import Intent
from smsgate.store import ReplyIntent


class TestStoredIntents:
    """The store's intents are the classifier's, and the old stored value still reads."""

    def test_same_values_as_the_classifier(self) -> None:
        assert [i.value for i in ReplyIntent] == [i.value for i in Intent]

    def test_legacy_opt_out_reads_as_stop(self) -> None:
        assert ReplyIntent("opt_out") is ReplyIntent.STOP
