"""Typed access to parsed YAML with errors that name the field (`slos[1].objective`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slo_scout.core.errors import SpecError


class Fields:
    """Reads one document; every type error becomes a SpecError naming source, document, field."""

    def __init__(self, *, source: str, document: int) -> None:
        self.source = source
        self.document = document

    def error(self, message: str, field: str | None) -> SpecError:
        return SpecError(message, source=self.source, document=self.document, field=field)

    def mapping(self, obj: Any, path: str) -> Mapping[str, Any]:
        if obj is None:
            return {}
        if not isinstance(obj, Mapping):
            raise self.error(f"must be a mapping, got {type(obj).__name__}", path)
        return obj

    def sequence(self, obj: Any, path: str) -> list[Any]:
        if obj is None:
            return []
        if not isinstance(obj, list):
            raise self.error(f"must be a list, got {type(obj).__name__}", path)
        return obj

    def string(self, obj: Mapping[str, Any], key: str, path: str) -> str:
        value = obj.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(f"must be a string, got {type(value).__name__}", _join(path, key))
        return str(value)

    def number(self, obj: Mapping[str, Any], key: str, path: str) -> float:
        value = obj.get(key)
        if value is None:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"must be a number, got {value!r}", _join(path, key))
        return float(value)

    def boolean(self, obj: Mapping[str, Any], key: str, path: str) -> bool:
        value = obj.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.error(f"must be true or false, got {value!r}", _join(path, key))
        return value

    def string_map(self, obj: Mapping[str, Any], key: str, path: str) -> dict[str, str]:
        where = _join(path, key)
        value = self.mapping(obj.get(key), where)
        out: dict[str, str] = {}
        for k, v in value.items():
            if isinstance(v, bool) or not isinstance(v, str | int | float) or v is None:
                raise self.error(f"value of {k!r} must be a string", where)
            out[str(k)] = str(v)
        return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
