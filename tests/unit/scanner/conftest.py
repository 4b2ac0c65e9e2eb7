"""Scanners shared by the scanner tests: one on a small fixed wordlist, one on the shipped lists."""

from pathlib import Path

import pytest

from smsgate.core.scanner.folding import CharacterFolding
from smsgate.core.scanner.scanner import Scanner
from smsgate.wordlists import default_folding, load_scanner, load_wordlist

FIXTURE_WORDLIST = Path(__file__).parent / "fixture_wordlist"


@pytest.fixture(scope="session")
def folding() -> CharacterFolding:
    return default_folding()


@pytest.fixture(scope="session")
def scanner(folding: CharacterFolding) -> Scanner:
    return Scanner(load_wordlist(FIXTURE_WORDLIST), folding)


@pytest.fixture(scope="session")
def shipped_scanner() -> Scanner:
    return load_scanner()
