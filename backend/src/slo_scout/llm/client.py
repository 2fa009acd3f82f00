"""Structured answers from a model, or None: every failure falls back to the deterministic path.

The official SDKs do the wire work (OpenAI ``chat.completions.parse`` and Anthropic
``messages.parse``, both with a pydantic model as the JSON schema; their own retries with
backoff honour ``Retry-After``). Around them: answers cached on disk by (provider, model,
schema, prompt) digest, so re-analysing unchanged journeys makes no call; a breaker that stops
calling after consecutive failures; a token budget per run. The SDKs load only here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from slo_scout.settings import LlmSettings

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
MAX_OUTPUT_TOKENS = 2048
# Calls in flight per process, shared by every analysis (the worker may run several, the API
# with an embedded worker too): a provider's rate limit is per key, not per analysis.
_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def _slots(limit: int) -> threading.BoundedSemaphore:
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(limit, threading.BoundedSemaphore(limit))


@dataclass
class Usage:
    """What a run asked of the model: shown in results, summaries and metrics."""

    provider: str = "none"
    model: str | None = None
    calls: int = 0
    tokens: int = 0
    cache_hits: int = 0
    failures: int = 0
    rejected: list[str] = field(default_factory=list)  # answers or parts the guards refused
    fallback: str | None = None  # why (part of) the run was deterministic
    explained: int = 0  # recommendations whose rationale the model wrote (guarded)
    drafted: int = 0  # provisional targets the model picked among the options

    def as_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "calls": self.calls,
                "tokens": self.tokens, "cache_hits": self.cache_hits,
                "failures": self.failures, "rejected": list(self.rejected),
                "fallback": self.fallback, "explained": self.explained,
                "drafted": self.drafted}


class ModelClient:
    """One run's client (an analysis): its usage, breaker and budget are the run's."""

    def __init__(self, settings: LlmSettings, *, cache_dir: Path | None) -> None:
        self.settings = settings
        self.usage = Usage(provider=settings.provider, model=settings.model)
        self._cache_dir = cache_dir
        self._consecutive_failures = 0
        self._sdk: Any = None

    @property
    def enabled(self) -> bool:
        return self.settings.provider != "none"

    def _key(self) -> str | None:
        if self.settings.api_key is not None:
            return self.settings.api_key.get_secret_value()
        return os.environ.get(KEY_VARIABLES.get(self.settings.provider, ""))

    def structured(self, schema: type[M], system: str, user: str) -> M | None:
        if not self.enabled:
            self.usage.fallback = "no model configured (SLO_SCOUT_LLM__PROVIDER)"
            return None
        digest = hashlib.sha256(json.dumps(
            [self.settings.provider, self.settings.model, schema.__name__,
             schema.model_json_schema(), system, user], sort_keys=True).encode()).hexdigest()
        cached = self._cached(schema, digest)
        if cached is not None:
            self.usage.cache_hits += 1
            return cached
        if self._consecutive_failures >= self.settings.failures_before_open:
            self.usage.fallback = (f"{self._consecutive_failures} calls failed in a row; no "
                                   "more calls this run")
            return None
        if self.usage.tokens >= self.settings.token_budget:
            self.usage.fallback = f"token budget of {self.settings.token_budget:,} spent"
            return None
        try:
            with _slots(self.settings.max_concurrency):
                answer, tokens = self._call(schema, system, user)
        except ImportError as exc:
            self._consecutive_failures = self.settings.failures_before_open
            self.usage.fallback = (f"the {exc.name} SDK is not installed "
                                   "(pip install 'slo-scout[llm]')")
            return None
        except Exception as exc:  # any SDK, network or schema failure falls back
            self._consecutive_failures += 1
            self.usage.failures += 1
            self.usage.fallback = f"the model call failed: {type(exc).__name__}"
            log.warning("llm call failed (%s): %s", type(exc).__name__, _short(exc))
            return None
        self._consecutive_failures = 0
        self.usage.calls += 1
        self.usage.tokens += tokens
        self._store(digest, answer)
        return answer

    def _call(self, schema: type[M], system: str, user: str) -> tuple[M, int]:
        settings = self.settings
        if not settings.model:
            raise ValueError("SLO_SCOUT_LLM__MODEL is not set")
        if settings.provider == "openai":
            import openai

            if self._sdk is None:
                self._sdk = openai.OpenAI(api_key=self._key(), base_url=settings.base_url,
                                          timeout=settings.timeout_seconds,
                                          max_retries=settings.max_retries)
            completion = self._sdk.chat.completions.parse(
                model=settings.model, response_format=schema,
                max_completion_tokens=MAX_OUTPUT_TOKENS,
                messages=[{"role": "system", "content": system},
                          {"role": "user", "content": user}])
            message = completion.choices[0].message
            if message.parsed is None:
                raise ValueError("the model refused or gave no structured answer")
            usage = completion.usage
            return message.parsed, int(usage.total_tokens if usage else 0)
        import anthropic

        if self._sdk is None:
            self._sdk = anthropic.Anthropic(api_key=self._key(), base_url=settings.base_url,
                                            timeout=settings.timeout_seconds,
                                            max_retries=settings.max_retries)
        reply = self._sdk.messages.parse(
            model=settings.model, max_tokens=MAX_OUTPUT_TOKENS, system=system,
            messages=[{"role": "user", "content": user}], output_format=schema)
        if reply.parsed_output is None:
            raise ValueError("the model gave no structured answer")
        return reply.parsed_output, int(reply.usage.input_tokens + reply.usage.output_tokens)

    def _cached(self, schema: type[M], digest: str) -> M | None:
        if self._cache_dir is None:
            return None
        path = self._cache_dir / f"{digest}.json"
        try:
            return schema.model_validate_json(path.read_text())
        except (OSError, ValidationError):
            return None

    def _store(self, digest: str, answer: BaseModel) -> None:
        if self._cache_dir is None:
            return
        try:
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            (self._cache_dir / f"{digest}.json").write_text(answer.model_dump_json())
        except OSError as exc:
            log.warning("llm cache not written: %s", exc)


def _short(exc: Exception) -> str:
    # SDK errors carry the response body; a gateway may echo headers into it
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
