"""A real Kannel for tests: bearerbox, smsbox and fakesmsc on free 127.0.0.1 ports.

``KannelHarness(workdir, mo_url=…, mo_token=…)`` writes a ``kannel.conf``
into ``workdir`` and ``start()`` runs, as child processes::

    bearerbox   core (admin, smsbox ports), internal DLR storage, and two fake SMSCs:
                "fake"    the MT SMSC; our messages go out here
                "fake-mo" takes no MT (allowed-smsc-id), only injected replies
    fakesmsc    connected to "fake": logs every MT it receives ("Got message N: <…>")
    smsbox      sendsms on ``sendsms_url`` for ``username``/``password``, and an
                sms-service whose get-url is ``mo_url`` with the module's query
                (the one ``smsgate.carriers.kannel.adapter`` documents)

fakesmsc answers nothing, so smsc_fake generates the reports itself: type 8
(SMSC accepted, answer ``ACK/``) and then type 1 (delivered, empty answer),
each sent to the message's ``dlr-url``. ``inject_mo`` runs a second, short-lived
fakesmsc on "fake-mo" to send one reply from a phone. Everything is logged to
files in ``workdir``; ``stop()`` ends the processes (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import httpx

#: The query smsbox appends to ``mo_url`` (see ``smsgate.carriers.kannel.adapter``).
MO_QUERY = "from=%p&to=%P&text=%b&ts=%T&id=%I&coding=%c"
ADMIN_PASSWORD = "admin-test-password"
INSTALL_HINT = "install them with: apt-get install -y kannel kannel-extras"
_GOT = re.compile(r"Got message \d+: <(.*)>$")
_STOP_SECONDS = 5.0


@dataclass(frozen=True)
class KannelBinaries:
    """Where bearerbox, smsbox and fakesmsc are (``KANNEL_BEARERBOX`` … override)."""

    bearerbox: str
    smsbox: str
    fakesmsc: str

    @classmethod
    def locate(cls) -> KannelBinaries:
        """The installed binaries; raises ``FileNotFoundError`` naming the missing ones."""
        found = {
            "bearerbox": _which("KANNEL_BEARERBOX", "bearerbox", "/usr/sbin/bearerbox"),
            "smsbox": _which("KANNEL_SMSBOX", "smsbox", "/usr/sbin/smsbox"),
            "fakesmsc": _which("KANNEL_FAKESMSC", "fakesmsc", "/usr/lib/kannel/test/fakesmsc"),
        }
        missing = [name for name, path in found.items() if path is None]
        if missing:
            raise FileNotFoundError(f"Kannel's {', '.join(missing)} not found; {INSTALL_HINT}")
        return cls(**{name: str(path) for name, path in found.items()})


@dataclass(frozen=True)
class FakesmscMessage:
    """One MT as fakesmsc printed it: ``sender receiver kind data``, with ``text`` decoded.

    ``kind`` is ``text`` (7-bit, printed as is), ``ucs-2`` (UTF-16BE, url-encoded)
    or ``data``/``udh`` (8-bit, url-encoded; ``text`` is then Latin-1).
    """

    sender: str
    receiver: str
    kind: str
    text: str
    raw: str

    @classmethod
    def parse(cls, line: str) -> FakesmscMessage:
        sender, receiver, kind, data = line.split(" ", 3)
        if kind == "text":
            return cls(sender, receiver, kind, data, line)
        octets = unquote_to_bytes(data.replace("+", "%20"))  # Kannel encodes a space as '+'
        text = octets.decode("utf-16-be" if kind == "ucs-2" else "latin-1")
        return cls(sender, receiver, kind, text, line)


@dataclass(frozen=True)
class KannelPorts:
    """The TCP ports of one harness, all on 127.0.0.1."""

    admin: int
    smsbox: int
    fake_mt: int
    fake_mo: int
    sendsms: int

    @classmethod
    def pick(cls) -> KannelPorts:
        return cls(*free_ports(5))


class KannelHarness:
    """One Kannel (see the module docstring); ``start()`` and ``stop()`` are synchronous."""

    def __init__(
        self,
        workdir: Path,
        *,
        mo_url: str,
        mo_token: str,
        binaries: KannelBinaries | None = None,
        username: str = "smsgate",
        password: str = "kannel-test-password",
    ) -> None:
        self.workdir = workdir
        self.mo_url = mo_url
        self.mo_token = mo_token
        self.binaries = binaries or KannelBinaries.locate()
        self.username = username
        self.password = password
        self.ports = KannelPorts.pick()
        self.sendsms_url = f"http://127.0.0.1:{self.ports.sendsms}/cgi-bin/sendsms"
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    def carrier_config(
        self, *, callback_url: str, callback_token: str, **extra: Any
    ) -> dict[str, Any]:
        """Settings for ``create_kannel`` that send through this Kannel's "fake" SMSC."""
        return {
            "url": self.sendsms_url,
            "username": self.username,
            "password": self.password,
            "callback_url": callback_url,
            "callback_token": callback_token,
            "sender": "10690001",
            **extra,
        }

    def start(self, timeout: float = 20.0) -> None:
        """Write the config and start the boxes; returns once sendsms and the MT SMSC are up."""
        config = self.workdir / "kannel.conf"
        config.write_text(kannel_conf(self), encoding="utf-8")
        deadline = time.monotonic() + timeout
        try:
            self._spawn("bearerbox", [self.binaries.bearerbox, "-v", "1", str(config)])
            _wait_until(self._smscs_created, deadline, "bearerbox's fake SMSCs")
            fakesmsc = [self.binaries.fakesmsc, "-H", "127.0.0.1", "-r", str(self.ports.fake_mt)]
            # -m 0: send no reply of its own; one message argument is still required.
            self._spawn("fakesmsc", [*fakesmsc, "-i", "0.1", "-m", "0", "0 0 text unused"])
            self._spawn("smsbox", [self.binaries.smsbox, "-v", "1", str(config)])
            _wait_until(self._ready, deadline, "sendsms and an online fake SMSC")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """End every process this harness started: injector, smsbox, fakesmsc, then bearerbox."""
        for name in ("injector", "smsbox", "fakesmsc", "bearerbox"):
            self.stop_process(name)

    def stop_smsbox(self) -> None:
        """Stop smsbox only, so sendsms refuses connections (a carrier that is down)."""
        self.stop_process("smsbox")

    def received(self) -> list[FakesmscMessage]:
        """Every MT fakesmsc has received so far, in order."""
        log = self.workdir / "fakesmsc.log"
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        found = (_GOT.search(line) for line in lines)
        return [FakesmscMessage.parse(match.group(1)) for match in found if match]

    async def wait_for_received(
        self, count: int = 1, within: float = 10.0
    ) -> list[FakesmscMessage]:
        """The MTs received, once there are at least ``count``; fails after ``within`` s."""
        deadline = time.monotonic() + within
        while len(messages := self.received()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"fakesmsc got {len(messages)} of {count} MT: {self.log_tails()}"
                )
            await asyncio.sleep(0.05)
        return messages

    async def inject_mo(self, sender: str, receiver: str, text: str, within: float = 10.0) -> None:
        """Have the "fake-mo" SMSC receive ``text`` from ``sender`` to ``receiver`` (a reply).

        ASCII text goes as 7-bit ``text``, anything else as ``ucs2``, as a phone
        would send it. Returns once fakesmsc has written it to bearerbox.
        """
        if text.isascii() and text.isprintable():
            line = f"{sender} {receiver} text {text}"
        else:
            line = f"{sender} {receiver} ucs2 {quote(text.encode('utf-16-be'), safe='')}"
        log = self.workdir / "injector.log"
        fakesmsc = [self.binaries.fakesmsc, "-H", "127.0.0.1", "-r", str(self.ports.fake_mo)]
        process = self._spawn("injector", [*fakesmsc, "-i", "0", "-m", "1", line])
        deadline = time.monotonic() + within
        while "sent message 1" not in log.read_text(encoding="utf-8", errors="replace"):
            if time.monotonic() > deadline or process.poll() is not None:
                self.stop_process("injector")
                raise AssertionError(f"fakesmsc did not send the reply: {self.log_tails()}")
            await asyncio.sleep(0.05)
        # A fake SMSC serves one client at a time: leave, so the next reply can connect.
        await asyncio.to_thread(self.stop_process, "injector")

    def stop_process(self, name: str) -> None:
        """Stop one of the processes by its name (``smsbox``, ``injector`` …) if it runs."""
        process = self._processes.pop(name, None)
        if process is not None:
            _terminate(process)

    def log_tails(self, lines: int = 15) -> str:
        """The last lines of every log in the work directory, for failure messages."""
        parts = []
        for log in sorted(self.workdir.glob("*.log")):
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(tail))
        return "\n".join(parts)

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        with log:
            process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.workdir, start_new_session=True,
            )  # fmt: skip
        self._processes[name] = process
        return process

    def _smscs_created(self) -> bool:
        # Probing the fake SMSC's port would make it take the probe for fakesmsc.
        status = self._status()
        return f"FAKE:{self.ports.fake_mt}" in status and f"FAKE:{self.ports.fake_mo}" in status

    def _ready(self) -> bool:
        try:
            httpx.get(self.sendsms_url, timeout=1.0)
        except httpx.TransportError:
            return False
        status = self._status()
        return f"FAKE:{self.ports.fake_mt} (online" in status and "smsbox:" in status

    def _status(self) -> str:
        for name, process in self._processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}: {self.log_tails()}")
        admin = f"http://127.0.0.1:{self.ports.admin}/status.txt"
        try:
            return httpx.get(admin, params={"password": ADMIN_PASSWORD}, timeout=1.0).text
        except httpx.TransportError:
            return ""


def kannel_conf(harness: KannelHarness) -> str:
    """The ``kannel.conf`` of ``harness``: every port local, every log in its work directory."""
    ports, logs = harness.ports, harness.workdir
    separator = "&" if "?" in harness.mo_url else "?"
    get_url = f"{harness.mo_url}{separator}token={harness.mo_token}&{MO_QUERY}"
    return f"""\
group = core
admin-port = {ports.admin}
admin-interface = 127.0.0.1
admin-password = {ADMIN_PASSWORD}
smsbox-port = {ports.smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{logs}/bearerbox-file.log"
log-level = 0
access-log = "{logs}/access.log"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {ports.fake_mt}
connect-allow-ip = 127.0.0.1

group = smsc
smsc = fake
smsc-id = fake-mo
port = {ports.fake_mo}
connect-allow-ip = 127.0.0.1
allowed-smsc-id = fake-mo

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports.smsbox}
sendsms-port = {ports.sendsms}
sendsms-interface = 127.0.0.1
log-file = "{logs}/smsbox-file.log"
log-level = 0
mo-recode = true

group = sendsms-user
username = {harness.username}
password = {harness.password}

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "{get_url}"
"""


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports that were free on 127.0.0.1 a moment ago."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _which(variable: str, name: str, default: str) -> str | None:
    candidate = os.environ.get(variable) or shutil.which(name) or default
    return candidate if os.access(candidate, os.X_OK) else None


def _wait_until(ready: Any, deadline: float, what: str) -> None:
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"Kannel: {what} not ready in time")
        time.sleep(0.1)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(_STOP_SECONDS)
