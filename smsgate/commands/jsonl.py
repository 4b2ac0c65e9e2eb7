"""The JSON-lines plumbing that ``smsgate scan`` and ``smsgate replies classify`` share.

Both contracts read ``{"text": "..."}`` lines on stdin and write one result
line per input line, in order and flushed, so the output can be zipped with
the input or driven as a co-process; a line that is not such an object gets
``{"error", "detail"}`` in its place rather than stopping the stream. Both
reports for a person mark the spans found in the text with ⟦⟧.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TextIO

#: Judges one well-formed input object (``text`` is a string) into its result line.
Judge = Callable[[dict[str, Any]], dict[str, object]]


def answer_lines(lines: Iterable[str], out: TextIO, judge: Judge) -> None:
    """Write one JSON result line to ``out`` for every line of ``lines``, flushed each."""
    for line in lines:
        out.write(json_line(_answer(line, judge)) + "\n")
        out.flush()


def _answer(line: str, judge: Judge) -> dict[str, object]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as error:
        return {"error": "invalid_json", "detail": str(error)}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return {"error": "invalid_request", "detail": 'expected {"text": "<string>"}'}
    return judge(item)


def json_line(result: dict[str, object]) -> str:
    """``result`` as readable JSON; ASCII-escaped only when it holds a lone surrogate.

    A ``\\ud800`` escape in the input decodes to a lone surrogate, which no
    UTF-8 stdout can write: such a line is written with ``\\uXXXX`` escapes.
    """
    encoded = json.dumps(result, ensure_ascii=False)
    try:
        encoded.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(result)
    return encoded


def marked(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """``text`` indented, with each ``(start, end, matched_text)`` span in ⟦⟧.

    Spans come in order; one overlapping an earlier span is not marked again.
    """
    pieces, cursor = [], 0
    for start, end, matched_text in spans:
        if start < cursor:
            continue
        pieces += [text[cursor:start], "⟦", matched_text, "⟧"]
        cursor = end
    pieces.append(text[cursor:])
    return "  " + "".join(pieces)
