"""Sensitive-term scanning: wordlists compiled into normalising Aho-Corasick automata."""

from smsgate.core.scanner.findings import (
    Evasion,
    Finding,
    ScanResult,
    Severity,
    TextScanner,
    Verdict,
)

__all__ = ["Evasion", "Finding", "ScanResult", "Severity", "TextScanner", "Verdict"]
