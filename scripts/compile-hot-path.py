#!/usr/bin/env python
"""Compile the trace hot path with mypyc, beside its sources (see slo_scout/speedups.py).

    python scripts/compile-hot-path.py           build, or do nothing when the build is current
    python scripts/compile-hot-path.py --clean   remove the compiled modules (pure Python again)

Idempotent: the digest of the sources and the compiler version is recorded after a build, and a
build whose digest matches is skipped. C files and objects go to .cache/mypyc, never the tree.
Needs a C compiler and the Python headers (Debian: gcc, python3-dev; pyenv builds ship them).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from slo_scout import speedups

BUILD = Path(__file__).resolve().parent.parent / ".cache" / "mypyc"


def clean() -> None:
    group = speedups.SOURCE_ROOT.joinpath(*speedups.GROUP.split("."))
    for path in [p for m in speedups.MODULES for p in speedups.extensions(m)] + [
        Path(f"{group}{suffix}") for suffix in (".so", *_suffixes())
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
    current = speedups.DIGEST_FILE.exists() and speedups.DIGEST_FILE.read_text().strip() == wanted
    if current and len(speedups.compiled()) == len(speedups.MODULES):
        print("hot path: compiled build is current")
        return
    clean()
    paths = [str(speedups.source(m).relative_to(speedups.SOURCE_ROOT)) for m in speedups.MODULES]
    print(f"hot path: compiling {len(paths)} modules with mypyc (about a minute)...", flush=True)
    with contextlib.chdir(speedups.SOURCE_ROOT):
        extensions = mypycify(
            paths, opt_level="3", group_name=speedups.GROUP, target_dir=str(BUILD / "c")
        )
        setup(
            name="slo-scout-hot-path",
            ext_modules=extensions,
            script_args=[
                "--quiet", "build_ext", "--inplace",
                "--build-temp", str(BUILD / "temp"), "--build-lib", str(BUILD / "lib"),
            ],
        )
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
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
