"""Prints exact-pinned requirements taken from pyproject.toml, so images and the project share
one list of versions.

    python pins.py pyproject.toml --extra streaming --only aiokafka,grpcio
    python pins.py pyproject.toml --extra streaming --exclude milvus-lite

Exits non-zero, naming the package, when a requirement is not pinned with ``==`` or a package
named by ``--only`` or ``--exclude`` is not in the extra: an image build then stops instead of
floating, or of carrying a package an outdated exclusion no longer keeps out.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def select(pyproject: dict, extra: str, only: list[str], exclude: list[str]) -> list[str]:
    requirements = pyproject["project"]["optional-dependencies"][extra]
    by_name: dict[str, str] = {}
    for requirement in requirements:
        match = _NAME.match(requirement)
        if match is None or "==" not in requirement:
            raise SystemExit(f"pyproject.toml extra {extra!r}: {requirement!r} is not pinned (==)")
        by_name[_canonical(match.group(1))] = requirement
    missing = [name for name in [*only, *exclude] if _canonical(name) not in by_name]
    if missing:
        raise SystemExit(f"pyproject.toml extra {extra!r} has no {', '.join(missing)}")
    if only:
        return [by_name[_canonical(name)] for name in only]
    dropped = {_canonical(name) for name in exclude}
    return [req for name, req in by_name.items() if name not in dropped]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject")
    parser.add_argument("--extra", required=True)
    parser.add_argument("--only", default="")
    parser.add_argument("--exclude", default="")
    args = parser.parse_args(argv)
    with open(args.pyproject, "rb") as handle:
        pyproject = tomllib.load(handle)
    split = lambda text: [part for part in text.split(",") if part]  # noqa: E731
    for requirement in select(pyproject, args.extra, split(args.only), split(args.exclude)):
        print(requirement)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
