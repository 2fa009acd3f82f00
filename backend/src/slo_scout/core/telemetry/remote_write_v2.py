"""Prometheus remote_write 2.0 (``io.prometheus.write.v2.Request``): the schema and what it says.

The schema (prometheus/prompb/io/prometheus/write/v2/types.proto) is rebuilt from descriptors in
a private pool, so neither generated code nor protoc is needed and the collector (which checks
and forwards requests) and the catalog job (which reads them) share one definition.

:func:`series_metrics` turns a parsed request into the metrics it holds: name, type and label
names, never the samples. 2.0 carries each series' type; where it is unspecified the type is
inferred from the name exactly as for remote_write 1.0, which carries none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError as ProtoDecodeError

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry.proto_schema import F as _F
from slo_scout.core.telemetry.proto_schema import Schema

# Values of the ``format`` header the collector puts on each record of the metrics topic.
FORMAT_V1 = "prometheus.remote_write.v1"
FORMAT_V2 = "prometheus.remote_write.v2"
# The protobuf messages a remote_write request may name in ``Content-Type: ...;proto=``.
V1_MESSAGE = "prometheus.WriteRequest"
V2_MESSAGE = "io.prometheus.write.v2.Request"

_PACKAGE = "io.prometheus.write.v2"

# Metadata.MetricType, named as the Prometheus metadata API names types (what detect_family
# reads). 0 (unspecified) is absent: it falls back to the name.
METRIC_TYPES = {1: "counter", 2: "gauge", 3: "histogram", 4: "gaugehistogram", 5: "summary",
                6: "info", 7: "stateset"}
# Series of one family that Prometheus sends under suffixed names, all with the family's type.
_FAMILY_SUFFIXES = {"histogram": (("_bucket", "le"), ("_sum", ""), ("_count", "")),
                    "gaugehistogram": (("_bucket", "le"), ("_gsum", ""), ("_gcount", "")),
                    "summary": (("_sum", ""), ("_count", ""))}


def _build() -> Any:
    schema = Schema("io/prometheus/write/v2/types.proto", _PACKAGE)
    message = schema.message
    message("Request", [("symbols", 4, _F.TYPE_STRING, True, ""),
                        ("timeseries", 5, _F.TYPE_MESSAGE, True, "TimeSeries")])
    message("TimeSeries", [("labels_refs", 1, _F.TYPE_UINT32, True, ""),
                           ("samples", 2, _F.TYPE_MESSAGE, True, "Sample"),
                           ("histograms", 3, _F.TYPE_MESSAGE, True, "Histogram"),
                           ("exemplars", 4, _F.TYPE_MESSAGE, True, "Exemplar"),
                           ("metadata", 5, _F.TYPE_MESSAGE, False, "Metadata"),
                           ("created_timestamp", 6, _F.TYPE_INT64, False, "")])
    message("Exemplar", [("labels_refs", 1, _F.TYPE_UINT32, True, ""),
                         ("value", 2, _F.TYPE_DOUBLE, False, ""),
                         ("timestamp", 3, _F.TYPE_INT64, False, "")])
    message("Sample", [("value", 1, _F.TYPE_DOUBLE, False, ""),
                       ("timestamp", 2, _F.TYPE_INT64, False, "")])
    # The type enum is read as a plain integer (wire-identical): unknown values stay readable.
    message("Metadata", [("type", 1, _F.TYPE_UINT32, False, ""),
                         ("help_ref", 3, _F.TYPE_UINT32, False, ""),
                         ("unit_ref", 4, _F.TYPE_UINT32, False, "")])
    message("BucketSpan", [("offset", 1, _F.TYPE_SINT32, False, ""),
                           ("length", 2, _F.TYPE_UINT32, False, "")])
    message("Histogram", [("count_int", 1, _F.TYPE_UINT64, False, "", 0),
                          ("count_float", 2, _F.TYPE_DOUBLE, False, "", 0),
                          ("sum", 3, _F.TYPE_DOUBLE, False, ""),
                          ("schema", 4, _F.TYPE_SINT32, False, ""),
                          ("zero_threshold", 5, _F.TYPE_DOUBLE, False, ""),
                          ("zero_count_int", 6, _F.TYPE_UINT64, False, "", 1),
                          ("zero_count_float", 7, _F.TYPE_DOUBLE, False, "", 1),
                          ("negative_spans", 8, _F.TYPE_MESSAGE, True, "BucketSpan"),
                          ("negative_deltas", 9, _F.TYPE_SINT64, True, ""),
                          ("negative_counts", 10, _F.TYPE_DOUBLE, True, ""),
                          ("positive_spans", 11, _F.TYPE_MESSAGE, True, "BucketSpan"),
                          ("positive_deltas", 12, _F.TYPE_SINT64, True, ""),
                          ("positive_counts", 13, _F.TYPE_DOUBLE, True, ""),
                          ("reset_hint", 14, _F.TYPE_UINT32, False, ""),
                          ("timestamp", 15, _F.TYPE_INT64, False, ""),
                          ("custom_values", 16, _F.TYPE_DOUBLE, True, "")],
            oneofs=("count", "zero_count"))
    return schema.message_class("Request")


Request: Any = _build()


@dataclass(frozen=True, slots=True, order=True)
class SeriesMetric:
    """One metric a request holds: its family name, type and sorted label names."""

    metric: str
    metric_type: str  # a METRIC_TYPES value, or "unknown"
    label_keys: tuple[str, ...]


def infer_from_name(name: str, label_keys: Iterable[str]) -> SeriesMetric:
    """A metric whose sender gave no type: ``_bucket`` with ``le`` is a histogram under its base
    name, ``_total`` a counter, the rest unknown. ``__name__`` is never a label key."""
    keys = set(label_keys) - {"__name__"}
    if name.endswith("_bucket") and "le" in keys:
        return SeriesMetric(name[: -len("_bucket")], "histogram", tuple(sorted(keys - {"le"})))
    return SeriesMetric(name, "counter" if name.endswith("_total") else "unknown",
                        tuple(sorted(keys)))


def _typed(name: str, kind: str, keys: set[str]) -> SeriesMetric:
    # A classic histogram or summary arrives as several series (foo_bucket, foo_sum, foo_count,
    # foo{quantile}) that all carry the family's type: they are one metric, foo.
    keys = keys - {"__name__"}
    if kind == "summary":
        keys.discard("quantile")
    for suffix, bucket_label in _FAMILY_SUFFIXES.get(kind, ()):
        if name.endswith(suffix) and len(name) > len(suffix):
            if bucket_label:
                if bucket_label not in keys:
                    continue
                keys.discard(bucket_label)
            name = name[: -len(suffix)]
            break
    return SeriesMetric(name, kind, tuple(sorted(keys)))


def parse_request(payload: bytes, source: str = "remote_write") -> Any:
    """An uncompressed ``io.prometheus.write.v2.Request``; raises :class:`DecodeError`."""
    request = Request()
    try:
        request.ParseFromString(payload)
    except ProtoDecodeError as exc:
        raise DecodeError(f"not an {V2_MESSAGE}: {exc}", source=source) from exc
    return request


def series_metrics(request: Any, source: str = "remote_write") -> list[SeriesMetric]:
    """The distinct metrics of a parsed request, sorted. Series without a ``__name__`` are
    skipped; a label reference outside the symbols table raises :class:`DecodeError` naming the
    series, since the request cannot then be read at all."""
    symbols = list(request.symbols)
    found: set[SeriesMetric] = set()
    for i, series in enumerate(request.timeseries):
        refs = list(series.labels_refs)
        if len(refs) % 2:
            raise DecodeError(f"odd length {len(refs)}: refs go in name/value pairs",
                              source=source, record=i, field="labels_refs")
        bad = next((ref for ref in refs if ref >= len(symbols)), None)
        if bad is not None:
            raise DecodeError(f"{bad} is outside the {len(symbols)} symbols", source=source,
                              record=i, field="labels_refs")
        labels = {symbols[refs[j]]: symbols[refs[j + 1]] for j in range(0, len(refs), 2)}
        name = labels.get("__name__", "")
        if not name:
            continue
        kind = METRIC_TYPES.get(series.metadata.type)
        found.add(infer_from_name(name, labels) if kind is None else _typed(name, kind,
                                                                            set(labels)))
    return sorted(found)
