"""Character folding: canonical spellings, and offsets that lead back to the original."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.core.scanner.folding import CLAUSE_BREAKS, CharacterFolding


class TestFoldChar:
    """Each character folds independently to its canonical spelling."""

    @pytest.mark.parametrize(
        ("char", "folded"),
        [
            pytest.param("Ｇ", "g", id="full-width-latin"),
            pytest.param("A", "a", id="ascii-capital"),
            pytest.param("傳", "传", id="traditional"),
            pytest.param("\uf9ab", "岭", id="compatibility-ideograph-then-simplified"),
            pytest.param(" ", "", id="space"),
            pytest.param("\u3000", "", id="ideographic-space"),
            pytest.param("\u200b", "", id="zero-width-space"),
            pytest.param("*", "", id="asterisk"),
            pytest.param("＊", "", id="full-width-asterisk"),
            pytest.param("😀", "", id="emoji"),
            pytest.param("\n", "", id="line-break"),
            pytest.param("，", "", id="clause-break"),
            pytest.param("ß", "ss", id="expansion"),
            pytest.param("5", "5", id="digit"),
            pytest.param("公", "公", id="simplified"),
        ],
    )
    def test_folds(self, folding: CharacterFolding, char: str, folded: str) -> None:
        assert folding.fold_char(char) == folded


class TestFold:
    """Whole texts fold with offsets back into the original."""

    def test_separators_vanish_and_origins_point_back(self, folding: CharacterFolding) -> None:
        folded = folding.fold("派 出\u200b所")
        assert folded.folded == "派出所"
        assert folded.origins == [0, 2, 4]
        assert folded.original_span(0, 3) == (0, 5)

    def test_quick_fold_drops_ascii_separators_only(self, folding: CharacterFolding) -> None:
        assert folding.quick_fold("APP 还款1,234.50元，谢谢") == "app还款123450元，谢谢".encode()

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("傳票", id="traditional"),
            pytest.param("ＧＯＮＧＡＮ", id="full-width"),
            pytest.param("派😀出所", id="astral-emoji"),
            pytest.param("派\u3000出所", id="non-ascii-separator"),
            pytest.param("派，出，所", id="bridgeable-clause-breaks"),
            pytest.param("\u13a0", id="lower-changes-non-ascii"),
        ],
    )
    def test_quick_fold_declines_what_needs_the_table(
        self, folding: CharacterFolding, text: str
    ) -> None:
        assert folding.quick_fold(text) is None

    @given(st.text())
    def test_never_crashes_and_origins_are_consistent(self, text: str) -> None:
        folding = _folding()
        folded = folding.fold(text)
        origins = folded.origins or list(range(len(folded.folded)))
        assert len(origins) == len(folded.folded)
        assert origins == sorted(origins)
        assert all(0 <= i < len(text) for i in origins)

    @given(st.text())
    def test_quick_fold_agrees_with_the_table_but_keeps_clause_breaks(self, text: str) -> None:
        folding = _folding()
        quick = folding.quick_fold(text)
        if quick is not None:
            without_breaks = "".join(c for c in quick.decode() if c not in CLAUSE_BREAKS)
            assert without_breaks == folding.fold(text).folded
            assert folding.quick_folded_text(text).folded == quick.decode()


def _folding() -> CharacterFolding:
    # Hypothesis forbids function-scoped fixtures; the default folding is cached.
    from smsgate.wordlists import default_folding

    return default_folding()
