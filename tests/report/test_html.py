"""The HTML report: blueprint graph, summary table, lemma pages, offline MathML."""

from __future__ import annotations

import json
import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

from verify.core.registry import all_lemmas
from verify.report.blueprint import build_graph, kind_of, layout, normalize_id, paper_graph
from verify.report.formulas import LatexError, formula, render, to_mathml
from verify.report.html import page_name, results_graph, write_html

# One worker runs the module in a row, so the sample reports (module fixtures) are written once
# per session (interleaved with other modules, a module fixture is torn down and made again).
pytestmark = pytest.mark.xdist_group("html")


def _part(
    name: str,
    verdict: str,
    lhs: float,
    rhs: float,
    constant: str | None = None,
    empirical: float | None = None,
    kind: str = "certified",
) -> dict[str, Any]:
    def ball(x: float) -> dict[str, float]:
        return {"mid": x, "lo": x - 1e-12, "hi": x + 1e-12, "rad": 1e-12}

    return {
        "name": name,
        "kind": kind,
        "verdict": verdict,
        "lhs": ball(lhs),
        "rhs": ball(rhs),
        "ratio": lhs / rhs,
        "constant": constant,
        "empirical": empirical,
        "confidence": 0.99 if kind == "statistical" else None,
        "note": "",
    }


def _constant(
    value: str, stated: str, empirical: float | None, sense: str = "upper", overridden: bool = False
) -> dict[str, Any]:
    numerator, _, denominator = value.partition("/")
    as_float = int(numerator) / int(denominator or 1)
    return {
        "value": value,
        "float": as_float,
        "stated": stated,
        "provenance": "derived in the module docstring from $T(q) \\le 2q/(1-q)$",
        "sense": sense,
        "overridden": overridden,
        "empirical": empirical,
        "worst_params": {"sigma": 0.5, "eps": 0.25} if empirical is not None else None,
    }


def sample_results() -> dict[str, Any]:
    """A hand-written results.json (schema 1) with every verdict and both constant senses."""
    c16_records = [
        {
            "params": {"sigma": 0.5 + i / 10, "eps": 0.25, "theta": 0.0, "x": i / 3},
            "verdict": "certified",
            "precision": 64,
            "error": None,
            "parts": [
                _part("value", "certified", 0.5 + i / 100, 1.0, "C_value", 0.5 + i / 100),
                _part("closed form = direct", "certified", 0.0, 1e-15),
            ],
        }
        for i in range(6)
    ]
    c9_records = [
        {
            "params": {"k": 3},
            "verdict": "refuted",
            "precision": 64,
            "error": None,
            "parts": [_part("parameter bound", "refuted", 7.0, 6.0, "B_factor", 3.5)],
        },
        {
            "params": {"k": 2},
            "verdict": "error",
            "precision": 64,
            "error": "ZeroDivisionError: division by zero\nTraceback ...",
            "parts": [],
        },
    ]
    h1_records = [
        {
            "params": {"kappa": 0.5, "atoms": 3},
            "verdict": "inconclusive",
            "precision": 1024,
            "error": None,
            "parts": [_part("expectation", "inconclusive", 1.0, 1.0, "K", 1.0)],
        },
        {
            "params": {"kappa": 0.25, "atoms": 2},
            "verdict": "statistical",
            "precision": 64,
            "error": None,
            "parts": [_part("sampled", "statistical", 0.4, 1.0, "K", 0.4, kind="statistical")],
        },
    ]
    return {
        "schema": 1,
        "meta": {
            "versions": {"dpsverify": "0.1.0", "python-flint": "0.9.0", "python": "3.11.7"},
            "seed": 0,
            "profile": "quick",
            "precision": 64,
            "started": "2026-11-23T02:00:00Z",
            "wall_seconds": 12.5,
            "overrides": {"C.9": {"B_factor": "3"}},
        },
        "lemmas": [
            {
                "id": "C.16",
                "title": "Fourier closeness of the smoothed comb",
                "statement": r"|\psi_{\theta,\sigma}(x) - \phi_{\sqrt v}(x)| \le "
                r"\phi_{\sqrt v}(x) \frac{T(q) + T(q_0)}{1 - T(q_0)}",
                "domain": "$\\sigma > 0$, $0 < \\varepsilon \\le 1$, x real",
                "depends_on": [],
                "constants": {"C_value": _constant("1", "1", 0.55)},
                "examples": 6,
                "verdict": "certified",
                "verdicts": {
                    "certified": 6,
                    "statistical": 0,
                    "inconclusive": 0,
                    "refuted": 0,
                    "error": 0,
                },
                "worst": {
                    "params": c16_records[-1]["params"],
                    "part": "value",
                    "lhs": 0.55,
                    "rhs": 1.0,
                    "ratio": 0.55,
                    "verdict": "certified",
                },
                "empirical_constant": 0.55,
                "primary_constant": "C_value",
                "seconds": 2.0,
                "examples_per_second": 3.0,
                "plots": ["c16_ratio.png"],
                "records": c16_records,
            },
            {
                "id": "C.9",
                "title": "ReLU representation of piecewise-linear functions",
                "statement": r"f(x) = f(t_1) + a_0 (\mathrm{ReLU}(x - t_1) - "
                r"\mathrm{ReLU}(t_1 - x)) + \sum_{i=1}^{k-1} (a_i - a_{i-1}) "
                r"\mathrm{ReLU}(x - t_i)",
                "domain": "k pieces, rational breakpoints",
                "depends_on": [],
                "constants": {"B_factor": _constant("3", "2", 3.5, overridden=True)},
                "examples": 2,
                "verdict": "error",
                "verdicts": {
                    "certified": 0,
                    "statistical": 0,
                    "inconclusive": 0,
                    "refuted": 1,
                    "error": 1,
                },
                "worst": {
                    "params": {"k": 3},
                    "part": "parameter bound",
                    "lhs": 7.0,
                    "rhs": 6.0,
                    "ratio": 7 / 6,
                    "verdict": "refuted",
                },
                "empirical_constant": 3.5,
                "primary_constant": "B_factor",
                "seconds": 0.5,
                "examples_per_second": 4.0,
                "plots": [],
                "records": c9_records,
            },
            {
                "id": "H.1",
                "title": "Score smoothness",
                "statement": r"\mathbb{E}_{x\sim p_\sigma}\left[\sup_{|c|\le\varepsilon} "
                r"s_\sigma'(x+c)^2\right] \le \frac{K(\kappa)}{\sigma^4} \weirdmacro",
                "domain": "atomic laws",
                "depends_on": ["H.3", "H.4"],
                "constants": {
                    "K": _constant("5", "5", 1.0),
                    "k_low": _constant("1/10", "1/10", 0.3, sense="lower"),
                },
                "examples": 2,
                "verdict": "inconclusive",
                "verdicts": {
                    "certified": 0,
                    "statistical": 1,
                    "inconclusive": 1,
                    "refuted": 0,
                    "error": 0,
                },
                "worst": {
                    "params": {"kappa": 0.5, "atoms": 3},
                    "part": "expectation",
                    "lhs": 1.0,
                    "rhs": 1.0,
                    "ratio": 1.0,
                    "verdict": "inconclusive",
                },
                "empirical_constant": 1.0,
                "primary_constant": "K",
                "seconds": 10.0,
                "examples_per_second": 0.2,
                "plots": [],
                "records": h1_records,
            },
            {
                "id": "H.3",
                "title": "Shift identity",
                "statement": r"Z \mid X = x + c",
                "domain": "sigma > 0",
                "depends_on": [],
                "constants": {},
                "examples": 1,
                "verdict": "statistical",
                "verdicts": {
                    "certified": 0,
                    "statistical": 1,
                    "inconclusive": 0,
                    "refuted": 0,
                    "error": 0,
                },
                "worst": None,
                "empirical_constant": None,
                "primary_constant": None,
                "seconds": 0.1,
                "examples_per_second": 10.0,
                "plots": [],
                "records": [],
            },
        ],
    }


def _stub(lemma_id: str, depends_on: list[str], statement: str) -> dict[str, Any]:
    """A checked lemma with its real statement, one certified example and nothing else."""
    return {
        "id": lemma_id,
        "title": f"stub {lemma_id}",
        "statement": statement,
        "domain": "x real",
        "depends_on": depends_on,
        "constants": {},
        "examples": 1,
        "verdict": "certified",
        "verdicts": {"certified": 1},
        "worst": None,
        "empirical_constant": None,
        "primary_constant": None,
        "seconds": 0.01,
        "examples_per_second": 100.0,
        "plots": [],
        "records": [],
    }


def full_sample_results() -> dict[str, Any]:
    """The sample, plus a stub for every other registered lemma with its real ``depends_on``:
    the whole paper's graph, as a run of every lemma draws it."""
    results = sample_results()
    present = {lemma["id"] for lemma in results["lemmas"]}
    results["lemmas"] += [
        _stub(lemma_id, list(lemma.depends_on), lemma.statement)
        for lemma_id, lemma in all_lemmas().items()
        if lemma_id not in present
    ]
    return results


def tiny_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A valid solid-colour PNG, written by hand so the fixture needs no plotting library."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def write_sample_report(out_dir: Path, *, full: bool = False) -> Path:
    results = full_sample_results() if full else sample_results()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results), encoding="utf-8")
    (out_dir / "c16_ratio.png").write_bytes(tiny_png(64, 48))
    return write_html(results, out_dir)


class _Collector(HTMLParser):
    """Collects tags and attributes, and fails on mismatched nesting of the tags we write."""

    VOID: ClassVar[set[str]] = {
        "meta",
        "img",
        "br",
        "link",
        "input",
        "hr",
        "path",
        "rect",
        "ellipse",
        "polygon",
        "mspace",
    }

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()


def parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    collector.close()
    assert collector.stack == [], f"unclosed tags {collector.stack}"
    return collector


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_report(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_report(tmp_path_factory.mktemp("full-report"), full=True)


def test_writes_index_and_one_page_per_lemma(report: Path) -> None:
    assert report.name == "index.html"
    pages = sorted(p.name for p in report.parent.glob("lemma-*.html"))
    assert pages == ["lemma-C.16.html", "lemma-C.9.html", "lemma-H.1.html", "lemma-H.3.html"]
    for page in [report, *report.parent.glob("lemma-*.html")]:
        parse(page)


def test_report_is_offline(report: Path) -> None:
    for page in [report, *report.parent.glob("lemma-*.html")]:
        text = page.read_text(encoding="utf-8")
        tags = parse(page).tags
        assert not any(tag == "script" for tag, _ in tags), "the report must need no script"
        assert not any(tag == "link" for tag, _ in tags), "no external stylesheet or font"
        for _, attrs in tags:
            for name in ("src", "href"):
                value = attrs.get(name) or ""
                assert not re.match(r"^(https?:)?//", value), f"{page.name}: {name}={value}"
        assert "@import" not in text and "@font-face" not in text and "url(http" not in text


def test_graph_nodes_cover_the_paper_and_link_checked_lemmas(full_report: Path) -> None:
    tags = parse(full_report).tags
    nodes = {attrs["data-id"]: attrs for tag, attrs in tags if tag == "g" and "data-id" in attrs}
    paper = paper_graph()
    assert set(paper.nodes) | set(all_lemmas()) <= set(nodes)
    assert nodes["C.16"]["data-verdict"] == "certified"
    assert nodes["C.9"]["data-verdict"] == "error"
    assert nodes["H.1"]["data-verdict"] == "inconclusive"
    assert nodes["L.3.4"]["data-verdict"] == "not checked"
    assert "unchecked" in nodes["L.3.4"]["class"]
    assert nodes["L.3.4"]["data-reason"], "a grey node gives its reason"
    assert nodes["Thm.1.8"]["data-kind"] == "theorem"
    assert nodes["Cor.3.5"]["data-kind"] == "corollary"
    assert nodes["Def.1.1"]["data-kind"] == "definition"
    links = {attrs.get("href") for tag, attrs in tags if tag == "a"}
    assert {"lemma-C.16.html", "lemma-C.9.html", "lemma-H.1.html"} <= links
    assert "lemma-L.3.4.html" not in links
    edges = {(a["data-from"], a["data-to"]) for t, a in tags if t == "path" and "data-from" in a}
    declared = {(dep, i) for i, lemma in all_lemmas().items() for dep in lemma.depends_on}
    assert edges == declared | set(paper.edges)


def test_lemma_incoming_edges_are_exactly_its_depends_on() -> None:
    """One source per edge: a checked lemma's incoming edges are its ``depends_on``, and the
    data file holds only statements without a module and the edges into them."""
    registered = all_lemmas()
    paper = paper_graph()
    assert not set(paper.nodes) & set(registered), "a statement with a module is in the data file"
    assert not {b for _, b in paper.edges} & set(registered), "data-file edge into a lemma"
    graph = results_graph(full_sample_results())
    for lemma_id, lemma in registered.items():
        assert set(graph.predecessors(lemma_id)) == set(lemma.depends_on), lemma_id
    for source, target in graph.edges:
        if target in registered:
            assert source in registered[target].depends_on, (source, target)
    # A data-file edge cannot override a lemma's own declaration.
    stray = build_graph({"C.16": []}, [("H.1", "C.16")])
    assert stray.predecessors("C.16") == []


def test_paper_edges_follow_the_proofs() -> None:
    graph = results_graph(full_sample_results())
    assert graph.predecessors("L.3.4") == ["B.4", "G.2"]
    assert graph.predecessors("B.5") == ["B.4"]
    assert set(graph.predecessors("Thm.1.9")) == {"B.5", "Cor.3.5", "G.4"}
    assert set(graph.predecessors("Thm.1.8")) == {"Cor.3.5", "G.4", "L.3.4"}
    assert graph.predecessors("Thm.1.7") == ["E.2", "Thm.1.4"]
    assert {"E.1", "H.9", "H.11"} <= set(graph.predecessors("E.2"))
    assert {"H.5", "H.6", "H.7"} <= set(graph.predecessors("H.8"))


def test_index_summary_table_and_timing(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert 'id="summary"' in text
    assert "12.50 s" in text  # total wall time from meta.seconds
    assert "Fourier closeness of the smoothed comb" in text
    summary = text[text.index('id="summary"') :]
    assert "0.55" in summary and "3" in summary  # empirical constant and examples/s of C.16
    assert "overridden" in summary  # C.9's constant was set on the command line
    assert 'id="overrides"' in text and "C.9.B_factor = 3 (stated 2)" in text


def test_lemma_page_contents(report: Path) -> None:
    page = (report.parent / "lemma-C.16.html").read_text(encoding="utf-8")
    assert "<math" in page and "<mfrac>" in page  # the statement is MathML
    assert 'src="c16_ratio.png"' in page
    assert (report.parent / "c16_ratio.png").exists()
    assert 'id="constants"' in page and "C_value" in page
    assert "2.00 s" in page and ">3<" in page  # seconds and examples/s
    assert "derived in the module docstring" in page  # provenance
    h1 = (report.parent / "lemma-H.1.html").read_text(encoding="utf-8")
    # An unknown macro is shown by name, marked, and the rest still renders as MathML.
    assert "<merror" in h1 and "\\weirdmacro" in h1 and "<mfrac>" in h1
    assert 'href="lemma-H.3.html"' in h1  # a checked dependency links to its page
    assert "H.4" in h1 and "not checked" in h1  # an unchecked one is shown greyed
    assert 'href="lemma-C.1.html"' not in h1  # C.1 (used by H.1) is not checked: no link
    c9 = (report.parent / "lemma-C.9.html").read_text(encoding="utf-8")
    assert "ZeroDivisionError" in c9  # the error record is shown


def test_graph_layout_is_deterministic_and_acyclic() -> None:
    graph = build_graph({"X.1": ["C.16"]})
    first, width, height = layout(graph)
    second, _, _ = layout(build_graph({"X.1": ["C.16"]}))
    assert first == second
    for source, target in graph.edges:
        assert first[source].layer < first[target].layer, (source, target)
    positions = {(p.x, p.y) for p in first.values()}
    assert len(positions) == len(first)
    assert all(0 < p.x < width and 0 < p.y < height for p in first.values())


def test_graph_survives_a_dependency_cycle() -> None:
    graph = build_graph({"Q.2": ["Q.1"], "Q.1": ["Q.2"]})
    placed, _, _ = layout(graph)
    assert {"Q.1", "Q.2"} <= set(placed)


def test_ids_and_kinds() -> None:
    assert normalize_id("L3.3") == "L.3.3"
    assert normalize_id("Cor 3.5") == "Cor.3.5"
    assert normalize_id("Thm 1.8") == "Thm.1.8"
    assert normalize_id("C.16") == "C.16"
    assert kind_of("Thm.1.7") == "theorem" and kind_of("H.1") == "lemma"
    assert kind_of("Def.3.1") == "definition"
    assert page_name("Cor.3.5") == "lemma-Cor.3.5.html"
    assert page_name("a/b c") == "lemma-a_b_c.html"


@pytest.mark.parametrize(
    ("latex", "fragments"),
    [
        (r"\frac{a}{b}", ["<mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac>"]),
        (r"\sqrt{2\pi v}", ["<msqrt>", "<mi>π</mi>"]),
        (r"x_i^2", ["<msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup>"]),
        (r"s'(x)", ["<msup><mi>s</mi><mi>′</mi></msup>"]),
        (r"\sum_{j\ge 1} q^{j^2}", ["<mo>∑</mo>", "≥", "<msup><mi>j</mi><mn>2</mn></msup>"]),
        (r"\mathbb{E}\,\mathbb{R}", ["𝔼", "ℝ"]),
        (
            r"\left( x \right]",
            ['fence="true" form="prefix">(</mo>', 'fence="true" form="postfix">]</mo>'],
        ),
        (r"\text{if } x", ["<mtext>if\u00a0</mtext>"]),
        (r"\begin{cases} 1 & x \\ 0 & y \end{cases}", ["<mtable", "<mtr>"]),
        (r"a < b", ["<mo>&#x0003C;</mo>"]),
        (r"\tfrac14", ["<mfrac><mn>1</mn><mn>4</mn></mfrac>"]),
        (r"\bar\Phi", ["<mover><mi>Φ</mi><mo", "¯</mo></mover>"]),
    ],
)
def test_mathml_conversion(latex: str, fragments: list[str]) -> None:
    out = to_mathml(latex)
    for fragment in fragments:
        assert fragment in out, (fragment, out)
    assert "application/x-tex" in out


@pytest.mark.parametrize("latex", [r"\unknown", r"\frac{1}{", r"x}", r"\begin{foo}x\end{foo}"])
def test_mathml_rejects_what_it_does_not_understand(latex: str) -> None:
    with pytest.raises(LatexError):
        to_mathml(latex)
    shown = formula(latex)
    assert 'class="latex"' in shown or "<merror" in shown


def test_render_mixes_prose_and_math() -> None:
    out = render(r"For every law $p$ on $\mathbb{R}$ and $a<b$: $$\frac{1}{\sigma^2}$$")
    assert out.startswith("For every law <math")
    assert out.count("<math") == 4
    assert 'display="block"' in out


def test_report_into_another_folder_copies_the_plots(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    write_sample_report(run_dir)
    results = json.loads((run_dir / "results.json").read_text())
    index = write_html(results, tmp_path / "site", plots_dir=run_dir)
    assert (index.parent / "c16_ratio.png").read_bytes() == (run_dir / "c16_ratio.png").read_bytes()
    assert 'src="c16_ratio.png"' in (index.parent / "lemma-C.16.html").read_text()


def test_b2_statement_has_stacked_fractions_and_bars(full_report: Path) -> None:
    page = (full_report.parent / "lemma-B.2.html").read_text(encoding="utf-8")
    statement = page[page.index('id="statement"') : page.index("</semantics>")]
    assert "<mfrac><mn>1</mn><mn>4</mn></mfrac>" in statement  # \tfrac14, stacked
    assert re.search(r"<mover><mi>Φ</mi><mo[^>]*>¯</mo></mover>", statement)  # \bar\Phi
