"""Regenerate the golden files: ``python -m tests.golden.regenerate`` (``make golden``).

Each case is ``tests/golden/<case>/input/case.json``; its bundle is written to ``expected/``
(old files removed first) so the change shows up as a reviewable diff.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from tests.golden.journeys import journeys_from_case

from slo_scout.core.artifacts import render_bundle
from slo_scout.core.recommend import Strategy, recommend_journey
from slo_scout.core.slis import FAMILIES, FamilyKind

HERE = Path(__file__).parent
VERSION = "golden"


def cases() -> list[Path]:
    return sorted(p.parent.parent for p in HERE.glob("*/input/case.json"))


def render_case(case_dir: Path) -> dict[str, str]:
    case = json.loads((case_dir / "input" / "case.json").read_text())
    family = FAMILIES[FamilyKind(case["family"])]
    strategy = Strategy(case["strategy"])
    journeys = journeys_from_case(case)
    recs = [
        r
        for j in journeys
        for r in recommend_journey(j, family, strategy=strategy, now_s=int(case["now"]))
    ]
    return render_bundle(
        journeys,
        recs,
        family=family,
        strategy=strategy,
        now=datetime.fromtimestamp(int(case["now"]), UTC),
        version=VERSION,
        window=case.get("window", "rolling"),
    )


def main() -> None:
    for case_dir in cases():
        expected = case_dir / "expected"
        shutil.rmtree(expected, ignore_errors=True)
        for rel, text in render_case(case_dir).items():
            target = expected / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        print(f"{case_dir.name}: {sum(1 for p in expected.rglob('*') if p.is_file())} files")


if __name__ == "__main__":
    main()
