"""``slo-scout analyze --similar``: journeys into Milvus Lite once each, neighbours in
journeys.json; the real model, the real Milvus Lite, the command run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus not installed (the 'streaming' extra)")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed")
pytest.importorskip("torch", reason="torch not installed (the 'embeddings' extra)")

from typer.testing import CliRunner

from slo_scout.cli.main import app


@pytest.fixture(scope="module")
def shop_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "shop.json"
    result = CliRunner().invoke(app, ["simulate", "--traces", "400", "--seed", "3",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _analyze(shop_json: Path, out: Path, *extra: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["analyze", str(shop_json), "--out", str(out),
                                      "--no-artifacts", "--no-llm", *extra])
    assert result.exit_code == 0, result.output
    return result.output, json.loads((out / "journeys.json").read_text())


def test_analyze_embeds_each_journey_once_and_lists_its_neighbours(
    shop_json: Path, tmp_path: Path,
) -> None:
    milvus = tmp_path / "vectors" / "milvus.db"
    said, document = _analyze(shop_json, tmp_path / "a", "--similar", "--milvus", str(milvus))
    journeys = document["journeys"]
    assert f"similar journeys: {len(journeys)} embedded, 0 unchanged (model loaded" in said
    by_id = {j["id"]: j for j in journeys}
    for journey in journeys:
        near = journey["similar"]
        assert near and len(near) <= 5
        assert journey["id"] not in {n["id"] for n in near}
        assert all(n["id"] in by_id and n["environment"] == "local" for n in near)
        assert [n["similarity"] for n in near] == sorted(
            (n["similarity"] for n in near), reverse=True)
    # the two cart journeys (add to cart, view cart) are each other's nearest
    carts = [j for j in journeys if j["entry"]["operation"] == "/api/cart"]
    assert len(carts) == 2
    assert carts[0]["similar"][0]["id"] == carts[1]["id"]
    assert carts[1]["similar"][0]["id"] == carts[0]["id"]

    # a rerun on the same traffic embeds nothing and does not load the model
    again, second = _analyze(shop_json, tmp_path / "b", "--similar", "--milvus", str(milvus))
    assert f"0 embedded, {len(journeys)} unchanged (embedding" in again
    assert "model loaded" not in again
    assert [j["similar"] for j in second["journeys"]] == [j["similar"] for j in journeys]

    # without --similar nothing is embedded and journeys.json has no neighbours
    quiet, plain = _analyze(shop_json, tmp_path / "c")
    assert "similar journeys" not in quiet
    assert all("similar" not in j for j in plain["journeys"])


def test_an_unreachable_milvus_is_one_line_naming_it(shop_json: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", str(shop_json), "--out", str(tmp_path / "o"),
                                      "--no-artifacts", "--no-llm", "--similar",
                                      "--milvus", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "Milvus at http://127.0.0.1:9" in result.output
    assert "Traceback" not in result.output
