"""The log-hygiene check of the whole test run: no key, secret, full phone or body in any line.

``tests/conftest.py`` routes every structlog event of every test through the
real production pipeline (:func:`smsgate.logs.configure_logging`, JSON) into
a :class:`LogTap`, which keeps each rendered line with the test that wrote
it. It also feeds the tap what pytest captured of each test (stdout, stderr,
the stdlib ``logging`` records), and at the end of the session the JSON log
files subprocess servers wrote under the session's temporary directory
(``smsgate serve``/``dispatch`` children of the crash, scale-out and Kannel
tests write ``*.log`` files there). :func:`scan` then reads every line:

- an API key (``sgk_`` followed by its random part);
- a known secret value: environment variables named like a secret, seen at
  any test's end, constants named like a secret in the test modules, and
  anything a test registered with :meth:`LogTap.register_secret`;
- a full phone number: E.164 (``+8613800138000``) or an 11-digit mainland
  mobile (``13800138000``) not glued to letters or other digits, so ids
  (``msg_…``, hex carrier ids) and timestamps are not mistaken for one;
  the masked form ``138****8000`` passes;
- a message body: literal fragments of the test and demo templates, which
  only a rendered text or a template body can carry.

Findings are reported masked (the offending value never reprinted whole).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

#: A key token: the prefix and a run of its url-safe random part.
API_KEY = re.compile(r"sgk_[A-Za-z0-9_\-]{8,}")
#: A full E.164 number (a masked one has ``****`` inside, so it stops the run short).
E164 = re.compile(r"(?<![\dA-Za-z])\+\d{10,15}(?![\dA-Za-z*])")
#: A mainland mobile written nationally, not part of a longer run or an id.
MAINLAND_MOBILE = re.compile(r"(?<![\dA-Za-z+*])1[3-9]\d{9}(?![\dA-Za-z*])")
#: Literal text of the templates the tests and the demo send: only a body carries it.
BODY_FRAGMENTS = ("您好，您的", "请尽快还款", "请转告", "尽快回电", "请按时还款", "已委托律")
#: Environment and constant names whose values are secrets.
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE", re.IGNORECASE)
#: Shorter values would match too much ordinary text to mean anything.
MIN_SECRET_LENGTH = 12


@dataclass(frozen=True, slots=True)
class LogLine:
    """One rendered log line and where it came from (a test id, or a file)."""

    source: str
    text: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A line that leaks something: what kind, and the line with the leak masked."""

    source: str
    kind: str
    line: str

    def __str__(self) -> str:
        return f"{self.source}: {self.kind}: {self.line}"


def scan(lines: Iterable[LogLine], secrets: Iterable[str] = ()) -> list[Finding]:
    """Every leak in ``lines`` (one finding per line and kind), each with the leak masked."""
    known = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
    found: dict[tuple[str, str, str], Finding] = {}
    for line in lines:
        text = readable(line.text)
        for kind in leaks(text, known):
            finding = Finding(line.source, kind, masked(text, known))
            found.setdefault((line.source, kind, finding.line), finding)
    return list(found.values())


def leaks(text: str, secrets: Iterable[str] = ()) -> list[str]:
    """The kinds of leak in one line: ``api_key``, ``secret``, ``phone``, ``body``."""
    kinds = []
    if API_KEY.search(text):
        kinds.append("api_key")
    if any(secret in text for secret in secrets):
        kinds.append("secret")
    if E164.search(text) or MAINLAND_MOBILE.search(text):
        kinds.append("phone")
    if any(fragment in text for fragment in BODY_FRAGMENTS):
        kinds.append("body")
    return kinds


def masked(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every leak replaced, so the report does not leak it again."""
    for secret in secrets:
        text = text.replace(secret, "<secret>")
    text = API_KEY.sub("sgk_<redacted>", text)
    text = E164.sub(lambda m: m.group()[:6] + "****" + m.group()[-4:], text)
    text = MAINLAND_MOBILE.sub(lambda m: m.group()[:3] + "****" + m.group()[-4:], text)
    for fragment in BODY_FRAGMENTS:
        text = text.replace(fragment, "<body>")
    return text[:400]


def readable(text: str) -> str:
    """A JSON line with its ``\\uXXXX`` escapes decoded (bodies are Chinese); others as they are."""
    if not text.startswith("{") or "\\u" not in text:
        return text
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def is_log_event(text: str) -> bool:
    """Whether a captured line is a rendered structlog JSON event (not a test's own print)."""
    if not text.startswith("{"):
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and "event" in document


def secrets_in_environment(environment: dict[str, str] | None = None) -> set[str]:
    """Values of the variables named like a secret."""
    chosen = os.environ if environment is None else environment
    return {value for name, value in chosen.items() if SECRET_NAME.search(name) and value}


def secrets_in_test_modules(tests_root: Path) -> set[str]:
    """String constants named like a secret in the imported test modules under ``tests_root``."""
    found: set[str] = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if not path.startswith(str(tests_root)):
            continue
        for name, value in list(vars(module).items()):
            if name.isupper() and SECRET_NAME.search(name):
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if isinstance(value, str):
                    found.add(value)
    return found


def log_files(directory: Path, pattern: str = "*.log") -> Iterator[LogLine]:
    """The structlog JSON lines of every ``pattern`` file under ``directory``."""
    for path in sorted(directory.rglob(pattern)):
        try:
            content = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        source = str(path.relative_to(directory))
        yield from (LogLine(source, t) for t in content.splitlines() if is_log_event(t))


@dataclass(eq=False)  # hashable by identity: structlog keeps a lock per stream
class LogTap:
    """Collects rendered log lines of the session; also a text stream structlog can print to.

    ``write`` keeps each complete line under the current test's id and
    passes the text on to whatever ``sys.stdout`` is at that moment, so
    pytest still captures and shows it.
    """

    lines: list[LogLine] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    current: str = "<session>"
    _partial: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def write(self, text: str) -> int:
        with self._lock:
            *complete, self._partial = (self._partial + text).split("\n")
            self.lines.extend(LogLine(self.current, line) for line in complete if line)
        sys.stdout.write(text)
        return len(text)

    def flush(self) -> None:
        sys.stdout.flush()

    def isatty(self) -> bool:
        return False

    def feed(self, source: str, lines: Iterable[str], *, only_events: bool = True) -> None:
        """Add lines read elsewhere (a subprocess's output); only JSON events unless told."""
        chosen = [LogLine(source, t) for t in lines if not only_events or is_log_event(t)]
        with self._lock:
            self.lines.extend(chosen)

    def register_secret(self, value: str | bytes) -> None:
        """A secret value no log line may contain (tests that invent secrets may add them)."""
        self.secrets.add(value.decode() if isinstance(value, bytes) else value)


#: The session's tap; ``tests/conftest.py`` installs it. pytest's importlib mode may
#: import this module twice under two names, so other code finds the installed tap
#: through structlog (:func:`session_tap`), never through this name.
TAP = LogTap()


def session_tap() -> Any:
    """The tap structlog prints to now (a ``LogTap`` of whichever copy of this module), or None."""
    stream = structlog.get_config()["logger_factory"].__dict__.get("_file")
    return stream if type(stream).__name__ == "LogTap" else None


def feed_log_lines(source: str, lines: Iterable[str]) -> None:
    """Hand the session's check the output a test read from a subprocess (JSON events only).

    For harnesses that read a child's stdout themselves (``test_demo_run``'s
    banner reader): ``feed_log_lines("demo", lines)``. Files under the
    session's tmp directory are read without this.
    """
    tap = session_tap()
    if tap is not None:
        tap.feed(source, lines)
