"""Each journey is embedded once: again only when its description changed, and the model is not
loaded at all when nothing changed. Real Milvus Lite, the real model, a real database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus not installed (the 'streaming' extra)")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed")
pytest.importorskip("torch", reason="torch not installed (the 'embeddings' extra)")

from tests.fixtures.similar import (
    CHECKOUT,
    COLLECTION,
    HEALTH,
    SEARCH,
    Spec,
    embed,
    seed_team,
)

from slo_scout.control.embedder import Embedder, shared_embedder
from slo_scout.control.journeys.embedding import (
    EmbedReport,
    embed_environment,
)
from slo_scout.control.vectors import JourneyVectors, row_id
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory


class CountingModel:
    """The real model, counting how often it is asked for and what it embeds."""

    def __init__(self) -> None:
        self.loads = 0
        self.texts: list[str] = []

    def __call__(self) -> CountingModel:
        self.loads += 1
        return self

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.texts.extend(texts)
        model: Embedder = shared_embedder()
        return model.embed(texts)


def _embed_counting(url: str, milvus: str, env_id: int, model: CountingModel) -> EmbedReport:
    async def go() -> EmbedReport:
        engine = create_engine(url)
        vectors = JourneyVectors(milvus, COLLECTION).open(create=True)
        try:
            async with session_factory(engine)() as session:
                return await embed_environment(session, vectors, model, env_id)
        finally:
            vectors.close()
            await engine.dispose()

    return asyncio.run(go())


def test_unchanged_journeys_are_not_embedded_again_and_a_changed_one_is(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'slo-scout.db'}"
    migrate.upgrade(url)
    milvus = str(tmp_path / "milvus.db")
    env = seed_team(url, "shop", "shop-frontend", [CHECKOUT, HEALTH, SEARCH])
    [first] = embed(url, milvus, [env])
    assert (first.embedded, first.unchanged) == (3, 0)
    assert sorted(first.ids) == sorted(row_id("prod", k) for k in
                                       ("k-checkout", "k-health", "k-search"))

    model = CountingModel()
    again = _embed_counting(url, milvus, env, model)
    assert (again.embedded, again.unchanged, model.loads) == (0, 3, 0)

    # the checkout now also calls the fraud service: its description changes, the rest not
    seed_team(url, "shop", "shop-frontend", [Spec(
        "k-checkout", CHECKOUT.operation, (*CHECKOUT.calls, ("fraud", "fraud.Score")))])
    changed = _embed_counting(url, milvus, env, model)
    assert (changed.embedded, changed.unchanged, model.loads) == (1, 2, 1)
    assert changed.ids == [row_id("prod", "k-checkout")]
    assert len(model.texts) == 1 and "fraud calls" not in model.texts[0]
    assert "frontend calls fraud fraud.Score" in model.texts[0]

    with JourneyVectors(milvus, COLLECTION) as store:
        assert store.count() == 3
        stored = store.descriptions([row_id("prod", "k-checkout")])
    assert stored == {row_id("prod", "k-checkout"): model.texts[0]}
