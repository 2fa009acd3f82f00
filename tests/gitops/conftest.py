from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slo_scout.cli.main import app
from slo_scout.core.delivery.layout import service_of, services_in


@pytest.fixture(scope="session")
def shop_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real bundle: the simulated shop through `slo-scout analyze --out`."""
    folder = tmp_path_factory.mktemp("bundle")
    traffic = folder / "shop.otlp.json"
    runner = CliRunner()
    for args in (["simulate", "--out", str(traffic), "--traces", "3000", "--seed", "3"],
                 ["analyze", str(traffic), "--out", str(folder / "out")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    # the front end's files only: one branch and one pull request per test (how a bundle of
    # several services splits is tests/core/delivery's)
    out = folder / "out"
    for path in sorted(out.rglob("*"), reverse=True):
        relative = path.relative_to(out).as_posix()
        found = service_of(relative, services_in({relative: ""} | _all(out)))
        if path.is_file() and found is not None and found[1] != "frontend":
            path.unlink()
    return out


def _all(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): "" for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def bundle(shop_bundle: Path, tmp_path: Path) -> Path:
    """A copy a test may edit."""
    return Path(shutil.copytree(shop_bundle, tmp_path / "bundle"))


def raise_objective(bundle: Path) -> tuple[str, float, float]:
    """Raises the first SLO's objective by one point in the Sloth spec and the OpenSLO target,
    as a reviewer's edit does: (its name, the old objective, the new)."""
    spec = bundle / "sloth" / "frontend.yaml"
    text = spec.read_text()
    found = re.search(r"- name: (\S+)\n  objective: ([\d.]+)\n", text)
    assert found is not None
    name, old = found.group(1), float(found.group(2))
    new = old + 1
    spec.write_text(text.replace(found.group(0), f"- name: {name}\n  objective: {new}\n", 1))
    openslo = bundle / "openslo" / "frontend.yaml"
    docs = openslo.read_text()
    at = docs.index(f"  name: {name}\n")
    target = docs.index(f"target: {old / 100:g}\n", at)
    openslo.write_text(docs[:target] + f"target: {new / 100:g}\n"
                       + docs[target + len(f"target: {old / 100:g}\n"):])
    return name, old, new
