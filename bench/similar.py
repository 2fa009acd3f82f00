"""Similar journeys: what the model, the embedding and the nearest-journey query cost.

Measured in one run, on Milvus Lite and the real all-MiniLM-L6-v2 on CPU:

- model load: importing torch and sentence-transformers and loading the model (what the first
  ``analyze --similar`` or the first control-plane embedding pays, once per process);
- embedding: ``--journeys`` distinct journey descriptions (entry, calls, services, as the core
  writes them) encoded alone, then embedded and stored through ``embed_new`` (look-up, encode,
  upsert, flush), per journey; then the same again, which embeds nothing (every description
  unchanged);
- query: ``nearest_to_journey`` over every environment (the API's search), per query, beside
  the per-journey embedding (the ratio says how much cheaper reading is than writing).

``python -m bench.similar [--journeys N] [--queries N]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from slo_scout.control.journeys.embedding import ToEmbed, embed_new
from slo_scout.control.vectors import JourneyVectors
from slo_scout.core.journeys.description import describe_parts
from slo_scout.core.journeys.model import Edge, Entry

VERBS = ("GET", "POST", "PUT", "DELETE")
NOUNS = ("checkout", "cart", "orders", "payments", "search", "products", "users", "sessions",
         "invoices", "shipping", "reviews", "wishlist", "coupons", "inventory", "healthz")
BACKENDS = ("payments", "cart", "inventory", "catalog", "users", "fraud", "shipping", "email",
            "ledger", "search")


def journeys(n: int) -> list[ToEmbed]:
    items = []
    for i in range(n):
        verb, noun = VERBS[i % len(VERBS)], NOUNS[(i // len(VERBS)) % len(NOUNS)]
        service = f"svc-{i % 7}"
        route = f"/api/v{1 + i % 3}/{noun}" + ("/{id}" if i % 2 else "")
        calls = [BACKENDS[(i + k) % len(BACKENDS)] for k in range(i % 4)]
        edges = [Edge(service, c, f"{c}.{noun.title()}", 10) for c in calls]
        text = describe_parts(Entry(service, route, "http", f"{verb} {route}", verb),
                              [service, *calls], edges)
        items.append(ToEmbed(f"env-{i % 3}", f"k-{i}", service, f"{noun} {i}", text))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=500)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    items = journeys(args.journeys)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        from slo_scout.control.embedder import Embedder

        model = Embedder()
        load_s = time.perf_counter() - began
        model.embed(["warm-up"])
        began = time.perf_counter()
        model.embed([item.description for item in items])
        encode_s = time.perf_counter() - began
        with JourneyVectors(str(Path(tmp) / "milvus.db"), "bench").open(create=True) as store:
            began = time.perf_counter()
            first = embed_new(store, lambda: model, items)
            embed_s = time.perf_counter() - began
            began = time.perf_counter()
            again = embed_new(store, lambda: model, items)
            again_s = time.perf_counter() - began
            began = time.perf_counter()
            for i in range(args.queries):
                item = items[i % len(items)]
                store.nearest_to_journey(item.environment, item.journey_key, k=5,
                                         everywhere=True)
            query_s = (time.perf_counter() - began) / args.queries
    per_journey = embed_s / first.embedded
    print(f"model load: {load_s:.2f} s (once per process)")
    print(f"encode only: {encode_s / len(items) * 1000:.1f} ms a journey (batches of 64)")
    print(f"embed + store: {first.embedded} journeys in {embed_s:.2f} s, "
          f"{per_journey * 1000:.1f} ms a journey")
    print(f"again, unchanged: {again.embedded} embedded, {again.unchanged} skipped in "
          f"{again_s:.3f} s ({again_s / embed_s:.3f} of the first pass)")
    print(f"nearest 5 over {len(items)} journeys: {query_s * 1000:.1f} ms a query "
          f"({query_s / per_journey:.2f} x embedding one journey)")
    print(f"model load = {load_s / per_journey:.0f} x embedding one journey")


if __name__ == "__main__":
    main()
