"""What a language model may be asked and what of its answer may be used: redaction of the
telemetry sent, the requests, and the guards every answer passes. Pure: the ``llm`` adapter
makes the calls. The model never writes PromQL, metric names, label matchers, ids or anything
that goes into a rule file."""
