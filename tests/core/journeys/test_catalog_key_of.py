"""JourneyCatalog.key_of: the key id add() would give, without recording the trace."""

from __future__ import annotations

from tests.core.journeys.traffic import shop_traffic

from slo_scout.core.journeys import JourneyCatalog, assemble


def _traces(**options):
    return [(kind, assemble(spans[0].trace_id, spans)) for kind, spans in shop_traffic(**options)]


def test_key_of_gives_the_id_add_returns_for_generic_and_named_entries_and_records_nothing():
    for options in ({}, {"frontend_name": "GET /shop/checkout"}):
        traces = _traces(**options)
        fresh = JourneyCatalog()
        predicted = [fresh.key_of(trace) for _, trace in traces]
        assert fresh.traces == 0
        assert fresh.journeys() == []
        catalog = JourneyCatalog()
        assert [catalog.add(trace) for _, trace in traces] == predicted
        assert [catalog.key_of(trace) for _, trace in traces] == predicted
        assert catalog.traces == len(traces)


def test_key_of_separates_request_kinds_behind_one_generic_entry():
    keys: dict[str, set[str]] = {}
    catalog = JourneyCatalog()
    for kind, trace in _traces():
        keys.setdefault(kind, set()).add(catalog.key_of(trace))
    assert all(len(ids) == 1 for ids in keys.values())
    assert keys["checkout"] != keys["browse"] != keys["add-to-cart"]
