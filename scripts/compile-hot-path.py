#!/usr/bin/env python
"""Compile the trace hot path with mypyc, beside its sources (see slo_scout/speedups.py).

    python scripts/compile-hot-path.py           build, or do nothing when the build is current
    python scripts/compile-hot-path.py --clean   remove the compiled modules (pure Python again)

Idempotent: the digest of the sources and the compiler version is recorded after a build, and a
build whose digest matches is skipped. The package is compiled in a copy under .cache/mypyc
(with the C files, objects and mypy's cache) and only the extension modules are put beside
the sources. The mypy options are this repository's pyproject.toml, also when compiling an
installed tree (an image runs this script against site-packages).
Needs a C compiler and the Python headers (Debian: gcc, python3-dev; pyenv builds ship them).
Without them, or when the build fails, it says why and exits 0: the product then runs its Python
sources, and `make test` reports the missing build (tests/test_speedups.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import sys
import sysconfig
from pathlib import Path

from slo_scout import speedups

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".cache" / "mypyc"
# Named, not found by walking up from the sources: an installed tree (an image's site-packages)
# has no pyproject.toml above it, and the build must type the code as `make` does.
CONFIG = ROOT / "pyproject.toml"


def clean() -> None:
    group = speedups.SOURCE_ROOT.joinpath(*speedups.GROUP.split("."))
    for path in [p for m in speedups.MODULES for p in speedups.extensions(m)] + [
        # mypyc names the group's shared library <group>__mypyc<suffix>.
        Path(f"{group}{tail}{suffix}") for tail in ("", "__mypyc") for suffix in _suffixes()
    ]:
        path.unlink(missing_ok=True)
    speedups.DIGEST_FILE.unlink(missing_ok=True)


def _suffixes() -> list[str]:
    import importlib.machinery

    return list(importlib.machinery.EXTENSION_SUFFIXES)


def build() -> None:
    # Heavy imports only when building: setuptools and mypyc are not needed to check or clean.
    from mypyc.build import mypycify
    from setuptools import setup

    wanted = speedups.digest()
    clean()
    paths = [str(speedups.source(m).relative_to(speedups.SOURCE_ROOT)) for m in speedups.MODULES]
    print(f"hot path: compiling {len(paths)} modules with mypyc (under a minute)...", flush=True)
    # Compiled in a copy of the package alone: mypy takes the sources' root for project code, and
    # in an installed tree that root is site-packages, whose every distribution would then be
    # typed as ours (a top-level typing_extensions.py there even stops the build).
    stage = BUILD / "src"
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(speedups.SOURCE_ROOT / "slo_scout", stage / "slo_scout",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.digest"))
    with contextlib.chdir(stage):
        extensions = mypycify(
            ["--config-file", str(CONFIG), *paths],
            opt_level="3", group_name=speedups.GROUP, target_dir=str(BUILD / "c"),
        )
        setup(
            name="slo-scout-hot-path",
            ext_modules=extensions,
            script_args=[
                "--quiet", "build_ext", "--inplace",
                "--build-temp", str(BUILD / "temp"), "--build-lib", str(BUILD / "lib"),
            ],
        )
    for built in sorted({p for suffix in _suffixes() for p in stage.rglob(f"*{suffix}")}):
        shutil.copy2(built, speedups.SOURCE_ROOT / built.relative_to(stage))
    speedups.DIGEST_FILE.write_text(wanted + "\n")
    print(f"hot path: compiled {len(speedups.compiled())} modules")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules")
    args = parser.parse_args()
    if args.clean:
        clean()
        print("hot path: compiled modules removed; the pure Python sources run")
        return 0
    os.environ.setdefault("MYPYC_OPT_LEVEL", "3")
    # mypy's cache would otherwise land beside the sources, inside an image's site-packages.
    os.environ.setdefault("MYPY_CACHE_DIR", str(BUILD / "mypy"))
    if _current():
        print("hot path: compiled build is current")
        return 0
    compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")[0]
    if shutil.which(compiler) is None:
        clean()  # an older build must not shadow newer sources
        return _skipped(f"no C compiler ({compiler}) on PATH")
    try:
        build()
    except (Exception, SystemExit) as exc:  # setuptools reports a failed build as SystemExit
        clean()
        return _skipped(f"the build failed ({exc})")
    return 0


def _current() -> bool:
    return speedups.compiled() == list(speedups.MODULES) and not speedups.stale()


def _skipped(why: str) -> int:
    print(f"hot path: not compiled: {why}; the Python sources run instead, about a third "
          "slower (docs/architecture.md, 'The hot path and its compiled twins')", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
