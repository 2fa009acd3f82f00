"""Where OpenSLO v1 SLOs find the SLI, AlertPolicy and AlertCondition documents they name.

A reference resolves first among the documents of the SLO's own text, then among the other
texts of the same run (`slo-scout generate -i DIR`, `slo-scout validate -i A -i B`): SLIs in one
file and SLOs in another work as they do in OpenSLO tooling. A name defined in several other
files is ambiguous and reported with the files; an unknown name is reported with the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from slo_scout.core.specs._fields import Fields

SUPPORT_KINDS = frozenset({"SLI", "AlertPolicy", "AlertCondition"})
Key = tuple[str, str]


def support_objects(docs: Iterable[Any]) -> dict[Key, Mapping[str, Any]]:
    """The named OpenSLO v1 SLI/AlertPolicy/AlertCondition documents among `docs`, by kind, name."""
    found: dict[Key, Mapping[str, Any]] = {}
    for doc in docs:
        if isinstance(doc, Mapping) and doc.get("apiVersion") == "openslo/v1":
            meta = doc.get("metadata")
            name = meta.get("name") if isinstance(meta, Mapping) else None
            if isinstance(name, str) and doc.get("kind") in SUPPORT_KINDS:
                found.setdefault((str(doc["kind"]), name), doc)
    return found


@dataclass(frozen=True)
class SharedObjects:
    """Support documents of every text of a run: key -> ((source, document), ...)."""

    by_key: Mapping[Key, tuple[tuple[str, Mapping[str, Any]], ...]] = field(default_factory=dict)
    sources: tuple[str, ...] = ()


def shared_objects(texts: Mapping[str, str]) -> SharedObjects:
    """Collect support documents from `{source: text}`; unreadable texts are skipped here (they
    get their own errors when read)."""
    by_key: dict[Key, list[tuple[str, Mapping[str, Any]]]] = {}
    for source, text in sorted(texts.items()):
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue
        for key, doc in support_objects(docs).items():
            by_key.setdefault(key, []).append((source, doc))
    return SharedObjects({k: tuple(v) for k, v in by_key.items()}, tuple(sorted(texts)))


@dataclass(frozen=True)
class Objects:
    """What one SLO document can refer to: its own text's documents, then the shared ones."""

    local: Mapping[Key, Mapping[str, Any]]
    shared: SharedObjects = field(default_factory=SharedObjects)

    def find(self, kind: str, name: str, fields: Fields, path: str) -> Mapping[str, Any]:
        local = self.local.get((kind, name))
        if local is not None:
            return local
        others = [(s, d) for s, d in self.shared.by_key.get((kind, name), ()) if s != fields.source]
        if len(others) == 1:
            return others[0][1]
        if others:
            files = ", ".join(s for s, _ in others)
            raise fields.error(f"{kind} {name!r} is defined in several files: {files}", path)
        others_read = set(self.shared.sources) - {fields.source}
        where = "this input or the other input files" if others_read else "this input"
        raise fields.error(f"no {kind} document named {name!r} in {where}", path)
