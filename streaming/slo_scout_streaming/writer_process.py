"""The journey job's writer in a process of its own: ``StatsStore`` behind a pipe.

The operator's interpreter runs inside the TaskManager's JVM and has one interpreter lock. A
writer thread there (SQLAlchemy and asyncpg building statements and reading results, about 8 µs
of Python per trace) took that lock from the operator for a seventh of the job's time. The
writer now runs in a child Python process (``python -m slo_scout_streaming.writer_process``),
on another core, and the operator only pickles each classified batch down a pipe.

Protocol: length-prefixed pickles. The operator sends ``("batch", seq, TraceBatch)``; the child
answers ``("done", seq, [JourneyInfo])`` or ``("failed", seq, reason)`` once the batch's
transaction has ended (after ``StatsStore``'s retries). A batch of which some traces were
counted before needs them again (``TracesOf``): the child asks ``("need", seq, ids)`` and the
operator's reader thread answers ``("fragments", seq, {id: held})`` from the batch it keeps.

Lifetimes: the child exits when its input ends (the operator closed it, or died and the kernel
closed it) and, through ``PR_SET_PDEATHSIG``, when the thread that started it ends (a failed task
attempt that never ran ``close``). A child that exits fails every batch it had: the operator
fails, and Flink restores from the last checkpoint, which holds every trace not surely written.
"""

from __future__ import annotations

import contextlib
import copyreg
import ctypes
import dataclasses
import functools
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any

from slo_scout.control.journeys.recording import TraceBatch
from slo_scout.core.errors import DecodeError
from slo_scout.core.journeys import Trace, model
from slo_scout.core.telemetry.model import Span
from slo_scout.core.telemetry.wire import decode_fragment
from slo_scout_streaming.stats_store import JourneyInfo

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!I")
_PR_SET_PDEATHSIG = 1
_EXIT_WAIT_S = 30.0


class WriterFailed(RuntimeError):
    """A batch the writer could not store (after its retries), or a writer that exited."""


def _register_frozen_dataclasses() -> None:
    # The core's frozen dataclasses are compiled (slo_scout.speedups), and pickle cannot set
    # the fields of a compiled frozen class: rebuild them through their constructors instead.
    def rebuild(obj: Any) -> tuple[type, tuple[Any, ...]]:
        return type(obj), tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))

    for value in vars(model).values():
        if (isinstance(value, type) and dataclasses.is_dataclass(value)
                and value.__dataclass_params__.frozen):  # type: ignore[attr-defined]
            copyreg.pickle(value, rebuild)


def spans_of(trace_id: str, fragments: str) -> list[Span]:
    """The spans of a trace's held fragments (one a line); an unreadable one is logged and
    dropped, the rest kept."""
    spans: list[Span] = []
    for fragment in fragments.split("\n"):
        try:
            spans.extend(decode_fragment(fragment)[1])
        except DecodeError as exc:
            log.warning("dropped an unreadable span fragment of trace %s: %s", trace_id,
                        exc.message)
    return spans


_register_frozen_dataclasses()  # both sides import this module before they pickle


def _send(stream: IO[bytes], message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> tuple[Any, ...] | None:
    """The next message, or None at the end of the stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    message: tuple[Any, ...] = pickle.loads(data)
    return message


class WriterProcess:
    """The operator's side: :meth:`submit` hands a batch to the child and returns a future of
    the journeys it stored for the first time."""

    def __init__(self, python: str, dsn: str, team: str, environment: str,
                 retention_days: int = 0) -> None:
        self.python = python
        self.settings = {"dsn": dsn, "team": team, "environment": environment,
                         "retention_days": retention_days}
        self._proc: subprocess.Popen[bytes] | None = None
        self._send_lock = threading.Lock()  # the operator and the reader both write
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[Future[list[JourneyInfo]], Callable[[set[str]], Any]]] = {}
        self._next = 0
        self._reader: threading.Thread | None = None

    def open(self) -> None:
        self._proc = subprocess.Popen(
            [self.python, "-m", "slo_scout_streaming.writer_process", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self._proc.stdin is not None
        with self._send_lock:
            _send(self._proc.stdin, ("open", self.settings))
        self._reader = threading.Thread(target=self._read, name="journey-stats-replies",
                                         daemon=True)
        self._reader.start()

    def submit(self, batch: TraceBatch,
               fragments_of: Callable[[set[str]], dict[str, str]]) -> Future[list[JourneyInfo]]:
        """Starts storing a classified batch; ``fragments_of`` gives held fragments of some of
        its traces again (called in the reader thread), should some have been counted before."""
        proc = self._proc
        assert proc is not None and proc.stdin is not None, "writer not open"
        future: Future[list[JourneyInfo]] = Future()
        with self._lock:
            seq = self._next
            self._next += 1
            self._pending[seq] = (future, fragments_of)
        try:
            with self._send_lock:
                _send(proc.stdin, ("batch", seq, batch))
        except (OSError, ValueError) as exc:  # a closed pipe or file: the child is gone
            with self._lock:
                self._pending.pop(seq, None)
            raise WriterFailed(f"journey stats writer is gone: {self._exit(proc)}") from exc
        return future

    def _read(self) -> None:
        """Resolves the futures as the child answers; when it stops answering (it exited, or
        sent what this side cannot read), fails every batch still waiting."""
        proc, reason = self._proc, None
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout
        try:
            while (message := _receive(stdout)) is not None:
                kind, seq, payload = message
                if kind == "need":
                    with self._lock:
                        fragments_of = self._pending[seq][1]
                    with self._send_lock:
                        _send(stdin, ("fragments", seq, fragments_of(payload)))
                    continue
                with self._lock:
                    future = self._pending.pop(seq)[0]
                if kind == "done":
                    future.set_result(payload)
                else:
                    future.set_exception(WriterFailed(payload))
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            proc.kill()
        with self._lock:
            pending, self._pending = self._pending, {}
        if pending:
            reason = reason or f"exited, {self._exit(proc)}"
            for future, _ in pending.values():
                future.set_exception(WriterFailed(f"journey stats writer {reason}"))

    @staticmethod
    def _exit(proc: subprocess.Popen[bytes]) -> str:
        try:
            code = proc.wait(_EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            return f"pid {proc.pid} still running"
        return f"exit code {code}"

    def close(self) -> None:
        """Ends the child once it has answered what it had; waits for it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):  # a child already gone
                proc.stdin.close()
        try:
            proc.wait(_EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._reader is not None:
            self._reader.join(_EXIT_WAIT_S)


# -- the child ----------------------------------------------------------------------------------

def _die_with_parent(parent: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the end of the input still ends us
        return
    if os.getppid() != parent:  # the parent ended before the prctl took effect
        os._exit(0)


def main(argv: list[str]) -> None:
    from slo_scout.core.journeys import assemble
    from slo_scout_streaming.stats_store import StatsStore

    _die_with_parent(int(argv[0]))
    # The protocol owns the real stdout; anything else printed goes to stderr.
    inbox = os.fdopen(os.dup(0), "rb")
    outbox = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="journey stats writer: %(levelname)s %(name)s: %(message)s")
    opened = _receive(inbox)
    if opened is None:
        return
    settings = opened[1]
    store = StatsStore(settings["dsn"], settings["team"], settings["environment"],
                       retention_days=settings["retention_days"])
    store.open()
    send_lock = threading.Lock()
    replies: dict[int, Future[dict[str, str]]] = {}

    def answer(message: tuple[Any, ...]) -> None:
        with send_lock:
            _send(outbox, message)

    def traces_of(seq: int) -> Callable[[set[str]], list[Trace]]:
        def again(ids: set[str]) -> list[Trace]:
            reply: Future[dict[str, str]] = Future()
            replies[seq] = reply
            answer(("need", seq, ids))
            return [assemble(trace_id, spans_of(trace_id, fragments))
                    for trace_id, fragments in reply.result().items()]
        return again

    def reply_when_done(seq: int, future: Future[list[JourneyInfo]]) -> None:
        try:
            answer(("done", seq, future.result()))
        except Exception as exc:  # the batch failed after its retries: the operator fails
            answer(("failed", seq, f"{type(exc).__name__}: {exc}"))

    writing: list[Future[list[JourneyInfo]]] = []
    try:
        while (message := _receive(inbox)) is not None:
            kind, seq, payload = message
            if kind == "fragments":
                replies.pop(seq).set_result(payload)
                continue
            future = store.submit(payload, traces_of(seq))
            future.add_done_callback(functools.partial(reply_when_done, seq))
            writing = [f for f in writing if not f.done()] + [future]
        # The input ended. After the operator's close nothing is in flight: close cleanly.
        # When the operator is gone instead, a transaction still open is rolled back as the
        # connection drops with this process.
        if all(f.done() for f in writing):
            store.close()
    finally:
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
