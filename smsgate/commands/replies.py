"""``smsgate replies classify``: the reply classifier on the command line (a DESIGN.md contract).

Compliance staff test their edits to ``replies.toml`` with it before
publishing them: ``--rules FILE`` reads one rule file, ``--wordlists DIR`` the
``replies.toml`` of a wordlist directory (default: the shipped one).

``--jsonl`` reads ``{"text": "..."}`` lines on stdin and writes one line per
input, in order and flushed, ``{"intents": [...], "matches": [{"intent",
"start", "end", "matched_text"}]}`` with code-point offsets into the original
text; a line that is not such an object yields ``{"error", "detail"}`` in its
place. ``smsgate replies classify TEXT`` prints a report for a person.

The classifier and its folding table are imported only once the command
runs, so ``smsgate --help`` and the other commands never pay for them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from smsgate.commands.jsonl import answer_lines, marked

if TYPE_CHECKING:
    from smsgate.core.replies import Classification, ReplyClassifier

EXIT_OK = 0
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    """Add the ``replies`` command and its ``classify`` subcommand."""
    parser = subparsers.add_parser(
        "replies", help="work with recipients' replies", description="Recipients' replies (MO)."
    )
    actions = parser.add_subparsers(dest="replies_command", metavar="ACTION", required=True)
    classify = actions.add_parser(
        "classify",
        help="classify replies into intents",
        description="Classify replies with the shipped rules (or --rules FILE / --wordlists DIR).",
    )
    classify.add_argument("text", nargs="?", help="reply to classify; omit with --jsonl")
    classify.add_argument("--jsonl", action="store_true", help='read {"text": ...} lines on stdin')
    source = classify.add_mutually_exclusive_group()
    source.add_argument("--rules", type=Path, metavar="FILE", help="a replies.toml to test")
    source.add_argument("--wordlists", type=Path, metavar="DIR", help="wordlist directory")
    classify.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Classify the argument or stdin; returns the exit status."""
    from smsgate.core.replies import InvalidReplyRules
    from smsgate.wordlists import load_reply_rules, reply_classifier

    if args.jsonl == (args.text is not None):
        print("smsgate replies classify: give either TEXT or --jsonl", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.rules is not None:
            classifier = load_reply_rules(args.rules)
        else:
            classifier = reply_classifier(args.wordlists)
    except (InvalidReplyRules, OSError, UnicodeDecodeError) as error:
        print(f"smsgate replies classify: cannot load rules: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.jsonl:
        classify_lines(classifier, sys.stdin, sys.stdout)
    else:
        print(report(classifier.classify(args.text), args.text))
    return EXIT_OK


def classify_lines(classifier: ReplyClassifier, lines: TextIO, out: TextIO) -> None:
    """Write one JSON result line to ``out`` for every line of ``lines``."""
    answer_lines(lines, out, lambda item: to_dict(classifier.classify(item["text"])))


def to_dict(result: Classification) -> dict[str, object]:
    """The contract's JSON object for one classification."""
    return {
        "intents": [intent.value for intent in result.intents],
        "matches": [
            {
                "intent": m.intent.value,
                "start": m.start,
                "end": m.end,
                "matched_text": m.matched_text,
            }
            for m in result.matches
        ],
    }


def report(result: Classification, text: str) -> str:
    """A person's report: the intents, the text with matches in ⟦⟧, one line per match."""
    intents = ", ".join(intent.value for intent in result.intents) or "none (an ordinary reply)"
    lines = [f"intents: {intents}"]
    if result.signatures:
        lines.append(f"quoted signature(s): {', '.join(result.signatures)}")
    if result.matches:
        lines.append(marked(text, ((m.start, m.end, m.matched_text) for m in result.matches)))
    for m in result.matches:
        lines.append(f"  [{m.start}:{m.end}] {m.matched_text!r} -> {m.intent.value}")
    return "\n".join(lines)
