"""The Nezha log and metric readers: real rows, and bad input named by file, line and field."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from slo_scout.cli._rca_files import (
    TemplateMiner,
    level_of,
    message_of,
    read_logs,
    read_metrics,
)
from slo_scout.core.errors import DecodeError

LOG_HEADER = "Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log\n"


def _log_row(n: int, text: str, level: str = "INFO") -> str:
    body = (f'{{""log"":""16:44:{n:02d}.485 {level}  t.s.TravelServiceImpl#372 TraceID: abc '
            f'SpanID: def {text}\\n"",""stream"":""stdout""}}')
    pod = "ts-travel-service-64469b5b48-25zj6"
    return f'2023-01-29T08:44:10Z,16749818504856{n:05d},1.2.3.4,{pod},server,abc,def,"{body}"\n'


def test_log_rows_become_records_with_service_level_and_span(tmp_path: Path) -> None:
    path = tmp_path / "08_45_log.csv.gz"
    path.write_bytes(gzip.compress((LOG_HEADER + _log_row(1, "[getTickets][id: 17]")
                                    + _log_row(2, "[getTickets][id: 42]")
                                    + _log_row(3, "[boom]", "ERROR")).encode()))
    records = read_logs([path])
    assert [r.service for r in records] == ["ts-travel-service"] * 3
    assert [r.error for r in records] == [False, False, True]
    assert records[0].span_id == "def" and records[0].trace_id == "abc"
    miner = TemplateMiner()
    miner.learn(records)
    templated = miner.templated(records)
    # The clock and the ids are gone; the numbers are masked; both lines share one template.
    assert templated[0].template == templated[1].template
    assert "TraceID" not in templated[0].template and "16:44" not in templated[0].template
    assert templated[2].template != templated[0].template


def test_two_statements_of_the_same_text_are_two_templates(tmp_path: Path) -> None:
    # A method that logs "calculate time" before and after a call: the logger's source line
    # (logback's %logger#%line) tells the statements apart, where the NUM mask would not.
    path = tmp_path / "08_45_log.csv"
    path.write_text(LOG_HEADER + _log_row(1, "[calculate time: 17]")
                    + _log_row(2, "[calculate time: 42]").replace("#372", "#366")
                    + _log_row(3, "[calculate time: 5]"))
    miner = TemplateMiner()
    records = read_logs([path])
    miner.learn(records)
    first, second, third = (r.template for r in miner.templated(records))
    assert first == third and first != second
    assert "TravelServiceImpl#372 [calculate time: <NUM>]" in first
    assert "TravelServiceImpl#366" in second


def test_a_malformed_log_row_names_the_file_and_line_or_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(LOG_HEADER + _log_row(1, "ok") + 'x,1,"broken"quote,4\n' + _log_row(2, "ok"))
    with pytest.raises(DecodeError) as caught:
        read_logs([path])
    assert str(path) in str(caught.value) and "line 3" in str(caught.value)
    problems: list[DecodeError] = []
    records = read_logs([path], problems)
    assert len(records) == 2 and len(problems) == 1  # the good rows are all kept


def test_a_missing_column_and_a_missing_file_are_named(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("Timestamp,PodName\n1,x\n")
    with pytest.raises(DecodeError, match="field 'TimeUnixNano'"):
        read_logs([path])
    with pytest.raises(DecodeError, match=r"nope\.csv.*cannot read"):
        read_logs([tmp_path / "nope.csv"])


def test_metric_rows_skip_nan_and_name_a_bad_number(tmp_path: Path) -> None:
    header = "Time,TimeStamp,PodName,CpuUsageRate(%),MemoryUsageRate(%)\n"
    path = tmp_path / "m.csv"
    path.write_text(header + "t,1674981670,ts-cart-service-5f55b6cf68-77cfw,12.5,NaN\n")
    samples = read_metrics([path])
    assert [(s.service, s.resource, s.value, s.time_ns) for s in samples] == [
        ("ts-cart-service", "cpu", 12.5, 1674981670 * 10**9)]
    path.write_text(header + "t,1674981670,ts-cart-service-5f55b6cf68-77cfw,lots,1\n")
    with pytest.raises(DecodeError) as caught:
        read_metrics([path])
    assert "line 2" in str(caught.value) and "CpuUsageRate(%)" in str(caught.value)


def test_message_of_reads_the_container_json_or_keeps_plain_text() -> None:
    assert message_of('{"log":"hello\\n","stream":"stdout"}') == "hello"
    assert message_of("plain line ") == "plain line"
    assert message_of("{not json") == "{not json"


def test_the_level_of_plain_and_structured_lines() -> None:
    assert level_of("16:44:01.485 ERROR  t.s.TravelServiceImpl#372 boom") == (
        "16:44:01.485 ERROR  t.s.TravelServiceImpl#372 boom", True)
    assert level_of("16:44:01.485 INFO  t.s.X#1 an ERROR was retried")[1] is False
    assert level_of("connection error, retrying")[1] is False  # a word, not a level
    assert level_of('time="2023-01-29T08:44:10Z" level=error msg="charge failed"')[1] is True
    # logrus / zap / structlog JSON: the message alone is mined, the level read from its field
    assert level_of('{"message":"charge failed","severity":"error","timestamp":"t"}') == (
        "charge failed", True)
    assert level_of('{"msg":"served","level":"info","caller":"main.go:42"}') == ("served", False)
    assert level_of('{"level":50,"msg":"conversion failed","pid":1}') == (
        "conversion failed", True)  # pino's numbers
    assert level_of('{"level":30,"msg":"ok"}') == ("ok", False)
    assert level_of("{broken json ERROR") == ("{broken json ERROR", True)
