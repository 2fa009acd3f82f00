"""Golden files: every output format, byte for byte, for each case under tests/golden/."""

from __future__ import annotations

import pytest
from tests.golden.regenerate import cases, render_case


@pytest.mark.parametrize("case_dir", cases(), ids=lambda p: p.name)
def test_the_bundle_matches_its_golden_files(case_dir):
    expected_dir = case_dir / "expected"
    expected = {
        str(p.relative_to(expected_dir)): p.read_text(encoding="utf-8")
        for p in sorted(expected_dir.rglob("*"))
        if p.is_file()
    }
    got = render_case(case_dir)
    assert sorted(got) == sorted(expected), "regenerate with: python -m tests.golden.regenerate"
    for path, text in got.items():
        assert text == expected[path], f"{path} differs; review the diff after regenerating"


def test_there_are_golden_cases():
    assert len(cases()) >= 2
