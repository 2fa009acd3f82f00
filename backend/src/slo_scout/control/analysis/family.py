"""Which metric family an analysis writes its SLIs for: configured, detected, or the default.

Detection reads a Prometheus-compatible server when one is named, else the environment's metric
catalog (what the streaming catalog job recorded, :mod:`.metric_catalog`).

Detection asks a Prometheus-compatible server's ``/api/v1/metadata`` and hands the body to the
core's :func:`detect_family`. Prometheus lists metadata only for targets it scrapes now, so a
server fed by remote_write, by backfilled blocks or by a federation answers with an empty map;
then the metric names from ``/api/v1/label/__name__/values`` stand in, typed by their suffixes
(``_bucket`` marks a histogram's base name, ``_total`` a counter), which is all the core reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.analysis.metric_catalog import (
    CatalogMetric,
    metadata_of,
    metrics_of_environment,
)
from slo_scout.control.analysis.upstream import redact_url, split_credentials
from slo_scout.core.slis import FAMILIES, FamilyKind, MetricFamily, detect_family
from slo_scout.sources.endpoint import TENANT_HEADER

CONFIGURED = "configured"
FROM_METADATA = "detected from metadata"
FROM_NAMES = "detected from metric names"
FROM_CATALOG = "detected from the metric catalog"
DEFAULT = "default"
# Who chose the family, in one word per way (the result's ``metric_family_chosen_by``).
CHOSEN_BY = {CONFIGURED: "configured", FROM_METADATA: "prometheus", FROM_NAMES: "prometheus",
             FROM_CATALOG: "metric catalog", DEFAULT: "default"}
DEFAULT_KIND = FamilyKind.SPANMETRICS

METADATA_PATH = "/api/v1/metadata"
NAMES_PATH = "/api/v1/label/__name__/values"


class DetectionError(Exception):
    """The server named for detection could not be asked (unreachable, or not Prometheus)."""


@dataclass(frozen=True, slots=True)
class FamilyChoice:
    family: MetricFamily
    source: str  # CONFIGURED, FROM_METADATA, FROM_NAMES, FROM_CATALOG or DEFAULT

    @property
    def chosen_by(self) -> str:
        """configured, prometheus, metric catalog or default."""
        return CHOSEN_BY[self.source]

    def summary(self) -> dict[str, str]:
        return {
            "metric_family": self.family.kind.value,
            "metric_family_source": self.source,
            "metric_family_chosen_by": self.chosen_by,
            "metric_family_histogram": self.family.histogram,
        }


def configured(kind: str | None) -> FamilyChoice | None:
    return FamilyChoice(FAMILIES[FamilyKind(kind)], CONFIGURED) if kind else None


def default() -> FamilyChoice:
    return FamilyChoice(FAMILIES[DEFAULT_KIND], DEFAULT)


def metadata_from_names(names: Iterable[str]) -> dict[str, list[dict[str, str]]]:
    """A metadata ``data`` map typed from the suffixes of bare metric names."""
    data: dict[str, list[dict[str, str]]] = {}
    for name in sorted(set(names)):
        if name.endswith("_bucket"):
            data[name.removesuffix("_bucket")] = [{"type": "histogram", "help": "", "unit": ""}]
        elif name.endswith("_total"):
            data[name] = [{"type": "counter", "help": "", "unit": ""}]
    return data


def choose(metadata: Mapping[str, Any], names: Iterable[str] | None) -> FamilyChoice:
    """The family the server's metadata (else its metric names) shows, else the default."""
    found = detect_family(metadata) if metadata.get("data") else None
    if found is not None:
        return FamilyChoice(found, FROM_METADATA)
    if names is not None:
        found = detect_family(metadata_from_names(names))
        if found is not None:
            return FamilyChoice(found, FROM_NAMES)
    return default()


async def family_for_environment(
    session: AsyncSession, environment_id: int, *, configured_kind: str | None,
    prometheus_url: bool,  # whether a server is configured (its URL is a secret)
) -> FamilyChoice:
    """The family an environment's SLIs are written for when no server is asked: the
    configured one; else, with no Prometheus to ask, what its metric catalog shows; else the
    default."""
    chosen = configured(configured_kind)
    if chosen is not None:
        return chosen
    if prometheus_url:
        return default()
    return choose_from_catalog(await metrics_of_environment(session, environment_id))


def choose_from_catalog(metrics: Iterable[CatalogMetric]) -> FamilyChoice:
    """The family the environment's metric catalog shows, else the default."""
    found = detect_family(metadata_of(metrics))
    return FamilyChoice(found, FROM_CATALOG) if found is not None else default()


def _body(response: httpx.Response, path: str) -> dict[str, Any]:
    url = redact_url(response.request.url.copy_with(query=None))
    if response.status_code != 200:
        raise DetectionError(f"{url} answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise DetectionError(f"{url} did not answer JSON: is it a Prometheus API?") from None
    if not isinstance(body, dict) or body.get("status") != "success":
        raise DetectionError(f"{url} did not answer a Prometheus API success body")
    return body


def _names(body: Mapping[str, Any]) -> list[str]:
    data = body.get("data")
    return [n for n in data if isinstance(n, str)] if isinstance(data, list) else []


def _unreachable(base_url: httpx.URL, error: httpx.HTTPError) -> DetectionError:
    # The class only: httpx messages may quote the URL, and the URL may hold credentials.
    return DetectionError(f"cannot reach Prometheus at {redact_url(base_url)}: "
                          f"{type(error).__name__}")


async def detect(client: httpx.AsyncClient) -> FamilyChoice:
    """Ask the server behind ``client`` (its ``base_url`` is the server's root)."""
    try:
        metadata = _body(await client.get(METADATA_PATH), METADATA_PATH)
        if metadata.get("data"):
            chosen = choose(metadata, None)
            if chosen.source != DEFAULT:
                return chosen
        names = _body(await client.get(NAMES_PATH), NAMES_PATH)
    except httpx.HTTPError as error:
        raise _unreachable(client.base_url, error) from None
    return choose(metadata, _names(names))


def detect_sync(url: str, *, timeout_s: float = 10.0, tenant: str | None = None,
                bearer_token: str | None = None) -> FamilyChoice:
    """:func:`detect` for the command line, with its own short-lived client."""
    bare, auth = split_credentials(url.rstrip("/"))
    headers = {TENANT_HEADER: tenant} if tenant else {}
    if bearer_token:
        headers["Authorization"] = f"Bearer {bearer_token}"
    with httpx.Client(base_url=bare, auth=auth, timeout=timeout_s, headers=headers) as client:
        try:
            metadata = _body(client.get(METADATA_PATH), METADATA_PATH)
            if metadata.get("data"):
                chosen = choose(metadata, None)
                if chosen.source != DEFAULT:
                    return chosen
            names = _body(client.get(NAMES_PATH), NAMES_PATH)
        except httpx.HTTPError as error:
            raise _unreachable(client.base_url, error) from None
    return choose(metadata, _names(names))
