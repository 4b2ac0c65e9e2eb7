"""Issue #15 item 2: the longest term wins the span, spans keep marks, de-duplication is linear.

The shipped lists and folding are used, as the gateway uses them.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.core.scanner.findings import Finding, Severity
from smsgate.core.scanner.scanner import _SEVERITY_RANK, _outermost
from smsgate.wordlists import load_scanner

SCANNER = load_scanner()


def spans(text: str) -> list[tuple[str, int, int]]:
    result = SCANNER.scan(text)
    for finding in result.findings:
        assert text[finding.start : finding.end] == finding.matched_text
    return [(f.term, f.start, f.end) for f in result.findings]


class TestLongestTermWins:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("请到检察院说明", [("检察院", 2, 5)], id="issue-jianchayuan"),
            pytest.param("再不还就爆通讯录", [("爆通讯录", 4, 8)], id="issue-bao-tongxunlu"),
            pytest.param("检察官找你", [("检察官", 0, 3)], id="jianchaguan"),
            pytest.param("已报公安机关", [("公安机关", 2, 6)], id="gongan-jiguan"),
            pytest.param("公 安 局来电", [("公安局", 0, 5)], id="spaced-longest"),
            pytest.param("你的通讯录", [("通讯录", 2, 5)], id="shorter-alone"),
        ],
    )
    def test_span(self, text: str, expected: list[tuple[str, int, int]]) -> None:
        assert spans(text) == expected


class TestMarksStayWithTheirCharacter:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("警察\u0301来了", [("警察", 0, 3)], id="combining-acute"),
            pytest.param("公安\ufe0f局外", [("公安局", 0, 4)], id="vs16-inside"),
            pytest.param("派出所\ufe0e\u20dd。", [("派出所", 0, 5)], id="vs15-and-enclosing"),
            pytest.param("go to jail\u0308\u0323 now", [("jail", 6, 12)], id="latin-marks"),
            pytest.param("检\u0300察院\U000e0100", [("检察院", 0, 5)], id="ideographic-vs"),
        ],
    )
    def test_span_takes_the_marks(self, text: str, expected: list[tuple[str, int, int]]) -> None:
        assert spans(text) == expected


def _reference(findings: list[Finding]) -> tuple[Finding, ...]:
    """The pairwise definition the linear sweep must equal."""
    ordered = sorted(
        set(findings), key=lambda f: (f.start, -f.end, -_SEVERITY_RANK[f.severity], f.term)
    )
    kept: list[Finding] = []
    for f in ordered:
        if not any(
            k.start <= f.start
            and f.end <= k.end
            and _SEVERITY_RANK[k.severity] >= _SEVERITY_RANK[f.severity]
            for k in kept
        ):
            kept.append(f)
    return tuple(kept)


_FINDING = st.builds(
    lambda start, length, severity, term: Finding(
        term, "c", severity, start, start + length, "x" * length
    ),
    st.integers(0, 30),
    st.integers(1, 8),
    st.sampled_from(list(Severity)),
    st.sampled_from(["a", "b", "c"]),
)


class TestDeduplication:
    @given(st.lists(_FINDING, max_size=40))
    def test_sweep_equals_the_pairwise_definition(self, findings: list[Finding]) -> None:
        assert _outermost(findings) == _reference(findings)

    def test_thousands_of_matches_stay_fast(self) -> None:
        # 20k findings: the old pairwise step took ~10 s here, the sweep a fraction of one.
        text = "公安，警察，派出所，检察院。" * 5000
        began = time.perf_counter()
        result = SCANNER.scan(text)
        elapsed = time.perf_counter() - began
        assert len(result.findings) == 20000
        assert elapsed < 3.0, elapsed
