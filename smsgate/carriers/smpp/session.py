"""One bound SMPP transceiver session, kept alive: connect, bind, keep, reconnect, unbind.

The session runs as one background task per account. It connects, binds
as a transceiver, and then serves the connection: responses resolve the
request waiting on their sequence number, enquire_link from the SMSC is
answered, deliver_sm is handed to the ``on_deliver`` callback and
acknowledged with the status it returns *after* it returns (so a receipt
is stored before the SMSC forgets it), and every ``enquire_link_seconds``
we probe the link ourselves. When the connection ends for any reason it is
re-established with exponential backoff until ``aclose``.

``submit`` is the one way in for traffic. It distinguishes what the
adapter must tell apart: :class:`NotBound` (nothing was written; safe to
retry), and, once the PDU was handed to the socket, :class:`ResponseTimeout`
or :class:`ConnectionLost` (the SMSC may have accepted it). At most
``window`` submits are outstanding at once; a caller that cannot get a slot
within the response timeout gets ``NotBound`` too, having written nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from smsgate.carriers.smpp.pdu import (
    BindBody,
    Body,
    CommandId,
    CommandStatus,
    MessageBody,
    MessageRespBody,
    Pdu,
    PduError,
    UnknownCommand,
    decode,
    encode,
    frame_length,
)

MAX_SEQUENCE = 0x7FFFFFFF
DeliverHandler = Callable[[MessageBody], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """Where and how to bind; ``password`` is kept out of ``repr``."""

    host: str
    port: int
    system_id: str
    password: str = field(repr=False)
    system_type: str = ""
    enquire_link_seconds: float = 30.0
    window: int = 10
    response_timeout: float = 10.0
    reconnect_min: float = 1.0
    reconnect_max: float = 30.0


class SessionError(Exception):
    """A submit that got no response from the SMSC."""


class NotBound(SessionError):
    """No bound connection or no free window slot: nothing was written."""


class ResponseTimeout(SessionError):
    """The PDU was written but no response came within the timeout."""


class ConnectionLost(SessionError):
    """The PDU was written but the connection ended before its response."""


class BindRefused(SessionError):
    """The SMSC answered bind_transceiver with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"bind refused with command_status 0x{status:02x}")
        self.status = status


@dataclass(eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    pending: dict[int, asyncio.Future[Pdu]] = field(default_factory=dict)

    def send(self, pdu: Pdu) -> None:
        if self.writer.is_closing():
            raise NotBound("the connection is closing")
        self.writer.write(encode(pdu))

    def fail_pending(self) -> None:
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionLost("the connection ended"))
        self.pending.clear()


class SmppSession:
    """See the module docstring. Call ``start`` inside a running event loop."""

    def __init__(self, settings: SessionSettings, on_deliver: DeliverHandler, *, account: str):
        self._settings = settings
        self._on_deliver = on_deliver
        self._log = structlog.get_logger("smsgate.carriers.smpp").bind(
            carrier=account, host=settings.host, port=settings.port
        )
        self._sequence = itertools.count(1)
        self._window = asyncio.Semaphore(settings.window)
        self._bound = asyncio.Event()
        self._stopping = asyncio.Event()
        self._connection: _Connection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    @property
    def bound(self) -> bool:
        """Whether a bound connection is up right now."""
        return self._bound.is_set()

    def start(self) -> None:
        """Begin connecting in the background; does nothing if already started."""
        if self._runner is None and not self._stopping.is_set():
            self._runner = asyncio.get_running_loop().create_task(self._run())

    async def wait_bound(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a bound connection; whether there is one."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._bound.wait(), seconds)
        return self.bound

    async def submit(self, body: MessageBody) -> Pdu:
        """Send one submit_sm and return its response (submit_sm_resp or generic_nack).

        Raises ``NotBound`` (nothing written), ``ResponseTimeout`` or
        ``ConnectionLost`` (written, outcome unknown), ``PduError`` (cannot encode).
        """
        connection = self._connection
        if connection is None or not self.bound:
            raise NotBound("not bound")
        try:
            await asyncio.wait_for(self._window.acquire(), self._settings.response_timeout)
        except TimeoutError:
            raise NotBound("every window slot stayed taken") from None
        try:
            return await self._request(connection, CommandId.SUBMIT_SM, body)
        finally:
            self._window.release()

    async def aclose(self) -> None:
        """Unbind cleanly if bound, stop reconnecting, and cancel what is still running."""
        self._stopping.set()
        connection = self._connection
        if connection is not None and self.bound:
            try:
                await self._request(connection, CommandId.UNBIND, None)
                self._log.info("smpp.unbound")
            except (SessionError, OSError) as error:
                self._log.warning("smpp.unbind_failed", error=type(error).__name__)
            connection.writer.close()
        for task in [*self._deliveries, *([self._runner] if self._runner else [])]:
            task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)

    # --- the connection's life ---------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                await self._connect_and_serve()
                failures = 0
            except (OSError, TimeoutError, PduError, SessionError) as error:
                failures += 1
                self._log.warning("smpp.connect_failed", error=_describe(error), failures=failures)
            if self._stopping.is_set():
                break
            delay = min(self._settings.reconnect_max, self._settings.reconnect_min * 2**failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def _connect_and_serve(self) -> None:
        settings = self._settings
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(settings.host, settings.port), settings.response_timeout
        )
        connection = _Connection(reader, writer)
        self._connection = connection
        serving = asyncio.get_running_loop().create_task(self._read(connection))
        keeper: asyncio.Task[None] | None = None
        try:
            await self._bind(connection)
            keeper = asyncio.get_running_loop().create_task(self._keep_alive(connection))
            await asyncio.wait([serving, keeper], return_when=asyncio.FIRST_COMPLETED)
            if not self._stopping.is_set():
                self._log.warning("smpp.disconnected")
        finally:
            self._bound.clear()
            self._connection = None
            for task in (serving, keeper):
                if task is not None:
                    task.cancel()
            connection.fail_pending()
            writer.close()

    async def _bind(self, connection: _Connection) -> None:
        settings = self._settings
        bind = BindBody(settings.system_id, settings.password, settings.system_type)
        answer = await self._request(connection, CommandId.BIND_TRANSCEIVER, bind)
        if answer.command_status != CommandStatus.ESME_ROK:
            self._log.error("smpp.bind_refused", status=f"0x{answer.command_status:02x}")
            raise BindRefused(answer.command_status)
        self._bound.set()
        self._log.info("smpp.bound", system_id=settings.system_id)

    async def _keep_alive(self, connection: _Connection) -> None:
        while True:
            await asyncio.sleep(self._settings.enquire_link_seconds)
            try:
                await self._request(connection, CommandId.ENQUIRE_LINK, None)
            except (ResponseTimeout, NotBound):
                self._log.warning("smpp.enquire_link_unanswered")
                return

    async def _request(self, connection: _Connection, command: CommandId, body: Body) -> Pdu:
        sequence = self._next_sequence()
        answer: asyncio.Future[Pdu] = asyncio.get_running_loop().create_future()
        pdu = Pdu(command, sequence, body)
        encode(pdu)  # an unencodable PDU fails here, before anything is written
        connection.pending[sequence] = answer
        try:
            connection.send(pdu)
            await connection.writer.drain()
            return await asyncio.wait_for(answer, self._settings.response_timeout)
        except TimeoutError:
            raise ResponseTimeout(f"no response to {command.name} #{sequence}") from None
        except OSError as error:
            raise ConnectionLost(f"{command.name} #{sequence}: {error}") from error
        finally:
            connection.pending.pop(sequence, None)

    def _next_sequence(self) -> int:
        number = next(self._sequence)
        if number >= MAX_SEQUENCE:
            self._sequence = itertools.count(1)
        return number

    # --- what the SMSC sends -----------------------------------------------------------------

    async def _read(self, connection: _Connection) -> None:
        reader = connection.reader
        try:
            while True:
                head = await reader.readexactly(4)
                rest = await reader.readexactly(frame_length(head) - 4)
                if not self._dispatch(connection, decode(head + rest)):
                    return
        except (asyncio.IncompleteReadError, ConnectionError, NotBound):
            return
        except PduError as error:
            self._log.error("smpp.malformed_pdu", error=str(error))

    def _dispatch(self, connection: _Connection, pdu: Pdu | UnknownCommand) -> bool:
        """Handle one PDU from the SMSC; ``False`` when the connection is to end."""
        if isinstance(pdu, UnknownCommand):
            if not pdu.command_id & 0x80000000:
                connection.send(_generic_nack(pdu.sequence_number))
            return True
        if pdu.command_id.is_response:
            waiting = connection.pending.get(pdu.sequence_number)
            if waiting is not None and not waiting.done():
                waiting.set_result(pdu)
            return True
        return self._answer_request(connection, pdu)

    def _answer_request(self, connection: _Connection, pdu: Pdu) -> bool:
        sequence = pdu.sequence_number
        if pdu.command_id is CommandId.ENQUIRE_LINK:
            connection.send(Pdu(CommandId.ENQUIRE_LINK_RESP, sequence))
        elif pdu.command_id is CommandId.UNBIND:
            connection.send(Pdu(CommandId.UNBIND_RESP, sequence))
            self._log.info("smpp.unbound_by_smsc")
            return False
        elif pdu.command_id is CommandId.DELIVER_SM and isinstance(pdu.body, MessageBody):
            task = asyncio.get_running_loop().create_task(
                self._deliver(connection, sequence, pdu.body)
            )
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        else:
            connection.send(_generic_nack(sequence))
        return True

    async def _deliver(self, connection: _Connection, sequence: int, body: MessageBody) -> None:
        try:
            status = await self._on_deliver(body)
        except Exception as error:  # the SMSC must hear "try again", not silence
            self._log.error("smpp.deliver_failed", error=type(error).__name__)
            status = CommandStatus.ESME_RX_T_APPN
        answer = Pdu(CommandId.DELIVER_SM_RESP, sequence, MessageRespBody(), status)
        # Gone meanwhile? The SMSC resends an unacknowledged deliver_sm on the next bind.
        with contextlib.suppress(NotBound, OSError):
            connection.send(answer)


def _generic_nack(sequence: int) -> Pdu:
    return Pdu(CommandId.GENERIC_NACK, sequence, None, CommandStatus.ESME_RINVCMDID)


def _describe(error: BaseException) -> str:
    """What a log may say about a failure: its class, and the bind status where there is one."""
    if isinstance(error, BindRefused):
        return f"BindRefused(0x{error.status:02x})"
    return type(error).__name__
