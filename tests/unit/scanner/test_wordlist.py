"""Wordlists as data: parsing, validation, versions, and reloading without a restart."""

import shutil
from pathlib import Path

import pytest

from smsgate.core.audience import Audience
from smsgate.core.scanner import Severity
from smsgate.core.scanner.wordlist import WordlistError, parse_terms, parse_wordlist
from smsgate.wordlists import WordlistSource, load_wordlist

FIXTURE_WORDLIST = Path(__file__).parent / "fixture_wordlist"
MANIFEST = """
version = "v1"
[[lists]]
file = "a.txt"
category = "impersonation"
severity = "block"
audiences = ["third_party"]
"""


class TestParse:
    """The manifest and term files parse into lists, or fail naming what is wrong."""

    def test_terms_ignore_comments_blanks_and_duplicates(self) -> None:
        assert parse_terms("# head\n公安\n\n 法院  # court\n公安\n") == ("公安", "法院")

    def test_lists_carry_their_settings(self) -> None:
        wordlist = parse_wordlist(MANIFEST, {"a.txt": "公安\n"})
        (term_list,) = wordlist.lists
        assert term_list.severity is Severity.BLOCK
        assert term_list.audiences == frozenset({Audience.THIRD_PARTY})
        assert term_list.terms == ("公安",)

    @pytest.mark.parametrize(
        ("manifest", "files", "message"),
        [
            pytest.param("version = ", {}, "manifest.toml", id="bad-toml"),
            pytest.param("[[lists]]\nfile='a.txt'", {"a.txt": ""}, "version", id="no-version"),
            pytest.param(MANIFEST, {}, "'a.txt', which does not exist", id="missing-file"),
            pytest.param(
                MANIFEST.replace('"block"', '"maybe"'), {"a.txt": ""}, "maybe", id="bad-severity"
            ),
            pytest.param(
                MANIFEST + "colour = 'red'\n", {"a.txt": ""}, "unknown keys", id="unknown-key"
            ),
            pytest.param('version = "v"\n', {}, "at least one", id="no-lists"),
        ],
    )
    def test_errors_say_what_is_wrong(
        self, manifest: str, files: dict[str, str], message: str
    ) -> None:
        with pytest.raises(WordlistError, match=message):
            parse_wordlist(manifest, files)


class TestVersion:
    """The version changes with any content, even when the declared version does not."""

    def test_content_change_changes_version(self) -> None:
        first = parse_wordlist(MANIFEST, {"a.txt": "公安\n"}).version
        second = parse_wordlist(MANIFEST, {"a.txt": "公安\n法院\n"}).version
        assert first.startswith("v1+")
        assert second.startswith("v1+")
        assert first != second

    def test_same_content_same_version(self) -> None:
        assert load_wordlist(FIXTURE_WORDLIST).version == load_wordlist(FIXTURE_WORDLIST).version


class TestReload:
    """A running gateway picks up edited wordlists and survives broken edits."""

    def test_edit_is_picked_up_and_broken_edit_ignored(self, tmp_path: Path) -> None:
        directory = tmp_path / "wl"
        shutil.copytree(FIXTURE_WORDLIST, directory)
        now = [0.0]
        changes: list[tuple[str | None, str]] = []
        source = WordlistSource(
            directory,
            check_interval=1.0,
            clock=lambda: now[0],
            on_change=lambda old, new: changes.append((old, new)),
        )
        first = source.current()
        assert first.scan("催收员").verdict.value == "pass"

        (directory / "zh" / "impersonation.txt").write_text("公安\n催收员\n", encoding="utf-8")
        assert source.current() is first  # not checked again before the interval
        now[0] = 2.0
        second = source.current()
        assert second.scan("催收员").verdict.value == "block"
        assert changes == [(first.version, second.version)]

        (directory / "manifest.toml").write_text("version = ", encoding="utf-8")
        now[0] = 4.0
        assert source.current() is second

        (directory / "zh" / "impersonation.txt").unlink()  # removed while running
        now[0] = 6.0
        assert source.current() is second

        (directory / "manifest.toml").unlink()  # a half-done deploy: the last good list serves
        now[0] = 8.0
        assert source.current() is second
