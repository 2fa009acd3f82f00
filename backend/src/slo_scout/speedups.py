"""The trace hot path's compiled twins: which modules have one, and whether they are current.

Decoding, assembly and fingerprinting run once per span, and the 300,000 spans a second one core
must take through them is more than CPython's interpreter gives this code.
``scripts/compile-hot-path.py`` (run by ``make``) compiles the modules in :data:`MODULES` with
mypyc into extension modules beside their sources; Python imports an extension module before
the ``.py`` of the same name. The sources stay the reference: they are plain, type-checked
Python, run unchanged where nothing was compiled (a ``pip install`` without a C compiler), and
``make test`` runs the core's tests on both.

An extension module built from older sources would shadow an edited ``.py`` silently, so the
build records a digest of what it compiled (:data:`DIGEST_FILE`); :func:`stale` compares it
with the sources on disk, and the test suite refuses to run on a stale build.

``SLO_SCOUT_PURE_PYTHON=1`` makes the package import the sources even where compiled twins
exist (:func:`use_sources`): to tell a compiler difference from a bug, and to test both.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Final

SOURCE_ROOT: Final = Path(__file__).resolve().parent.parent  # backend/src
MODULES: Final = (
    "slo_scout.core.telemetry.model",
    "slo_scout.core.telemetry._otlp_proto",
    "slo_scout.core.journeys.model",
    "slo_scout.core.journeys.skew",
    "slo_scout.core.journeys.assembly",
    "slo_scout.core.journeys.assembler",
    "slo_scout.core.journeys.templating",
    "slo_scout.core.journeys.entry",
    "slo_scout.core.journeys.fingerprint",
    "slo_scout.core.journeys.critical_path",
)
# Shared runtime library of the compiled group; inside the package so editable installs find it.
GROUP: Final = "slo_scout.core._compiled"
DIGEST_FILE: Final = SOURCE_ROOT / "slo_scout" / "core" / "_compiled.digest"


def source(module: str, root: Path = SOURCE_ROOT) -> Path:
    return root.joinpath(*module.split(".")).with_suffix(".py")


def extensions(module: str) -> list[Path]:
    """The compiled files of ``module`` present on disk (normally none or one)."""
    base = source(module).with_suffix("")
    return [
        Path(f"{base}{suffix}")
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
        if Path(f"{base}{suffix}").exists()
    ]


def digest(root: Path = SOURCE_ROOT) -> str:
    """SHA-256 over the sources and the compiler's version: what a build is current for."""
    try:
        compiler = importlib.metadata.version("mypy")
    except importlib.metadata.PackageNotFoundError:  # an image that compiled, then dropped mypy
        compiler = "absent"
    h = hashlib.sha256(compiler.encode())
    for module in MODULES:
        h.update(module.encode())
        h.update(source(module, root).read_bytes())
    return h.hexdigest()


def compiled() -> list[str]:
    """The modules that have a compiled twin on disk."""
    return [module for module in MODULES if extensions(module)]


def in_use() -> list[str]:
    """The hot modules this process runs compiled (importing them if need be)."""
    return [
        module
        for module in MODULES
        if isinstance(
            importlib.import_module(module).__loader__, importlib.machinery.ExtensionFileLoader
        )
    ]


def stale() -> list[str]:
    """Compiled modules that no longer match their sources (empty when current or not built)."""
    built = compiled()
    if not built:
        return []
    recorded = DIGEST_FILE.read_text().strip() if DIGEST_FILE.exists() else ""
    return built if recorded != digest() else []


class _SourcesFirst(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, source(fullname))


def use_sources() -> None:
    """Import the hot path from its ``.py`` sources from now on (before it is first imported)."""
    if not any(isinstance(finder, _SourcesFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourcesFirst())
