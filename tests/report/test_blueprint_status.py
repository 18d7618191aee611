"""Effective status: each node's fill is the weakest status over it and its ancestors."""

from __future__ import annotations

from verify.report.blueprint import (
    build_graph,
    effective_statuses,
    paper_graph,
    unchecked_reasons,
)
from verify.report.html import graph_svg, index_html, status_counts


def _lemma(verdict: str, depends_on: list[str], **extra) -> dict:
    return {"verdict": verdict, "depends_on": depends_on, **extra}


def test_weakest_ancestor_sets_the_effective_status() -> None:
    lemmas = {
        "H.3": _lemma("certified", []),
        "H.1": _lemma("statistical", ["H.3"]),
        "C.1": _lemma("certified", ["H.1"]),
        "C.4": _lemma("refuted", ["C.1"]),
        "C.11": _lemma("certified", ["C.4"]),
    }
    graph = build_graph({k: v["depends_on"] for k, v in lemmas.items()})
    found = effective_statuses(graph, lemmas)
    assert found["H.3"].status == "certified" and found["H.3"].reason == ""
    assert found["C.1"].status == "statistical" and found["C.1"].own == "certified"
    assert "H.1" in found["C.1"].weakest and "rests on H.1" in found["C.1"].reason
    assert found["C.11"].status == "refuted" and found["C.11"].weakest == ("C.4",)


def test_conjecture_gives_certified_given_a_conjecture() -> None:
    lemmas = {
        "H.1": _lemma("certified", [], conjecture=True),
        "C.1": _lemma("certified", ["H.1"]),
        "C.3": _lemma("statistical", ["H.1"]),
    }
    graph = build_graph({k: v["depends_on"] for k, v in lemmas.items()})
    found = effective_statuses(graph, lemmas)
    assert found["H.1"].status == "certified-given-conjecture"
    assert found["C.1"].status == "certified-given-conjecture"
    assert found["C.3"].status == "statistical"


def test_every_grey_node_has_a_reason() -> None:
    paper = paper_graph()
    reasons = unchecked_reasons()
    assert set(paper.nodes) <= set(reasons), set(paper.nodes) - set(reasons)
    lemmas = {"B.4": _lemma("certified", []), "G.2": _lemma("certified", [])}
    graph = build_graph({k: v["depends_on"] for k, v in lemmas.items()})
    for node, state in effective_statuses(graph, lemmas).items():
        if state.status == "unchecked":
            assert state.reason, node
    assert effective_statuses(graph, lemmas)["L.3.4"].status == "unchecked"


def test_svg_fill_is_effective_and_border_is_own_and_counts_show_both() -> None:
    results = {
        "meta": {},
        "lemmas": [
            {"id": "H.3", "title": "a", "verdict": "refuted", "depends_on": [], "verdicts": {}},
            {"id": "H.1", "title": "b", "verdict": "certified", "depends_on": ["H.3"]},
        ],
    }
    svg = graph_svg(results)
    node = svg[svg.index('data-id="H.1"') :].split("</g>", 1)[0]
    assert 'data-verdict="certified"' in node and 'data-effective="refuted"' in node
    assert 'fill="#f28b82"' in node and 'stroke="#1b5e20"' in node
    own, effective = status_counts(results)
    assert own["certified"] == 1 and effective["refuted"] == 2
    page = index_html(results)
    assert 'id="status-counts"' in page and "not numerical" in page


def test_lemma_page_states_its_effective_status() -> None:
    from verify.report.html import lemma_html

    results = {
        "meta": {},
        "lemmas": [
            {"id": "H.3", "title": "a", "verdict": "refuted", "depends_on": []},
            {"id": "H.1", "title": "b", "verdict": "certified", "depends_on": ["H.3"]},
        ],
    }
    page = lemma_html(results["lemmas"][1], results)
    assert 'id="effective"' in page and "<b>refuted</b>" in page and "rests on H.3" in page


def test_definitions_do_not_weaken_what_uses_them() -> None:
    lemmas = {"E.2": _lemma("certified", ["Def.1.5"])}
    graph = build_graph({k: v["depends_on"] for k, v in lemmas.items()})
    found = effective_statuses(graph, lemmas)
    assert found["E.2"].status == "certified"
    assert found["Def.1.5"].status == "unchecked" and found["Def.1.5"].reason
