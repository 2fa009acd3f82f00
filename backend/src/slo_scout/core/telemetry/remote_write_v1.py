"""Prometheus remote_write 1.0 (``prometheus.WriteRequest``): the schema.

Rebuilt from descriptors (prometheus/prompb/remote.proto and types.proto) so the collector (which
checks and forwards requests) and the catalog job (which reads their label sets) share one
definition.
"""

from __future__ import annotations

from typing import Any

from slo_scout.core.telemetry.proto_schema import F, Schema


def _build() -> Any:
    schema = Schema("slo_scout/prometheus_remote.proto", "slo_scout.prometheus.v1")
    schema.message("Label", [("name", 1, F.TYPE_STRING, False, ""),
                             ("value", 2, F.TYPE_STRING, False, "")])
    schema.message("Sample", [("value", 1, F.TYPE_DOUBLE, False, ""),
                              ("timestamp", 2, F.TYPE_INT64, False, "")])
    # Exemplars (3) and native histograms (4) are kept on the wire as the raw bytes they are.
    schema.message("TimeSeries", [("labels", 1, F.TYPE_MESSAGE, True, "Label"),
                                  ("samples", 2, F.TYPE_MESSAGE, True, "Sample"),
                                  ("exemplars", 3, F.TYPE_BYTES, True, ""),
                                  ("histograms", 4, F.TYPE_BYTES, True, "")])
    schema.message("WriteRequest", [("timeseries", 1, F.TYPE_MESSAGE, True, "TimeSeries"),
                                    ("metadata", 3, F.TYPE_BYTES, True, "")])
    return schema.message_class("WriteRequest")


WriteRequest: Any = _build()
