"""The one journey vector store: rows written to Milvus Lite, read back."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus not installed")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed")

from slo_scout.control.errors import NotFound
from slo_scout.control.vectors import (
    DIMENSIONS,
    JourneyVector,
    JourneyVectors,
    VectorStoreUnavailable,
)

COLLECTION = "journeys_test"


def _unit(**weights: float) -> list[float]:
    """A normalised vector with the given weights on axes ``a0``, ``a1``, ..."""
    vector = [0.0] * DIMENSIONS
    for axis, weight in weights.items():
        vector[int(axis[1:])] = weight
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


CHECKOUT = _unit(a0=1.0, a1=0.1)
ORDER = _unit(a0=1.0, a1=0.4)
CART = _unit(a1=1.0)
SEARCH = _unit(a2=1.0)


def _row(key: str, service: str, environment: str, vector: list[float]) -> JourneyVector:
    return JourneyVector(journey_key=key, service=service, environment=environment,
                         name=f"{service} {key}", description=f"the {key} journey",
                         vector=vector)


@pytest.fixture
def uri(tmp_path: Path) -> Iterator[str]:
    """A Milvus Lite file holding what the embedding job's store wrote."""
    path = str(tmp_path / "milvus.db")
    store = JourneyVectors(path, COLLECTION).open(create=True)
    try:
        store.upsert([
            _row("k-checkout", "frontend", "staging", CHECKOUT),
            _row("k-order", "web", "staging", ORDER),
            _row("k-cart", "frontend", "staging", CART),
            _row("k-search", "catalog", "staging", SEARCH),
            _row("k-checkout", "frontend", "production", CHECKOUT),
        ])
    finally:
        store.close()
    yield path


def test_the_reader_returns_the_nearest_journeys_of_an_environment_nearest_first(
    uri: str,
) -> None:
    with JourneyVectors(uri, COLLECTION) as reader:
        near = reader.nearest(_unit(a0=1.0), environment="staging", k=3)

    assert [n.journey_key for n in near] == ["k-checkout", "k-order", "k-cart"]
    assert {n.environment for n in near} == {"staging"}
    checkout, order, cart = near
    assert checkout.distance == pytest.approx(1 - 1 / math.sqrt(1.01), abs=1e-5)
    assert order.distance == pytest.approx(1 - 1 / math.sqrt(1.16), abs=1e-5)
    assert cart.distance == pytest.approx(1.0, abs=1e-5)
    assert checkout.distance < order.distance < cart.distance
    assert (checkout.service, checkout.name, checkout.description) == (
        "frontend", "frontend k-checkout", "the k-checkout journey")


def test_the_nearest_journeys_to_a_journey_leave_it_out(uri: str) -> None:
    with JourneyVectors(uri, COLLECTION) as reader:
        near = reader.nearest_to_journey("staging", "k-checkout", k=2)
        only_frontend = reader.nearest_to_journey("staging", "k-checkout", service="frontend")
        elsewhere = reader.nearest_to_journey("production", "k-checkout")
        with pytest.raises(NotFound, match="k-nothing"):
            reader.nearest_to_journey("staging", "k-nothing")

    assert [(n.journey_key, round(n.distance, 4)) for n in near] == [
        ("k-order", round(1 - CHECKOUT[0] * ORDER[0] - CHECKOUT[1] * ORDER[1], 4)),
        ("k-cart", round(1 - CHECKOUT[1], 4))]
    assert [n.journey_key for n in only_frontend] == ["k-cart"]
    assert elsewhere == []  # production holds only that journey


def test_a_released_collection_is_loaded_when_opened_and_when_released_since(uri: str) -> None:
    other = JourneyVectors(uri, COLLECTION).open()  # an operator freeing memory
    try:
        other.client.release_collection(COLLECTION)
        with JourneyVectors(uri, COLLECTION) as reader:
            assert reader.loaded()
            assert reader.nearest(SEARCH, environment="staging", k=1)[0].journey_key == "k-search"
            other.client.release_collection(COLLECTION)
            assert not reader.loaded()
            near = reader.nearest_to_journey("staging", "k-cart", k=1)
            assert [n.journey_key for n in near] == ["k-order"]
            assert reader.loaded()
    finally:
        other.close()


def test_a_missing_collection_is_a_clear_error_naming_the_uri_and_the_collection(
    uri: str,
) -> None:
    reader = JourneyVectors(uri, "no_such_collection")
    with pytest.raises(VectorStoreUnavailable) as raised:
        reader.open()
    message = str(raised.value)
    assert uri in message and "'no_such_collection'" in message
    assert "embedding job" in message and "analyze --similar" in message


def test_a_vector_of_the_wrong_size_is_refused(uri: str) -> None:
    with JourneyVectors(uri, COLLECTION) as reader, pytest.raises(ValueError, match="384"):
        reader.nearest([1.0, 0.0], environment="staging")


def test_nearest_everywhere_and_within_services_leaves_the_journey_itself_out(uri: str) -> None:
    with JourneyVectors(uri, COLLECTION) as store:
        everywhere = store.nearest_to_journey("staging", "k-checkout", k=5, everywhere=True)
        some = store.nearest_to_journey("staging", "k-checkout", k=5, everywhere=True,
                                        services=["web", "catalog"])

    # production's checkout is another row (the same vector), staging's is the one asked about
    assert [(n.environment, n.journey_key) for n in everywhere][:2] == [
        ("production", "k-checkout"), ("staging", "k-order")]
    assert ("staging", "k-checkout") not in {(n.environment, n.journey_key) for n in everywhere}
    assert [n.journey_key for n in some] == ["k-order", "k-search"]


def test_an_unreachable_server_is_unavailable_naming_the_uri() -> None:
    store = JourneyVectors("http://127.0.0.1:9", COLLECTION)
    with pytest.raises(VectorStoreUnavailable, match=r"http://127\.0\.0\.1:9"):
        store.open()


def test_credentials_in_a_server_uri_never_appear_in_the_error() -> None:
    store = JourneyVectors("http://admin:hunter2@127.0.0.1:9", COLLECTION)
    with pytest.raises(VectorStoreUnavailable) as raised:
        store.open()
    assert "hunter2" not in str(raised.value) and "127.0.0.1:9" in str(raised.value)
