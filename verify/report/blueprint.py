"""The paper's proof-dependency graph and a deterministic layered layout for drawing it.

Like a Lean blueprint, the report draws every statement of the paper as a node (shape by kind:
lemma, theorem, corollary, definition) with an edge from each statement to the ones whose proofs
use it. Here a node's fill is its numerical verdict instead of a formal proof status.

The graph has one source per edge: the incoming edges of a statement checked here are exactly
its lemma's ``depends_on`` (as recorded in results.json); statements without a module
(theorems, definitions, unchecked lemmas) and the edges into them are in ``paper_graph.json``
beside this module, embedded in the package because nothing may read the spec at run time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

PAPER_GRAPH_FILE = Path(__file__).with_name("paper_graph.json")


@dataclass(frozen=True)
class PaperGraph:
    """Statements without a lemma module, and the proof edges into them."""

    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]


@cache
def paper_graph() -> PaperGraph:
    data = json.loads(PAPER_GRAPH_FILE.read_text(encoding="utf-8"))
    return PaperGraph(
        tuple(normalize_id(n) for n in data["nodes"]),
        tuple((normalize_id(a), normalize_id(b)) for a, b in data["edges"]),
    )


KINDS = ("definition", "lemma", "theorem", "corollary")

_PREFIXES = {
    "thm": "Thm",
    "theorem": "Thm",
    "cor": "Cor",
    "corollary": "Cor",
    "l": "L",
    "lem": "L",
    "lemma": "L",
    "def": "Def",
    "definition": "Def",
    "prop": "Prop",
}


def normalize_id(raw: str) -> str:
    """The project's spelling of a statement id: ``Thm 1.8``, ``thm1.8`` -> ``Thm.1.8``.

    Appendix ids (``C.16``, ``H.1``) are returned as they are.
    """
    text = raw.strip()
    match = re.fullmatch(r"([A-Za-z]+)[\s.]*(\d+(?:\.\d+)*)", text)
    if match is None:
        return text
    prefix, number = match.groups()
    if len(prefix) == 1 and prefix.isupper():
        return f"{prefix}.{number}"
    return f"{_PREFIXES.get(prefix.lower(), prefix)}.{number}"


def kind_of(node_id: str) -> str:
    """Shape class of a statement, from its id (the report has no other source for it)."""
    head = node_id.split(".", 1)[0]
    return {"Thm": "theorem", "Cor": "corollary", "Def": "definition"}.get(head, "lemma")


def sort_key(node_id: str) -> tuple:
    return tuple(
        (0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", node_id) if t
    )


@dataclass(frozen=True)
class Graph:
    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]

    def predecessors(self, node: str) -> list[str]:
        return list(self._neighbours[0].get(node, ()))

    def successors(self, node: str) -> list[str]:
        return list(self._neighbours[1].get(node, ()))

    @cached_property
    def _neighbours(self) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
        """(predecessors, successors) of every node, each sorted by ``sort_key``: formed once,
        as a report asks for them once per node and per page."""
        before: dict[str, list[str]] = {}
        after: dict[str, list[str]] = {}
        for a, b in self.edges:
            before.setdefault(b, []).append(a)
            after.setdefault(a, []).append(b)
        return (
            {node: tuple(sorted(found, key=sort_key)) for node, found in before.items()},
            {node: tuple(sorted(found, key=sort_key)) for node, found in after.items()},
        )

    def ancestors(self, node: str) -> set[str]:
        seen: set[str] = set()
        stack = [node]
        while stack:
            for pred in self.predecessors(stack.pop()):
                if pred not in seen:
                    seen.add(pred)
                    stack.append(pred)
        return seen


def build_graph(
    depends_on: Mapping[str, Iterable[str]] | None = None,
    extra_edges: Iterable[tuple[str, str]] = (),
) -> Graph:
    """The proof graph: each lemma's ``depends_on`` plus the paper's statements without a module.

    ``depends_on`` maps each checked lemma to the statements its proof uses; those are its
    incoming edges, exactly. An edge of the data file (or of ``extra_edges``) into a lemma of
    ``depends_on`` is not drawn: that lemma's own declaration is the one source for it.
    """
    declared = {
        normalize_id(k): [normalize_id(d) for d in v] for k, v in (depends_on or {}).items()
    }
    paper = paper_graph()
    edges = {(dep, lemma) for lemma, deps in declared.items() for dep in deps}
    edges |= {
        (normalize_id(a), normalize_id(b))
        for a, b in (*paper.edges, *extra_edges)
        if normalize_id(b) not in declared
    }
    edges = {(a, b) for a, b in edges if a != b}
    nodes = {n for edge in edges for n in edge} | set(declared) | set(paper.nodes)
    return Graph(
        tuple(sorted(nodes, key=sort_key)),
        tuple(sorted(edges, key=lambda e: (sort_key(e[0]), sort_key(e[1])))),
    )


def _layers(graph: Graph) -> dict[str, int]:
    """Longest-path layering; sources are then pulled right, next to their first use.

    Cycles (a mistake in some ``depends_on``) must not hang the report: a node on a cycle gets
    the layer it had when the cycle was detected.
    """
    layer: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(node: str) -> int:
        if node in layer:
            return layer[node]
        if node in visiting:
            return 0
        visiting.add(node)
        preds = graph.predecessors(node)
        value = 1 + max((depth(p) for p in preds), default=-1)
        visiting.discard(node)
        layer[node] = value
        return value

    for node in graph.nodes:
        depth(node)
    for node in graph.nodes:
        succ = graph.successors(node)
        if not graph.predecessors(node) and succ:
            layer[node] = max(layer[node], min(layer[s] for s in succ) - 1)
    return layer


@dataclass(frozen=True)
class Placed:
    id: str
    layer: int
    row: int
    x: float
    y: float


def components(graph: Graph) -> list[list[str]]:
    """Weakly connected components, largest first (ties by first id), each sorted by id."""
    neighbours: dict[str, set[str]] = {n: set() for n in graph.nodes}
    for a, b in graph.edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    seen: set[str] = set()
    found: list[list[str]] = []
    for node in graph.nodes:
        if node in seen:
            continue
        member: set[str] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if current not in member:
                member.add(current)
                stack.extend(neighbours[current])
        seen |= member
        found.append(sorted(member, key=sort_key))
    return sorted(found, key=lambda c: (-len(c), sort_key(c[0])))


def _crossings(edges: list[tuple[str, str]], layer: dict[str, int], row: dict[str, float]) -> int:
    """Crossings of the edges drawn as straight segments between (layer, row) points."""

    def cross(p, q, r, s) -> bool:
        def orient(a, b, c) -> float:
            return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

        return orient(p, q, r) * orient(p, q, s) < 0 and orient(r, s, p) * orient(r, s, q) < 0

    points = [((layer[a], row[a]), (layer[b], row[b])) for a, b in edges]
    return sum(
        cross(*points[i], *points[j]) for i in range(len(points)) for j in range(i + 1, len(points))
    )


def _order_component(graph: Graph, nodes: list[str], layer: dict[str, int]) -> dict[str, int]:
    """Rows within each column of one component: barycentre sweeps, keep the fewest crossings."""
    members = set(nodes)
    edges = [(a, b) for a, b in graph.edges if a in members and b in members]
    columns: dict[int, list[str]] = {}
    for node in nodes:
        columns.setdefault(layer[node], []).append(node)
    order = sorted(columns)

    def rows() -> dict[str, float]:
        return {n: float(i) for col in columns.values() for i, n in enumerate(col)}

    best_rows = rows()
    best = _crossings(edges, layer, best_rows)
    for sweep in range(12):
        position = rows()
        forward = sweep % 2 == 0
        for col in order if forward else list(reversed(order)):
            column = columns[col]

            def barycentre(node: str, position=position, forward=forward) -> tuple:
                near = graph.predecessors(node) if forward else graph.successors(node)
                near = near or graph.successors(node) or graph.predecessors(node)
                if not near:
                    return (position[node], sort_key(node))
                return (sum(position[n] for n in near) / len(near), sort_key(node))

            column.sort(key=barycentre)
            position.update({n: float(i) for i, n in enumerate(column)})
        count = _crossings(edges, layer, position)
        if count < best:
            best, best_rows = count, dict(position)
    return {n: int(r) for n, r in best_rows.items()}


def layout(
    graph: Graph, *, column_width: float = 118.0, row_height: float = 46.0, margin: float = 40.0
) -> tuple[dict[str, Placed], float, float]:
    """Deterministic layered layout, layers as columns from left (premises) to right (results).

    Each connected component gets its own band of rows; within a column nodes are ordered by
    the mean row of their neighbours (barycentre sweeps, ties broken by id, the sweep with the
    fewest crossings kept). Returns node centres and the drawing's width and height.
    """
    layer = _layers(graph)
    used = sorted(set(layer.values()))
    column_index = {value: i for i, value in enumerate(used)}
    placed: dict[str, Placed] = {}
    band_top = 0.0
    for nodes in components(graph):
        rows = _order_component(graph, nodes, layer)
        sizes: dict[int, int] = {}
        for node in nodes:
            sizes[layer[node]] = sizes.get(layer[node], 0) + 1
        band = max(sizes.values())
        for node in nodes:
            offset = (band - sizes[layer[node]]) / 2
            placed[node] = Placed(
                node,
                layer[node],
                rows[node],
                margin + column_index[layer[node]] * column_width + column_width / 2,
                margin + (band_top + rows[node] + offset) * row_height + row_height / 2,
            )
        band_top += band
    width = 2 * margin + max(len(used), 1) * column_width
    height = 2 * margin + max(band_top, 1) * row_height
    return placed, width, height


# -- effective status ----------------------------------------------------------------------
#
# A statement is only as good as what its proof uses: a certified lemma whose proof uses a
# refuted one proves nothing. Each node's *own* status is its verdict (or "unchecked" when no
# module checks it); its *effective* status is the weakest own status over itself and all its
# ancestors. A definition without a module asserts nothing, so it does not weaken what uses it.
# A conjecture (a results record with ``"conjecture": true``, or a node listed under
# ``conjectures`` in ``paper_graph.json``) that certifies on every example is
# "certified-given-conjecture": its evidence is a search, not a proof, and so is that of every
# statement resting on it.

STATUS_ORDER = (
    "certified",
    "certified-given-conjecture",
    "statistical",
    "inconclusive",
    "unchecked",
    "refuted",
    "error",
)


@cache
def unchecked_reasons() -> dict[str, str]:
    """Why each statement without a module is not checked (``reasons`` in the data file)."""
    data = json.loads(PAPER_GRAPH_FILE.read_text(encoding="utf-8"))
    return {normalize_id(k): str(v) for k, v in (data.get("reasons") or {}).items()}


@cache
def declared_conjectures() -> frozenset[str]:
    data = json.loads(PAPER_GRAPH_FILE.read_text(encoding="utf-8"))
    return frozenset(normalize_id(n) for n in data.get("conjectures") or ())


@cache
def declared_definitions() -> frozenset[str]:
    """Appendix definitions whose ids look like lemmas' (``B.1``: the clipped-normal noise)."""
    data = json.loads(PAPER_GRAPH_FILE.read_text(encoding="utf-8"))
    return frozenset(normalize_id(n) for n in data.get("definitions") or ())


def own_status(node: str, lemmas: Mapping[str, Mapping]) -> str | None:
    """A node's own status; None for a definition without a module (it asserts nothing)."""
    lemma = lemmas.get(node)
    if lemma is None:
        definition = kind_of(node) == "definition" or node in declared_definitions()
        return None if definition else "unchecked"
    verdict = str(lemma.get("verdict") or "error")
    if verdict not in STATUS_ORDER:
        verdict = "error"
    conjecture = bool(lemma.get("conjecture")) or node in declared_conjectures()
    if conjecture and verdict == "certified":
        return "certified-given-conjecture"
    return verdict


@dataclass(frozen=True)
class Effective:
    """A node's effective status and the statements that set it (empty when its own does)."""

    status: str
    own: str | None
    weakest: tuple[str, ...]
    reason: str


def effective_statuses(graph: Graph, lemmas: Mapping[str, Mapping]) -> dict[str, Effective]:
    """Every node's effective status: the weakest own status over it and its ancestors.

    The reason says in words why a node is not plainly certified, and names the weakest
    ancestors; an unchecked node's reason is its entry in the data file's ``reasons``.
    """
    own = {node: own_status(node, lemmas) for node in graph.nodes}
    reasons = unchecked_reasons()
    found: dict[str, Effective] = {}
    for node in graph.nodes:
        members = [node, *sorted(graph.ancestors(node), key=sort_key)]
        statuses = [own[m] for m in members if own[m] is not None]
        if not statuses:
            text = reasons.get(node, "")
            found[node] = Effective("unchecked", None, (), text or "a definition, not checked")
            continue
        status = max(statuses, key=STATUS_ORDER.index)
        weakest = tuple(m for m in members if own[m] == status and m != node)
        words: list[str] = []
        if own[node] == "unchecked":
            words.append(reasons.get(node, "no module checks this statement"))
        if weakest and own[node] != status:
            words.append(f"rests on {', '.join(weakest)} ({status})")
        found[node] = Effective(status, own[node], weakest, "; ".join(words))
    return found
