"""What an HTTP client may cost a server of SLO Scout (the API and the collector): time to send
its headers, time and bytes to send its body, and a share of the body bytes all requests hold.

uvicorn times out only an idle keep-alive connection, after a response: a client that connects
and sends nothing, or drips its headers a byte at a time, holds its connection for ever
(slowloris). :func:`header_deadline_protocol` is uvicorn's own HTTP protocol with a deadline
from the first byte of a request (or the connection) to the end of its headers; past it the
connection is closed. uvicorn reads at most 64 KiB of a body ahead of the application, so what a
slow body costs is what the application has read: :class:`GuardedReceive` wraps the ASGI
``receive`` of one request with a deadline for the whole body, the body limit and the server's
:class:`BodyBudget`, and raises :class:`BodyRefused` with the status to answer (408, 413, 503).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]


MAX_HEADER_BYTES = 64 * 1024


def header_deadline_protocol(
    header_timeout_s: float, max_header_bytes: int = MAX_HEADER_BYTES
) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol that closes a connection whose request headers take longer
    than ``header_timeout_s`` to arrive, counted from the connection or the end of the last
    response, and answers 431 once a request line and headers pass ``max_header_bytes`` (the
    parser would keep them all, however many). Pass it as ``uvicorn.Config(http=...)``."""

    class HeaderDeadlineProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None
        _header_bytes = 0  # received since the last request's headers ended
        _in_body = False  # between a request's headers and the end of its body

        def data_received(self, data: bytes) -> None:
            if not self._in_body:  # waiting for, or reading, a request's headers
                if self._header_bytes > max_header_bytes:
                    self._refuse_headers()
                    return
                self._header_bytes += len(data)
            super().data_received(data)

        def _refuse_headers(self) -> None:
            self._disarm()
            text = f"request line and headers are over {max_header_bytes} bytes\n".encode()
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain\r\n"
                b"content-length: " + str(len(text)).encode() + b"\r\nconnection: close\r\n"
                b"\r\n" + text)
            self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            self._header_bytes = 0
            self._in_body = True
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_body = False
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # the rest of a body the application did not read, and the next request's headers,
            # get the same time (uvicorn's keep-alive timer, armed just now, is cancelled by the
            # first byte that arrives); only header bytes count against max_header_bytes
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(header_timeout_s, self._expired)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _expired(self) -> None:
            self._header_timer = None
            if self.cycle is None or self.cycle.response_complete:
                self.transport.close()

    return HeaderDeadlineProtocol


class BodyRefused(Exception):
    """A body that may not be read further: answer ``status`` and close the connection."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class BodyBudget:
    """Body bytes that all requests of one server process may hold at once. A request takes
    its share as its bytes arrive and gives it back when it ends; one that would pass the
    budget is refused (503, retry later) instead of growing the process."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.held = 0

    def take(self, size: int) -> bool:
        if self.held + size > self.max_bytes:
            return False
        self.held += size
        return True

    def give(self, size: int) -> None:
        self.held -= size


class GuardedReceive:
    """One request's ``receive``: the whole body within ``timeout_s`` of the first call, at
    most ``limit`` bytes of it, each byte taken from ``budget``. Call :meth:`release` when the
    request ends. Once the body is complete, ``receive`` passes through untouched (an
    application may wait on it for the client's disconnect)."""

    def __init__(self, receive: Receive, *, limit: int, timeout_s: float,
                 budget: BodyBudget) -> None:
        self._receive = receive
        self.limit = limit
        self.timeout_s = timeout_s
        self.budget = budget
        self.received = 0
        self.held = 0
        self.complete = False
        self._deadline: float | None = None

    async def __call__(self) -> Message:
        if self.complete:
            return await self._receive()
        if self._deadline is None:
            self._deadline = time.monotonic() + self.timeout_s
        remaining = self._deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            message = await asyncio.wait_for(self._receive(), remaining)
        except TimeoutError:
            raise BodyRefused(408, f"the body did not arrive within {self.timeout_s:g} s; "
                                   "send it faster or in smaller requests") from None
        if message["type"] != "http.request":
            return message
        size = len(message.get("body", b""))
        self.received += size
        if self.received > self.limit:
            raise BodyRefused(413, f"the body is over the {self.limit}-byte limit")
        if not self.budget.take(size):
            raise BodyRefused(503, "the server holds as many request bodies as it may; "
                                   "retry shortly", retry_after=1)
        self.held += size
        self.complete = not message.get("more_body", False)
        return message

    def release(self) -> None:
        self.budget.give(self.held)
        self.held = 0


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The request's Content-Length, when it gives a valid one."""
    for name, value in headers:
        if name.lower() == b"content-length" and value.strip().isdigit():
            return int(value)
    return None
