"""Spec files are read within bounds, each refusal one SpecError naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from slo_scout.cli._specs_io import MAX_ALIASES, MAX_DEPTH, read_spec
from slo_scout.core.errors import SpecError


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "holds no YAML document"),
    (b"---\n# only comments\n...\n", "holds no YAML document"),
    (b"a: 1\x00\n", "binary file"),
    ("a: caf\xe9\n".encode("latin-1"), "not UTF-8 text: byte 0xe9 at offset 6"),
    (b"a: " + b"{b: " * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), "deeper than 64"),
    (b"x: &x [1]\n" + b"".join(b"y%d: *x\n" % i for i in range(MAX_ALIASES + 1)),
     "more than 32 YAML aliases"),
    (b"a: " + b"x" * 300_000, "over the 262144-byte limit"),
])
def test_each_hostile_spec_is_one_spec_error_naming_the_file(
    tmp_path: Path, data: bytes, reason: str,
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(data)
    with pytest.raises(SpecError) as refused:
        read_spec(path)
    assert refused.value.source == str(path) and reason in refused.value.message


def test_an_honest_spec_with_a_few_aliases_and_a_syntax_error_pass_through(tmp_path: Path) -> None:
    honest = tmp_path / "ok.yaml"
    honest.write_text("labels: &l {team: a}\nslos:\n  - labels: *l\n")
    assert read_spec(honest).startswith("labels:")
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1, 2\n")  # the spec parser reports it, with its line
    assert read_spec(broken) == "a: [1, 2\n"
