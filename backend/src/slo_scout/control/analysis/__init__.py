"""Analysis jobs: the durable queue, the runner, SLI families, history and recommendations."""
