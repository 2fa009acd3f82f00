"""The journey job's writer process (``writer_process``): batches stored exactly once through the
pipe, a failed batch fails the operator's future, and the child never outlives its parent."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest
from slo_scout_streaming.writer_process import WriterFailed, WriterProcess
from tests.control.conftest import pg_url, psycopg_dsn  # noqa: F401
from tests.fixtures.postgres import PostgresServer

from slo_scout.control.journeys.recording import TraceBatch
from slo_scout.core.journeys import Trace, assemble
from slo_scout.core.simulate import DEFAULT_SHOP, Simulation, encode, scenario_from_dict
from slo_scout.core.telemetry import decode_stream
from slo_scout.core.telemetry.wire import encode_fragments


def _shop(count: int) -> tuple[list[Trace], dict[str, str]]:
    """Traces of the simulated shop an hour ago, and each one's fragment as the wire has it."""
    sim = Simulation(scenario_from_dict(copy.deepcopy(DEFAULT_SHOP)), seed=5, traces=count,
                     start_s=time.time() - 3600)
    spans = [span for batch in decode_stream(
        encode(sim.batches(512), sim.resources, "otlp-proto", "delimited"), source="shop")
        for span in batch]
    fragments = {f.trace_id: f.value.decode() for f in encode_fragments(spans)}
    by_id: dict[str, list] = {}  # type: ignore[type-arg]
    for span in spans:
        by_id.setdefault(span.trace_id, []).append(span)
    return [assemble(t, s) for t, s in by_id.items()], fragments


def _batch(traces: list[Trace]) -> TraceBatch:
    batch = TraceBatch()
    for trace in traces:
        batch.add(trace)
    return batch


def test_batches_go_through_the_pipe_once_and_a_resent_trace_is_not_counted_again(
    pg_url: str,  # noqa: F811
) -> None:
    traces, fragments = _shop(50)
    asked: list[set[str]] = []

    def fragments_of(ids: set[str]) -> dict[str, str]:
        asked.append(set(ids))
        return {i: fragments[i] for i in ids}

    dsn = psycopg_dsn(pg_url)
    writer = WriterProcess(sys.executable, dsn, "shop", "production")
    writer.open()
    try:
        first = writer.submit(_batch(traces[:30]), fragments_of).result(60)
        # 10 of these were counted by the first batch: the writer asks for the other 20 again
        writer.submit(_batch(traces[20:]), fragments_of).result(60)
    finally:
        writer.close()
    assert {info.name for info in first}, "the first batch stored no journey"
    assert asked == [{t.trace_id for t in traces[30:]}]
    with psycopg.connect(dsn) as conn:
        ledger = {r[0] for r in conn.execute("SELECT trace_id FROM trace_ledger")}
        [(requests,)] = conn.execute("SELECT sum(requests) FROM journey_stats").fetchall()
    assert ledger == {t.trace_id for t in traces}
    assert requests == sum(1 for t in traces if not t.fragment)


def test_a_batch_the_database_refuses_fails_the_future_with_the_reason(
    postgres_server: PostgresServer,
) -> None:
    unmigrated = psycopg_dsn(postgres_server.create_database("bare"))  # no tables: not transient
    traces, fragments = _shop(5)
    writer = WriterProcess(sys.executable, unmigrated, "shop", "production")
    writer.open()
    try:
        future = writer.submit(_batch(traces), lambda ids: {i: fragments[i] for i in ids})
        with pytest.raises(WriterFailed, match=r"ProgrammingError.*does not exist"):
            future.result(60)
    finally:
        writer.close()


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # exited; a zombie waits for whoever adopted it


def test_the_writer_process_ends_when_the_operator_dies(tmp_path: Path) -> None:
    script = tmp_path / "operator.py"
    script.write_text(textwrap.dedent("""
        import sys, time
        from slo_scout_streaming.writer_process import WriterProcess
        writer = WriterProcess(sys.executable, "postgresql://nobody@127.0.0.1:1/none", "t", "e")
        writer.open()
        print(writer._proc.pid, flush=True)
        time.sleep(600)
    """))
    operator = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert operator.stdout is not None
        child = int(operator.stdout.readline())
        assert not _gone(child)
        os.kill(operator.pid, signal.SIGKILL)
        operator.wait(10)
        deadline = time.monotonic() + 20
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(child), "the writer process outlived its operator"
    finally:
        if operator.poll() is None:
            operator.kill()
