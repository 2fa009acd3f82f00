"""A journey's call graph as an SVG picture: services as boxes, calls as arrows with counts.

Layers come from networkx (breadth-first distance from the services nobody calls, usually the
gateway), laid out left to right so a request reads like a sentence. Nodes are sorted before
layout, so the picture is the same on every run.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from slo_scout.core.journeys.model import Journey
from slo_scout.report.charts import new_figure, svg

_BOX = {"boxstyle": "round,pad=0.35", "facecolor": "#eff6ff", "edgecolor": "#2563eb"}
_ENTRY_BOX = {**_BOX, "facecolor": "#dbeafe", "linewidth": 1.6}


def service_graph(journey: Journey) -> nx.DiGraph:
    """Services as nodes; one edge per caller → callee with the calls summed over operations."""
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(journey.services))
    calls: dict[tuple[str, str], int] = defaultdict(int)
    for edge in journey.edges:
        if edge.caller != edge.callee:
            calls[edge.caller, edge.callee] += edge.calls
    for (caller, callee), count in sorted(calls.items()):
        graph.add_edge(caller, callee, calls=count)
    return graph


def _layers(graph: nx.DiGraph, entry: str) -> dict[str, int]:
    roots = sorted(n for n in graph.nodes if graph.in_degree(n) == 0)
    if not roots:
        roots = [entry] if entry in graph else sorted(graph.nodes)[:1]
    depth = nx.multi_source_dijkstra_path_length(graph, roots, weight=None) if roots else {}
    deepest = max(depth.values(), default=0)
    return {n: int(depth.get(n, deepest + 1)) for n in graph.nodes}


def call_graph(journey: Journey, salt: str) -> str | None:
    graph = service_graph(journey)
    if graph.number_of_nodes() == 0:
        return None
    layers = _layers(graph, journey.entry.service)
    nx.set_node_attributes(graph, layers, "layer")
    pos = nx.multipartite_layout(graph, subset_key="layer", align="vertical")
    columns = max(layers.values()) + 1
    rows = max(list(layers.values()).count(layer) for layer in set(layers.values()))
    fig = new_figure(max(4.0, 2.3 * columns), max(1.6, 0.75 * rows + 0.6))
    ax = fig.add_subplot()
    ax.set_axis_off()
    requests = max(journey.requests, 1)
    for caller, callee, data in graph.edges(data=True):
        (x1, y1), (x2, y2) = pos[caller], pos[callee]
        ax.annotate(
            "", xy=(x2, y2), xytext=(x1, y1),
            arrowprops={"arrowstyle": "-|>", "color": "#6b7280", "shrinkA": 28, "shrinkB": 28,
                        "connectionstyle": "arc3,rad=0.06", "linewidth": 1.0},
        )
        per_request = data["calls"] / requests
        ax.text((x1 + x2) / 2, (y1 + y2) / 2, f"{data['calls']:,} ({per_request:.2g}/req)",
                fontsize=7, ha="center", va="bottom", color="#374151")
    for node, (x, y) in pos.items():
        box = _ENTRY_BOX if node == journey.entry.service else _BOX
        ax.text(x, y, node, ha="center", va="center", fontsize=8, bbox=box)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.35, max(xs) + 0.35)
    ax.set_ylim(min(ys) - 0.3, max(ys) + 0.3)
    return svg(fig, salt)
