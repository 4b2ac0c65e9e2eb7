"""The test suite's scanner reuse (``tests/built_scanners.py``) never serves a stale wordlist."""

import shutil
from pathlib import Path

import pytest

from smsgate.core.scanner.wordlist import WordlistError
from smsgate.wordlists import MANIFEST, load_scanner, shipped_wordlists

from ..built_scanners import BuiltScanners


@pytest.fixture
def wordlist(tmp_path: Path) -> Path:
    copy = tmp_path / "wordlists"
    shutil.copytree(shipped_wordlists(), copy)
    return copy


class TestBuiltScanners:
    """Equal wordlist files give the same scanner; any edit, or a broken list, does not."""

    def test_equal_files_share_one_scanner(self, wordlist: Path) -> None:
        reused = BuiltScanners(load_scanner)
        assert reused(wordlist) is reused(wordlist)
        assert reused(wordlist).version == load_scanner(shipped_wordlists()).version

    def test_an_edited_wordlist_is_built_again(self, wordlist: Path) -> None:
        reused = BuiltScanners(load_scanner)
        before = reused(wordlist)
        manifest = wordlist / MANIFEST
        manifest.write_text(manifest.read_text().replace('version = "', 'version = "edited-'))
        after = reused(wordlist)
        assert after is not before
        assert after.version != before.version
        assert after.version == load_scanner(wordlist).version

    def test_a_broken_wordlist_raises_every_time(self, wordlist: Path) -> None:
        reused = BuiltScanners(load_scanner)
        (wordlist / MANIFEST).write_text("not toml [")
        for _ in range(2):
            with pytest.raises(WordlistError):
                reused(wordlist)
