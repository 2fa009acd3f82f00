"""The language-model adapter: the official SDKs' structured outputs, a cache, a breaker and a
budget. What is asked and what of an answer may be used is the core's (``core.llm``)."""
