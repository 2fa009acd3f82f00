"""An async pull consumed by synchronous code (the CLI's decoders), with bounded memory.

The pull runs on its own event loop in a thread and hands items over through a bounded queue;
the caller's loop blocks on the queue. An error in the pull is raised in the caller; a caller
that stops early stops the pull.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def iterate(pull: Callable[[], AsyncIterator[T]], *, buffered: int = 64) -> Iterator[T]:
    handover: queue.Queue[object] = queue.Queue(maxsize=buffered)
    stop = threading.Event()
    failure: list[BaseException] = []

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handover.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    async def drive() -> None:
        async for item in pull():
            if not put(item):
                return

    def run() -> None:
        try:
            asyncio.run(drive())
        except BaseException as error:  # handed to the caller's thread
            failure.append(error)
        put(_DONE)

    worker = threading.Thread(target=run, name="source-pull", daemon=True)
    worker.start()
    try:
        while True:
            item = handover.get()
            if item is _DONE:
                break
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=30)
    if failure:
        raise failure[0]
