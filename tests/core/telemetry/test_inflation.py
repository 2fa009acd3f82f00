"""Gzip inflates within the caller's limits: a bomb stops at the limit, honest input passes."""

from __future__ import annotations

import gzip
import zlib

import pytest

from slo_scout.core.telemetry import (
    DecodeError,
    Inflation,
    InflationLimitError,
    decode_bytes,
    decode_stream,
)
from slo_scout.core.telemetry._stream import STEP, gunzip

MIB = 1024 * 1024


def bomb(inflated: int) -> bytes:
    """An OTLP/JSON document padded with whitespace: detected as OTLP/JSON, ~1000x ratio."""
    pad = b" " * inflated
    return gzip.compress(b'{"resourceSpans": [' + pad + b"]}", compresslevel=9)


def test_a_bomb_stops_at_the_byte_limit_naming_the_source_and_the_limit() -> None:
    with pytest.raises(InflationLimitError) as caught:
        decode_bytes(bomb(64 * MIB), source="bomb.json.gz", inflation=Inflation(max_bytes=4 * MIB))
    assert caught.value.message.startswith("bomb.json.gz: ")
    assert "4194304-byte limit" in caught.value.message
    assert caught.value.limit == 4 * MIB


def test_the_inflated_bytes_produced_never_pass_the_limit_by_more_than_one_step() -> None:
    produced = 0
    with pytest.raises(InflationLimitError):
        for out in gunzip([bomb(256 * MIB)], "b", Inflation(max_bytes=8 * MIB)):
            produced += len(out)
    assert produced <= 8 * MIB + STEP


def test_a_bomb_read_in_small_chunks_stops_at_the_ratio_limit() -> None:
    data = bomb(128 * MIB)
    chunks = [data[i:i + 4096] for i in range(0, len(data), 4096)]
    limits = Inflation(max_ratio=100, ratio_floor=2 * MIB)
    with pytest.raises(InflationLimitError, match="more than 100x"):
        for _ in decode_stream(chunks, source="bomb.json.gz", inflation=limits):
            pass


def test_honest_input_under_the_limits_decodes_as_before() -> None:
    doc = (b'{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":'
           b'{"stringValue":"shop"}}]},"scopeSpans":[{"spans":[{"traceId":'
           b'"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"GET /",'
           b'"kind":2,"startTimeUnixNano":"1700000000000000000",'
           b'"endTimeUnixNano":"1700000000100000000"}]}]}]}')
    limits = Inflation(max_bytes=len(doc), max_ratio=100, ratio_floor=0)
    spans = decode_bytes(gzip.compress(doc), source="ok.json.gz", inflation=limits)
    assert [s.name for s in spans] == ["GET /"]


def test_output_held_back_by_a_full_step_is_still_read_at_the_end_of_input() -> None:
    # exactly STEP bytes per call with all input consumed: zlib still holds the rest
    payload = bytes(range(256)) * (3 * STEP // 256) + b"tail"
    out = b"".join(gunzip([gzip.compress(payload)], "s"))
    assert out == payload


def test_concatenated_members_and_truncation_are_still_told_apart() -> None:
    two = gzip.compress(b"a" * 10) + gzip.compress(b"b" * 10)
    assert b"".join(gunzip([two], "s")) == b"a" * 10 + b"b" * 10
    with pytest.raises(DecodeError, match="truncated"):
        b"".join(gunzip([gzip.compress(b"x" * 1000)[:-9]], "s"))
    with pytest.raises(DecodeError, match="corrupt"):
        b"".join(gunzip([b"\x1f\x8b" + zlib.compress(b"x")], "s"))


def test_limits_are_validated_when_built() -> None:
    with pytest.raises(ValueError):
        Inflation(max_ratio=0.5)
    with pytest.raises(ValueError):
        Inflation(max_bytes=-1)
