"""What must hold before anything is pushed: every rule file passes ``promtool check rules`` and
every spec passes the validation ``slo-scout validate`` runs."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from slo_scout.core.errors import SloScoutError
from slo_scout.core.rules import DEFAULT_WINDOWS, GenerateOptions, WindowsCatalog
from slo_scout.core.rules.files import generate_text
from slo_scout.core.specs.openslo_v1_objects import shared_objects

_SPECS = ("/sloth/", "/openslo/", "/pyrra/", "/kubernetes/sloth/")
_THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000


class ChecksFailed(SloScoutError):
    hint = "fix the bundle (regenerate it) before delivering"


def check(files: Mapping[str, str], *, promtool: str | None = None) -> None:
    """Raises ChecksFailed naming each file that fails and why."""
    problems = _spec_problems(files) + _rule_problems(files, promtool)
    if problems:
        raise ChecksFailed("nothing was pushed: " + "; ".join(problems))


def _spec_problems(files: Mapping[str, str]) -> list[str]:
    specs = {path: text for path, text in files.items()
             if any(part in f"/{path}" for part in _SPECS)}
    shared = shared_objects(specs) if len(specs) > 1 else None
    catalog = WindowsCatalog(DEFAULT_WINDOWS)
    problems = []
    for path, text in sorted(specs.items()):
        outcome = generate_text(text, source=path, period_ms=_THIRTY_DAYS_MS, catalog=catalog,
                                options=GenerateOptions(version="delivery-check"),
                                allow_pyrra=True, shared=shared)
        problems.extend(f"{path}: {error.message}" for error in outcome.errors)
    return problems


def _rule_groups(path: str, text: str) -> str:
    """The text promtool reads: a rule file as it is, a PrometheusRule's ``spec``."""
    if "/kubernetes/rules/" not in f"/{path}":
        return text
    document = yaml.safe_load(text) or {}
    return yaml.safe_dump(document.get("spec") or {}, sort_keys=False)


def _rule_problems(files: Mapping[str, str], promtool: str | None) -> list[str]:
    rules = {path: text for path, text in files.items()
             if "/rules/" in f"/{path}" and path.endswith(".yaml")}
    if not rules:
        return []
    binary = promtool or shutil.which("promtool")
    if binary is None:
        return ["promtool is not installed (Debian: `apt install prometheus`); rule files "
                "are never delivered unchecked"]
    problems = []
    with tempfile.TemporaryDirectory(prefix="slo-scout-check-") as folder:
        for index, (path, text) in enumerate(sorted(rules.items())):
            copy = Path(folder) / f"{index}.yaml"
            copy.write_text(_rule_groups(path, text))
            result = subprocess.run([binary, "check", "rules", str(copy)], capture_output=True,
                                    text=True, timeout=60, check=False)
            if result.returncode != 0:
                detail = (result.stderr or result.stdout).replace(str(copy), path).strip()
                problems.append(f"{path}: promtool check rules failed: {detail}")
    return problems
