"""What one request's body may cost (slo_scout.http_limits): size, read deadline, shared budget."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from slo_scout.http_limits import BodyBudget, BodyRefused, GuardedReceive, declared_length


def _receive(*messages: dict[str, Any], stall: bool = False) -> Any:
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        if queue:
            return queue.pop(0)
        if stall:
            await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    return receive


def _chunk(size: int, more: bool = True) -> dict[str, Any]:
    return {"type": "http.request", "body": b"x" * size, "more_body": more}


def test_a_body_within_its_limits_passes_and_gives_its_budget_back() -> None:
    budget = BodyBudget(100)
    guarded = GuardedReceive(_receive(_chunk(40), _chunk(40, more=False)), limit=80,
                             timeout_s=5, budget=budget)

    async def read() -> None:
        assert (await guarded())["body"] == b"x" * 40
        assert (await guarded())["more_body"] is False
        assert budget.held == 80
        assert (await guarded())["type"] == "http.disconnect"  # after the body: untouched

    asyncio.run(read())
    guarded.release()
    assert budget.held == 0


def test_a_body_over_its_limit_is_413() -> None:
    guarded = GuardedReceive(_receive(_chunk(60), _chunk(60)), limit=100, timeout_s=5,
                             budget=BodyBudget(1000))

    async def read() -> None:
        await guarded()
        await guarded()

    with pytest.raises(BodyRefused) as refused:
        asyncio.run(read())
    assert refused.value.status == 413 and "100-byte limit" in refused.value.message


def test_a_stalled_body_is_408_once_its_deadline_passes() -> None:
    guarded = GuardedReceive(_receive(_chunk(10), stall=True), limit=100, timeout_s=0.2,
                             budget=BodyBudget(1000))

    async def read() -> None:
        await guarded()
        await guarded()

    with pytest.raises(BodyRefused) as refused:
        asyncio.run(read())
    assert refused.value.status == 408


def test_bodies_past_the_shared_budget_are_503_with_retry_after() -> None:
    budget = BodyBudget(100)
    first = GuardedReceive(_receive(_chunk(70)), limit=100, timeout_s=5, budget=budget)
    second = GuardedReceive(_receive(_chunk(70)), limit=100, timeout_s=5, budget=budget)
    asyncio.run(first())
    with pytest.raises(BodyRefused) as refused:
        asyncio.run(second())
    assert (refused.value.status, refused.value.retry_after) == (503, 1)
    first.release()
    third = GuardedReceive(_receive(_chunk(70)), limit=100, timeout_s=5, budget=budget)
    asyncio.run(third())
    assert budget.held == 70


def test_the_declared_length_is_read_only_when_valid() -> None:
    assert declared_length([(b"Content-Length", b"12")]) == 12
    assert declared_length([(b"content-length", b"-1")]) is None
    assert declared_length([]) is None
