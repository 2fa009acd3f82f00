"""The HTTP receivers as one plain ASGI application (no framework on the hot path).

Routes: OTLP/HTTP ``/v1/traces``, ``/v1/metrics``, ``/v1/logs``; Prometheus remote_write
``/api/v1/write``; Loki push ``/loki/api/v1/push``; the collector's own ``/metrics`` and
``/healthz``. Status codes follow OTLP/HTTP: 200 (with partial success when part of a batch was
refused), 400 for data that cannot be decoded (clients must not retry it), 413 for an oversized
body, 415 for an unknown content type, 429/503 with ``Retry-After`` when the pipeline is full or
Kafka does not acknowledge (clients retry).
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from google.protobuf import json_format
from google.rpc import status_pb2
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from slo_scout.http_limits import BodyBudget, BodyRefused, GuardedReceive
from slo_scout_collectors import loki, loki_protobuf, remote_write, remote_write_v2
from slo_scout_collectors.metrics import CollectorMetrics
from slo_scout_collectors.otlp import (
    Decoded,
    Encoding,
    Signal,
    Undecodable,
    decode_logs,
    decode_metrics,
    decode_traces,
    encode_response,
    response,
)
from slo_scout_collectors.pipeline import (
    Backpressure,
    KafkaPipeline,
    KafkaUnavailable,
    RecordTooLarge,
    TooLarge,
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_OTLP_PATHS: dict[str, Signal] = {"/v1/traces": "traces", "/v1/metrics": "metrics",
                                  "/v1/logs": "logs"}
_CONTENT_TYPES: dict[str, Encoding] = {"application/x-protobuf": "protobuf",
                                       "application/protobuf": "protobuf",
                                       "application/json": "json"}


class HttpError(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None,
                 close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.close = close  # the body was not read to its end: close the connection


class CollectorApp:
    def __init__(self, pipeline: KafkaPipeline, metrics: CollectorMetrics) -> None:
        self.pipeline = pipeline
        self.metrics = metrics
        self.settings = pipeline.settings
        self.budget = BodyBudget(self.settings.max_body_budget_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if method == "GET" and path == "/metrics":
            await _reply(send, 200, generate_latest(self.metrics.registry),
                         CONTENT_TYPE_LATEST)
            return
        if method == "GET" and path == "/healthz":
            await _reply(send, 200, b"ok\n", "text/plain")
            return
        handler = self._route(path)
        if handler is None:
            await _reply(send, 404, b"not found\n", "text/plain")
            return
        if method != "POST":
            await _reply(send, 405, b"POST only\n", "text/plain", [(b"allow", b"POST")])
            return
        # every body within its size, its read deadline and the process's budget
        guarded = GuardedReceive(receive, limit=self.settings.max_body_bytes,
                                 timeout_s=self.settings.body_timeout_s, budget=self.budget)
        try:
            await handler(path, headers, guarded, send)
        finally:
            guarded.release()

    def _route(self, path: str) -> Callable[..., Awaitable[None]] | None:
        if path in _OTLP_PATHS:
            return self._otlp
        if path == "/api/v1/write":
            return self._remote_write
        if path == "/loki/api/v1/push":
            return self._loki
        return None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await self.pipeline.start()
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await self.pipeline.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _body(self, headers: dict[str, str], receive: Receive,
                    content_encoding: bool = True) -> bytes:
        limit = self.settings.max_body_bytes
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise HttpError(413, f"body of {declared} bytes is over the {limit}-byte limit",
                            close=True)
        parts: list[bytes] = []
        while True:
            try:
                event = await receive()  # a GuardedReceive: size, deadline, budget
            except BodyRefused as refused:
                raise HttpError(refused.status, refused.message, refused.retry_after,
                                close=True) from None
            if event["type"] == "http.disconnect":
                raise HttpError(400, "the client went away before its body was complete")
            parts.append(event.get("body", b""))
            if not event.get("more_body", False):
                break
        body = b"".join(parts)
        if not content_encoding:
            return body
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding == "gzip":
            return _gunzip(body, limit)
        if encoding not in ("identity", ""):
            raise HttpError(415, f"content-encoding {encoding!r} is not supported (use gzip)")
        return body

    async def _otlp(self, path: str, headers: dict[str, str], receive: Receive,
                    send: Send) -> None:
        signal = _OTLP_PATHS[path]
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        encoding = _CONTENT_TYPES.get(ctype)
        try:
            if encoding is None:
                raise HttpError(415, f"content-type {ctype or '(none)'!r} is not OTLP: use "
                                     "application/x-protobuf or application/json")
            body = await self._body(headers, receive)
            decoded = await self._decode_and_send(signal, body, encoding, ctype)
        except HttpError as err:
            self._count_refusal(signal, err)
            await _error(send, err, encoding or "json")
            return
        await _reply(send, 200, encode_response(response(signal, decoded), encoding),
                     "application/x-protobuf" if encoding == "protobuf" else "application/json")

    async def _decode_and_send(self, signal: Signal, body: bytes, encoding: Encoding,
                               ctype: str) -> Decoded:
        try:
            if signal == "traces":
                decoded = decode_traces(body, encoding, source=f"OTLP/HTTP {encoding}",
                                        max_inflated=self.settings.max_body_bytes,
                                        max_record_bytes=self.settings.max_record_bytes)
            elif signal == "metrics":
                decoded = decode_metrics(body, encoding)
            else:
                decoded = decode_logs(body, encoding)
        except Undecodable as exc:
            await self.pipeline.dead_letter(signal, str(exc), body, ctype)
            raise HttpError(400, str(exc)) from exc
        except RecordTooLarge as exc:
            await self.pipeline.dead_letter(signal, str(exc), body, ctype)
            raise HttpError(413, str(exc)) from exc
        except TooLarge as exc:
            raise HttpError(413, str(exc)) from exc
        try:
            await self._deliver(signal, "otlp_http", decoded)
        except HttpError as err:
            if err.status == 413:
                await self.pipeline.dead_letter(signal, err.message, body, ctype)
            raise
        if decoded.rejected:
            self.metrics.refused.labels(signal, "otlp_http").inc(decoded.rejected)
            await self.pipeline.dead_letter(signal, decoded.message, b"", ctype)
            for fragment in decoded.oversized:
                await self.pipeline.dead_letter(signal, decoded.message, fragment.value,
                                                "application/x-slo-scout-spans")
        return decoded

    async def _deliver(self, signal: Signal, protocol: str, decoded: Decoded) -> None:
        try:
            if signal == "traces":
                await self.pipeline.send_spans(decoded.fragments)
            else:
                await self.pipeline.send_payload(signal, decoded.payload, decoded.items,
                                                 protocol)
        except (TooLarge, RecordTooLarge) as exc:
            raise HttpError(413, str(exc)) from exc
        except Backpressure as exc:
            raise HttpError(429, str(exc), self.settings.retry_after_s) from exc
        except KafkaUnavailable as exc:
            raise HttpError(503, str(exc), self.settings.retry_after_s) from exc
        self.metrics.accepted.labels(signal, protocol).inc(decoded.items)

    def _count_refusal(self, signal: str, err: HttpError) -> None:
        # a refused body (err.close: over its size, too slow, past the body budget) is no
        # pipeline backpressure
        if err.status in (429, 503) and not err.close:
            self.metrics.dropped.labels(signal, "backpressure" if err.status == 429
                                        else "kafka_unavailable").inc()
        else:
            self.metrics.dropped.labels(signal, f"http_{err.status}").inc()

    async def _remote_write(self, path: str, headers: dict[str, str], receive: Receive,
                            send: Send) -> None:
        v2 = False
        try:
            try:
                v2 = remote_write_v2.message_type(headers) == remote_write_v2.V2_MESSAGE
            except remote_write_v2.Unsupported as exc:
                raise HttpError(415, str(exc)) from exc
            # remote_write's "Content-Encoding: snappy" is its body format, read by the decoder.
            body = await self._body(headers, receive, content_encoding=False)
            written = remote_write_v2.Written()
            try:
                if v2:
                    decoded, written = remote_write_v2.decode(body, headers,
                                                              self.settings.max_body_bytes)
                else:
                    decoded = remote_write.decode(body, headers, self.settings.max_body_bytes)
            except remote_write_v2.Unsupported as exc:
                raise HttpError(415, str(exc)) from exc
            except Undecodable as exc:
                await self.pipeline.dead_letter("metrics", str(exc), body,
                                                headers.get("content-type", ""))
                raise HttpError(400, str(exc)) from exc
            except TooLarge as exc:
                raise HttpError(413, str(exc)) from exc
            await self._deliver_raw("metrics", "remote_write", decoded,
                                    remote_write_v2.FORMAT if v2 else remote_write.FORMAT)
        except HttpError as err:
            self._count_refusal("metrics", err)
            # 2.0 senders read the written counts on every answer: nothing of a refused request
            # was written.
            extra = remote_write_v2.Written().headers() if v2 else []
            await _reply(send, err.status, err.message.encode() + b"\n", "text/plain",
                         _retry_header(err) + extra)
            return
        await _reply(send, 204, b"", "text/plain",
                     written.headers() if v2 else remote_write.response_headers(decoded))

    async def _loki(self, path: str, headers: dict[str, str], receive: Receive,
                    send: Send) -> None:
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if ctype not in ("application/json", "application/x-protobuf"):
                raise HttpError(415, f"content-type {ctype or '(none)'!r}: Loki pushes are "
                                     "application/json or application/x-protobuf")
            protobuf = ctype == "application/x-protobuf"
            # A protobuf push is a snappy block whether or not the client says so.
            if protobuf and headers.get("content-encoding", "snappy").lower() != "snappy":
                raise HttpError(415, "a protobuf Loki push is snappy-compressed")
            body = await self._body(headers, receive, content_encoding=not protobuf)
            try:
                if protobuf:
                    decoded = loki_protobuf.decode(body, self.settings.max_body_bytes)
                else:
                    decoded = loki.decode(body, headers)
            except Undecodable as exc:
                await self.pipeline.dead_letter("logs", str(exc), body, ctype)
                raise HttpError(400, str(exc)) from exc
            except TooLarge as exc:
                raise HttpError(413, str(exc)) from exc
            await self._deliver_raw("logs", "loki", decoded, loki.FORMAT)
        except HttpError as err:
            self._count_refusal("logs", err)
            await _reply(send, err.status, err.message.encode() + b"\n", "text/plain",
                         _retry_header(err))
            return
        await _reply(send, 204, b"", "text/plain")

    async def _deliver_raw(self, signal: Signal, protocol: str, decoded: Decoded,
                           fmt: str) -> None:
        try:
            await self.pipeline.send_payload(signal, decoded.payload, decoded.items, fmt)
        except TooLarge as exc:
            raise HttpError(413, str(exc)) from exc
        except RecordTooLarge as exc:
            await self.pipeline.dead_letter(signal, str(exc), decoded.payload, fmt)
            raise HttpError(413, str(exc)) from exc
        except Backpressure as exc:
            raise HttpError(429, str(exc), self.settings.retry_after_s) from exc
        except KafkaUnavailable as exc:
            raise HttpError(503, str(exc), self.settings.retry_after_s) from exc
        self.metrics.accepted.labels(signal, protocol).inc(decoded.items)


def _gunzip(body: bytes, limit: int) -> bytes:
    """Every member of a gzip stream (RFC 1952 allows several, as `cat a.gz b.gz` makes), inflated
    only up to ``limit`` bytes in all."""
    out = bytearray()
    rest = body
    while True:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise HttpError(400, f"corrupt gzip body: {exc}") from exc
        if len(out) > limit:
            raise HttpError(413, f"decompressed body is over the {limit}-byte limit")
        if not inflater.eof:
            raise HttpError(400, "gzip body is truncated")
        rest = inflater.unused_data
        if not rest:
            return bytes(out)


def _retry_header(err: HttpError) -> list[tuple[bytes, bytes]]:
    headers = [(b"retry-after", str(err.retry_after).encode())] if err.retry_after else []
    if err.close:
        headers.append((b"connection", b"close"))
    return headers


async def _error(send: Send, err: HttpError, encoding: Encoding) -> None:
    # OTLP/HTTP answers errors with a google.rpc.Status in the request's encoding.
    status = status_pb2.Status(code=_GRPC_CODE.get(err.status, 3), message=err.message)
    if encoding == "protobuf":
        body, ctype = status.SerializeToString(), "application/x-protobuf"
    else:
        body, ctype = json_format.MessageToJson(status, indent=None).encode(), "application/json"
    await _reply(send, err.status, body, ctype, _retry_header(err))


# HTTP status -> the gRPC code OTLP pairs with it.
_GRPC_CODE = {400: 3, 408: 4, 413: 8, 415: 3, 429: 8, 503: 14}


async def _reply(send: Send, status: int, body: bytes, content_type: str,
                 extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type.encode()),
               (b"content-length", str(len(body)).encode())]
    headers.extend(extra or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
