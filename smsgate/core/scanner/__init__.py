"""Sensitive-term scanning: wordlists compiled into normalising Aho-Corasick automata."""

from smsgate.core.scanner.findings import Finding, ScanResult, Severity, TextScanner, Verdict

__all__ = ["Finding", "ScanResult", "Severity", "TextScanner", "Verdict"]
