"""The worker's small HTTP endpoint: ``/healthz`` (liveness), ``/readyz`` (readiness) and
``/metrics`` (Prometheus text format).

It runs in a thread of its own rather than on the worker's event loop, so a job that keeps the
loop busy for a while does not fail the probes; whether the loop itself is stuck is what
``/healthz`` reports, from the loop's own beats (see ``WorkerMetrics``).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from slo_scout.worker.metrics import WorkerMetrics


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], metrics: WorkerMetrics) -> None:
        super().__init__(address, _Handler)
        self.metrics = metrics


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        metrics = self.server.metrics
        if path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, generate_latest(metrics.registry))
        elif path in ("/healthz", "/readyz"):
            ok, reason = metrics.liveness() if path == "/healthz" else metrics.readiness()
            body = json.dumps({"status": "ok" if ok else "unavailable", "detail": reason})
            self._send(200 if ok else 503, "application/json", body.encode())
        else:
            self._send(404, "application/json", b'{"status": "not found"}')

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # Probes and scrapes every few seconds would drown the worker's own log.
        return


class MetricsEndpoint:
    """Serves a worker's probes and metrics on ``host:port`` (port 0: any free port)."""

    def __init__(self, metrics: WorkerMetrics, host: str, port: int) -> None:
        self._server = _Server((host, port), metrics)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="worker-metrics", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> MetricsEndpoint:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
