#!/usr/bin/env bash
# Installs packages whose declared pins conflict with the project's, without their dependencies
# (idempotent).
#
# drain3==0.9.11 (log template mining in the streaming catalog job) pins cachetools==4.2.1 and
# jsonpickle==1.5.1. pymilvus needs cachetools>=5; drain3 uses only cachetools' LRUCache, Cache
# and cachedmethod, which cachetools 8 still provides (tests/streaming/test_catalog_job.py
# mines templates with it). jsonpickle (pinned in the 'streaming' extra) is imported by drain3
# but only used for its state persistence, which SLO Scout does not use.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
if "$python" -c "import importlib.metadata as m, sys; sys.exit(m.version('drain3') != '0.9.11')" 2>/dev/null; then
  exit 0
fi
"$python" -m pip install --disable-pip-version-check -q --no-deps "drain3==0.9.11"
