"""The shared Jaeger and Zipkin samples assemble into the trees their authors recorded."""

from __future__ import annotations

import json

from tests.core.journeys.trees import decode_file, nodes, parents, traces_of

from slo_scout.core.journeys import entry_of


def labelled_parents(trace):
    """``service:name`` -> parent's ``service:name`` (labels are unique in these samples)."""
    out = {}
    for node, parent in nodes(trace):
        label = f"{node.span.service}:{node.span.name}"
        assert label not in out, f"label {label} is not unique"
        out[label] = f"{parent.span.service}:{parent.span.name}" if parent else None
    return out


def test_ride_sharing_trace_is_one_chain_under_the_load_generator(datasets):
    (trace,) = traces_of(decode_file(datasets / "jaeger" / "ride-sharing-trace.json")).values()
    assert [r.span.span_id for r in trace.roots] == ["487f03177ef9cf89"]
    assert parents(trace) == {
        "487f03177ef9cf89": None,
        "d81ccf159d71bc66": "487f03177ef9cf89",
        "3d4670fa91902216": "d81ccf159d71bc66",
        "7bc101ef51dbc40c": "3d4670fa91902216",
    }
    assert not trace.incomplete
    assert trace.problems == ()
    assert entry_of(trace).label == "load-generator OrderVehicle"


def test_trace_graph_keeps_child_of_and_follows_from_references_as_parents(datasets):
    path = datasets / "jaeger" / "trace-graph-trace.json"
    (trace,) = traces_of(decode_file(path)).values()
    # The file uses ids like "span-1"; tie each raw id to its (operation, start) to compare.
    raw = json.loads(path.read_text())
    key_of = {s["spanID"]: (s["operationName"], s["startTime"] * 1000) for s in raw["spans"]}
    got = {
        (n.span.name, n.span.start_ns): (p.span.name, p.span.start_ns) if p else None
        for n, p in nodes(trace)
    }
    expected_raw = {
        "span-1": None,
        "span-2": "span-1",
        "span-2_1": "span-1",
        "span-3": "span-1",
        "span-4": "span-3",
        "span-5": "span-4",
        "span-6": "span-1",
        "span-7": "span-6",  # FOLLOWS_FROM
        "span-12": "span-1",
        "span-13": "span-12",
        "span-14": "span-12",
    }
    assert got == {
        key_of[child]: key_of[parent] if parent else None for child, parent in expected_raw.items()
    }
    assert trace.root.span.name == "op1"
    assert len(trace.roots) == 1
    assert [c.span.name for c in trace.root.children] == ["op2", "op3", "op2", "op4", "op6"]


def test_yelp_trace_splits_shared_ids_into_client_and_server_spans(datasets):
    (trace,) = traces_of(decode_file(datasets / "zipkin" / "yelp.json")).values()
    assert trace.root.span.span_id == "2e8cfb154b59a41f"
    assert len(trace.roots) == 1
    assert labelled_parents(trace) == {
        "routing:post /location/update/v4": None,
        "unknown:post": "routing:post /location/update/v4",
        "yelp_main/api_proxy:post api proxy proxy": "unknown:post",
        "yelp-main:get my_cache_name_v2": "yelp_main/api_proxy:post api proxy proxy",
        "yelp-main:txn: user_get_basic_and_scout_info": "yelp_main/api_proxy:post api proxy proxy",
        "yelp-main:begin": "yelp-main:txn: user_get_basic_and_scout_info",
        "yelp-main:get user_details_cache-20150901": "yelp-main:txn: user_get_basic_and_scout_info",
        "yelp-main:get_multi my_cache_name_v1": "yelp-main:txn: user_get_basic_and_scout_info",
        "yelp-main:commit": "yelp-main:txn: user_get_basic_and_scout_info",
        "yelp-main:post": "routing:post /location/update/v4",
        "mobile_api:post /location/update/v4": "yelp-main:post",
        "mobile_api:get_multi mobile_api_nonce": "mobile_api:post /location/update/v4",
        "mobile_api:set mobile_api_nonce": "mobile_api:post /location/update/v4",
        "mobile_api:get": "mobile_api:post /location/update/v4",
        "spectre:get": "mobile_api:get",
        "mobile_api:post": "mobile_api:post /location/update/v4",
    }
    assert trace.problems == ()
    assert entry_of(trace).label == "routing POST /location/update/v4"


def test_zipkin_skew_trace_has_servicea_as_root_and_serviceb_below_the_client(datasets):
    (trace,) = traces_of(decode_file(datasets / "zipkin" / "skew.json")).values()
    assert trace.root.span.span_id == "bf396325699c84bf"
    assert labelled_parents(trace) == {
        "servicea:get": None,
        "servicea:post": "servicea:get",
        "serviceb:post": "servicea:post",
        "serviceb:async": "serviceb:post",
    }


def test_ascend_trace_nests_auth_and_content_under_the_mobile_gateway(datasets):
    (trace,) = traces_of(decode_file(datasets / "zipkin" / "ascend.json")).values()
    assert trace.root.span.span_id == "ef86c83c0a05a6d6"

    def label(node):
        return f"{node.span.service}:{node.span.name}:{node.span.kind}"

    edges = sorted((label(n), label(p) if p else None) for n, p in nodes(trace))
    assert edges == sorted(
        [
            ("mobile-gateway:get:server", None),
            ("mobile-gateway:get:client", "mobile-gateway:get:server"),
            ("mobile-gateway:get:client", "mobile-gateway:get:server"),
            (
                "auth-service:http:/parent/auth-service/v1/authentications/:server",
                "mobile-gateway:get:client",
            ),
            (
                "auth-service:extend-token-life:internal",
                "auth-service:http:/parent/auth-service/v1/authentications/:server",
            ),
            ("content-service:get /content/personal:server", "mobile-gateway:get:client"),
            ("content-service:hystrix:internal", "content-service:get /content/personal:server"),
            ("content-service:get:client", "content-service:get /content/personal:server"),
        ]
    )
    # Server halves keep the shared ids; their clients got derived ids.
    servers = {n.span.span_id for n, _ in nodes(trace) if n.span.kind == "server"}
    assert {"ef86c83c0a05a6d6", "52b1ab4956917c39", "ecc00062ceef4bf0"} == servers
