"""The plain-words description that the embedding job embeds."""

from __future__ import annotations

from slo_scout.core.journeys.description import (
    describe_journey,
    describe_parts,
    operation_words,
)
from slo_scout.core.journeys.model import Edge, Entry, Journey, new_sketch

CHECKOUT = Entry("frontend", "/checkout", "http", "POST /checkout", "POST")
EDGES = (Edge("frontend", "payment", "payment.Charge", 3),
         Edge("frontend", "cart", "cart.Get", 1),
         Edge("payment", "ledger", "ledger.Write", 1))


def _journey(entry: Entry, services: tuple[str, ...], edges: tuple[Edge, ...],
             requests: int) -> Journey:
    return Journey(id="j1", name=entry.label, entry=entry, fingerprint="f", services=services,
                   edges=edges, requests=requests, errors=0, first_seen_ns=0, last_seen_ns=0,
                   latency=new_sketch(), critical_path=(), sample_trace_ids=(), variants=(),
                   minutes={})


def test_operations_are_spelled_as_words() -> None:
    assert operation_words("/api/v1/orders/{id}") == "api v1 orders id"
    assert operation_words("payment.Charge") == "payment charge"
    assert operation_words("hipstershop.CartService/GetCart") == "hipstershop cart service get cart"


def test_a_journey_is_described_by_entry_calls_services_and_shape() -> None:
    text = describe_parts(CHECKOUT, ("payment", "frontend", "cart", "ledger"), EDGES)
    assert text == (
        "HTTP POST /checkout entering at service frontend (checkout). "
        "Calls: frontend calls cart cart.Get (cart get); "
        "frontend calls payment payment.Charge (payment charge); "
        "payment calls ledger ledger.Write (ledger write). "
        "Services: cart, frontend, ledger, payment. "
        "Shape: 4 services, 3 distinct calls, call depth 2, fan-out 2.")


def test_the_text_does_not_depend_on_edge_order_or_traffic() -> None:
    services = ("frontend", "payment", "cart", "ledger")
    a = describe_journey(_journey(CHECKOUT, services, EDGES, requests=10))
    b = describe_journey(_journey(CHECKOUT, services, EDGES[::-1], requests=99_999))
    assert a == b


def test_a_single_service_journey_says_it_makes_no_calls() -> None:
    entry = Entry("frontend", "/cart", "http", "GET /cart", "GET")
    assert describe_parts(entry, ("frontend",), ()) == (
        "HTTP GET /cart entering at service frontend (cart). "
        "Served by the entry service alone, no downstream calls. "
        "Services: frontend. Shape: 1 service, 0 distinct calls, call depth 0, fan-out 0.")


def test_call_cycles_do_not_loop_and_self_calls_add_no_depth() -> None:
    entry = Entry("a", "A.Do", "rpc", "A/Do")
    edges = (Edge("a", "b", "B.Do", 1), Edge("b", "a", "A.Back", 1), Edge("b", "b", "B.Self", 2))
    text = describe_parts(entry, ("a", "b"), edges)
    assert text.startswith("RPC A.Do entering at service a (a do).")
    assert text.endswith("Shape: 2 services, 3 distinct calls, call depth 1, fan-out 1.")
