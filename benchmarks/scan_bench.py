"""Scan throughput: smsgate's full scan vs raw ahocorasick-rs on the same texts and terms.

Raw means the terms as written, matched on the text as written: no folding,
no pinyin, no allow-list, no span mapping. It gets the same audience's terms as
the full scan (the debtor lists; #15: it used to get every list, third-party
ones too). Both sides see fresh string objects in every round (CPython caches
a string's UTF-8 form, which would flatter whichever side runs second), rounds
alternate, and the median round counts, printed with the spread (min–max).

The 20k-term case adds 20,000 synthetic terms of which 1% are substrings of
the violating messages (the 1% the shipped lists flag), so findings are real
and many (#15: with matching terms the old
pairwise de-duplication made it quadratic). Bars: the full scan at least
0.30x raw on the shipped lists and 0.10x with 20k terms, in the same run.
Ends with ``scan ratio: X.XX``, the lower of the two lists' ratios.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import ahocorasick_rs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import messages, occurring_terms, synthetic_terms

from smsgate.core.audience import Audience
from smsgate.core.scanner.scanner import Scanner
from smsgate.core.scanner.wordlist import TermList, Wordlist
from smsgate.wordlists import default_folding, default_lexicon, load_wordlist, shipped_wordlists

MESSAGES = 100_000
ROUNDS = 5
BIG_TERMS = 20_000
MATCHING_SHARE = 0.01
BARS = {"shipped wordlist": 0.30, "20k-term list": 0.10}


def fresh(texts: list[str]) -> list[str]:
    """New string objects equal to ``texts`` (no cached UTF-8 form)."""
    return ["".join(list(text)) for text in texts]


def rate(scan: Callable[[str], object], texts: list[str]) -> float:
    batch = fresh(texts)
    started = time.perf_counter()
    for text in batch:
        scan(text)
    return len(batch) / (time.perf_counter() - started)


def compare(label: str, scanner: Scanner, raw_terms: list[str], texts: list[str]) -> float:
    raw = ahocorasick_rs.AhoCorasick(raw_terms)

    def raw_scan(text: str) -> object:
        return raw.find_matches_as_indexes(text, overlapping=True)

    ratio = _ratio(label, scanner, raw_scan, texts, len(raw_terms))
    breakdown(scanner, raw_scan, texts)
    return ratio


def breakdown(scanner: Scanner, raw_scan: Callable[[str], object], texts: list[str]) -> None:
    """Where the time goes (not part of the ratio): microseconds a text, median of
    ``ROUNDS``, for the clean texts and the flagged ones on each side, and for the
    flagged ones on a new scanner that has seen none of their clauses yet."""
    flagged = [text for text in texts if scanner.scan(text).findings]
    clean = [text for text in texts[:20_000] if not scanner.scan(text).findings]
    parts = []
    for name, group in (("clean", clean), ("flagged", flagged)):
        full = statistics.median(1e6 / rate(scanner.scan, group) for _ in range(ROUNDS))
        bare = statistics.median(1e6 / rate(raw_scan, group) for _ in range(ROUNDS))
        parts.append(f"{name} {full:.2f} µs (raw {bare:.2f})")
    new = Scanner(scanner.wordlist, default_folding(), default_lexicon)
    first = 1e6 / rate(new.scan, flagged)
    print(f"  per text: {', '.join(parts)}; flagged on a new scanner {first:.2f} µs")


def _ratio(
    label: str,
    scanner: Scanner,
    raw_scan: Callable[[str], object],
    texts: list[str],
    raw_terms: int,
) -> float:
    raws, fulls = [], []
    for _ in range(ROUNDS):
        raws.append(rate(raw_scan, texts))
        fulls.append(rate(scanner.scan, texts))
    raw_rate, full_rate = statistics.median(raws), statistics.median(fulls)
    flagged = sum(scanner.scan(t).verdict.value != "pass" for t in texts)
    ratio = full_rate / raw_rate
    bar = BARS.get(label, 0.0)
    print(
        f"{label}: {raw_terms} terms, {flagged} of {len(texts)} flagged | "
        f"smsgate {full_rate:,.0f} msg/s ({min(fulls):,.0f}–{max(fulls):,.0f}) | "
        f"raw ahocorasick-rs {raw_rate:,.0f} msg/s ({min(raws):,.0f}–{max(raws):,.0f}) | "
        f"ratio {ratio:.2f} (bar {bar:.2f}: {'met' if ratio >= bar else 'MISSED'})"
    )
    return ratio


def main() -> None:
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else shipped_wordlists()
    texts = messages(MESSAGES)
    mean_len = sum(map(len, texts)) / len(texts)
    print(f"{len(texts)} messages, mean length {mean_len:.1f} characters, median of {ROUNDS}")
    shipped = load_wordlist(directory)
    folding = default_folding()
    audience = Audience.DEBTOR  # what Scanner.scan uses by default
    shipped_terms = [t for lst in shipped.lists if audience in lst.audiences for t in lst.terms]
    # As the gateway builds it: with the dictionary, so homophones are matched and
    # candidate texts are read in context (#15).
    shipped_scanner = Scanner(shipped, folding, default_lexicon)
    ratios = [compare("shipped wordlist", shipped_scanner, shipped_terms, texts)]
    # Matching terms come from the messages the shipped lists flag (the 1% that
    # violate), so about as many messages match as in real traffic, each with
    # several findings to map and de-duplicate.
    violating = [t for t in texts if shipped_scanner.scan(t).findings]
    clean = sorted({t for t in texts[:20_000] if not shipped_scanner.scan(t).findings})
    matching = occurring_terms(violating, int(BIG_TERMS * MATCHING_SHARE), clean)
    big_terms = sorted(set(matching) | set(synthetic_terms(BIG_TERMS - len(matching))))
    big = Wordlist(
        "bench",
        (
            *shipped.lists,
            TermList(
                "synthetic",
                "synthetic",
                shipped.lists[0].severity,
                shipped.lists[0].audiences,
                tuple(big_terms),
            ),
        ),
        shipped.allowed,
    )
    ratios.append(
        compare(
            "20k-term list",
            Scanner(big, folding, default_lexicon),
            shipped_terms + big_terms,
            texts,
        )
    )
    print(f"scan ratio: {min(ratios):.2f}")


if __name__ == "__main__":
    main()
