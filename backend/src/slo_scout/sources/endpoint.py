"""One upstream server (Tempo, Jaeger, Loki, Prometheus, Mimir, VictoriaMetrics) as a secret.

A URL may carry credentials (``http://user:password@host``, or a token in the query), and an
upstream's answer may echo what it was sent (an Authorization header). So the credentials are
taken out of the URL before any client holds it, every URL that reaches a message is redacted,
and upstream bodies never reach an error a user or a log reads: only the status code does.

The URL's path is the API's prefix: Mimir serves Prometheus's API under ``/prometheus``,
VictoriaMetrics cluster under ``/select/<tenant>/prometheus``, a Tempo behind a gateway under
whatever the gateway adds; requests append ``/api/...`` to it.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import SplitResult, unquote, urlsplit

import httpx

REDACTED = "***"
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")
# Mimir, Loki, Tempo and Cortex read the tenant from this header (multi-tenant mode).
TENANT_HEADER = "X-Scope-OrgID"


def redact_url(url: str | httpx.URL) -> str:
    """``url`` with its userinfo and query values replaced by ``***``: safe to show."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{REDACTED}@" if parts.username or parts.password else "") + host
    if parts.port is not None:
        netloc += f":{parts.port}"
    query = "&".join(f"{pair.split('=', 1)[0]}={REDACTED}" if "=" in pair else pair
                     for pair in parts.query.split("&")) if parts.query else ""
    return SplitResult(parts.scheme, netloc, parts.path, query, "").geturl()


def redact_text(text: str) -> str:
    """Any ``scheme://user:password@`` in free text (an exception's message) as ``***@``."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)


def split_credentials(url: str) -> tuple[str, httpx.BasicAuth | None]:
    """The URL without its userinfo, and that userinfo as basic auth for the client."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    netloc = parts.netloc.rsplit("@", 1)[1]
    bare = SplitResult(parts.scheme, netloc, parts.path, parts.query, parts.fragment).geturl()
    return bare, httpx.BasicAuth(unquote(parts.username or ""), unquote(parts.password or ""))


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a source is and how to speak to it.

    ``url``: base URL with the API's path prefix, userinfo as basic auth. ``tenant``: sent as
    ``X-Scope-OrgID``. ``bearer_token``: ``Authorization: Bearer``; ``username``/``password``:
    basic auth (the URL's userinfo otherwise). ``ca_file``: a CA bundle to trust;
    ``verify=False`` trusts any certificate (a lab only); ``client_cert``/``client_key``: mTLS.
    """

    url: str
    tenant: str | None = None
    bearer_token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    verify: bool = True
    client_cert: str | None = None
    client_key: str | None = None
    timeout_s: float = 30.0
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def where(self) -> str:
        """The URL as messages may show it."""
        return redact_url(self.url.rstrip("/"))

    def client(self, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
        bare, auth = split_credentials(self.url.rstrip("/"))
        if self.username is not None or self.password is not None:
            auth = httpx.BasicAuth(self.username or "", self.password or "")
        headers = dict(self.headers)
        if self.tenant:
            headers[TENANT_HEADER] = self.tenant
        if self.bearer_token:
            headers["Authorization"] = f"Bearer {self.bearer_token}"
            auth = None
        return httpx.AsyncClient(
            base_url=bare, headers=headers, auth=auth, timeout=self.timeout_s,
            verify=self._tls(), transport=transport,
        )

    def _tls(self) -> ssl.SSLContext | bool:
        if not self.verify:
            return False
        if not (self.ca_file or self.client_cert):
            return True
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.client_cert:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context
