"""The journey job keys records without a shuffle only if our copy of Flink's key-group hash is
Flink's: checked here against the JVM's own classes (through PyFlink's gateway)."""

from __future__ import annotations

import random
import string

import pytest
from tests.streaming.flink import need_flink


@pytest.fixture(scope="module")
def jvm(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    need_flink()
    from pyflink.java_gateway import get_gateway
    from slo_scout_streaming.journey_job import _prepare_python
    from slo_scout_streaming.settings import PipelineSettings

    # The gateway's JVM is started once per test process and keeps the environment it started
    # with: the one the journey job prepares, should a job test run in it after this one.
    _prepare_python(PipelineSettings(data_dir=tmp_path_factory.mktemp("flink")))
    return get_gateway().jvm


def _key_row(jvm, key: str):  # type: ignore[no-untyped-def]
    row = jvm.org.apache.flink.types.Row.withPositions(1)
    row.setField(0, key)
    return row


def test_key_groups_and_string_hashes_are_flinks(jvm) -> None:  # type: ignore[no-untyped-def]
    from slo_scout_streaming.key_groups import key_group, string_hash

    assign = jvm.org.apache.flink.runtime.state.KeyGroupRangeAssignment
    rnd = random.Random(7)
    alphabet = string.printable + "é€😀"
    keys = ["", "@0", "@17#3", "0123456789abcdef0123456789abcdef#0"] + [
        "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 48))) for _ in range(200)]
    for key in keys:
        assert string_hash(key) == jvm.java.util.Objects.hashCode(key), key
        for max_parallelism in (128, 256, 32768):
            assert key_group(key, max_parallelism) == assign.assignToKeyGroup(
                _key_row(jvm, key), max_parallelism), (key, max_parallelism)


@pytest.mark.parametrize("parallelism", [1, 2, 3, 7])
def test_every_subtask_gets_keys_flink_assigns_to_it(jvm, parallelism: int) -> None:  # type: ignore[no-untyped-def]
    from slo_scout_streaming.key_groups import LocalKeys

    assign = jvm.org.apache.flink.runtime.state.KeyGroupRangeAssignment
    max_parallelism = assign.computeDefaultMaxParallelism(parallelism)
    for index in range(parallelism):
        keys = LocalKeys(index, parallelism, max_parallelism)
        for base in ["@0", "@1", "@12", "0af7651916cd43dd8448eb211c80319c"]:
            key = keys.key(base)
            assert key.startswith(f"{base}#")
            assert keys.key(base) == key  # remembered: the same key every time
            assert assign.assignKeyToParallelOperator(
                _key_row(jvm, key), max_parallelism, parallelism) == index
