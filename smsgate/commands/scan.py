"""``smsgate scan``: the sensitive-term scanner on the command line (a DESIGN.md contract).

``smsgate scan --jsonl`` reads ``{"text": "..."}`` lines on stdin and writes
one result line per input line, in order, so it can be zipped with its input
or used as a co-process (each line is flushed). A line that is not a JSON
object with a string ``text`` yields ``{"error": ..., "detail": ...}`` in its
place rather than stopping the stream. ``smsgate scan TEXT`` prints a report
for a person, with the findings marked in the text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from smsgate.commands.jsonl import answer_lines, marked
from smsgate.core.audience import Audience
from smsgate.core.scanner import Evasion, ScanResult
from smsgate.core.scanner.scanner import Scanner
from smsgate.core.scanner.wordlist import WordlistError
from smsgate.wordlists import load_scanner

EXIT_OK = 0
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    """Add the ``scan`` command."""
    parser = subparsers.add_parser(
        "scan",
        help="scan text for sensitive terms",
        description="Scan text with the shipped wordlists (or --wordlists DIR).",
    )
    parser.add_argument("text", nargs="?", help="text to scan; omit with --jsonl")
    parser.add_argument("--jsonl", action="store_true", help='read {"text": ...} lines on stdin')
    parser.add_argument("--wordlists", type=Path, metavar="DIR", help="wordlist directory")
    parser.add_argument(
        "--audience",
        choices=[a.value for a in Audience],
        default=Audience.DEBTOR.value,
        help="whose lists apply (default: debtor); a JSON line may set its own",
    )
    parser.add_argument(
        "--own-name",
        action="append",
        default=[],
        metavar="NAME",
        help="the sending creditor's registered name or signature (repeatable): "
        "a term inside it is no finding",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Scan the argument or stdin; returns the exit status."""
    if args.jsonl == (args.text is not None):
        print("smsgate scan: give either TEXT or --jsonl", file=sys.stderr)
        return EXIT_USAGE
    try:
        scanner = load_scanner(args.wordlists)
    except (WordlistError, FileNotFoundError) as error:
        print(f"smsgate scan: cannot load wordlists: {error}", file=sys.stderr)
        return EXIT_USAGE
    audience = Audience(args.audience)
    own = tuple(args.own_name)
    if args.jsonl:
        scan_lines(scanner, sys.stdin, sys.stdout, audience, own)
    else:
        print(report(scanner.scan(args.text, audience, own_names=own), args.text))
    return EXIT_OK


def scan_lines(
    scanner: Scanner,
    lines: TextIO,
    out: TextIO,
    audience: Audience,
    own_names: tuple[str, ...] = (),
) -> None:
    """Write one JSON result line to ``out`` for every line of ``lines``."""

    def judge(item: dict[str, Any]) -> dict[str, object]:
        try:
            chosen = Audience(item.get("audience", audience))
        except ValueError:
            return {"error": "invalid_request", "detail": "audience must be debtor or third_party"}
        return scanner.scan(item["text"], chosen, own_names=own_names).to_dict()

    answer_lines(lines, out, judge)


def report(result: ScanResult, text: str) -> str:
    """A person's report: the verdict, the text with findings in ⟦⟧, one line per finding."""
    lines = [f"verdict: {result.verdict.value}  (wordlist {result.wordlist_version})"]
    if result.findings:
        lines.append(marked(text, ((f.start, f.end, f.matched_text) for f in result.findings)))
    for f in result.findings:
        lines.append(
            f"  [{f.start}:{f.end}] {f.matched_text!r} -> {f.term} ({f.category}, {f.severity}"
            + ("" if f.evasion is Evasion.PLAIN else f", written {f.evasion.value}")
            + ")"
        )
    return "\n".join(lines)
