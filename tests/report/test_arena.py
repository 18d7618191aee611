"""The arena page is drawn from an arena document alone."""

from __future__ import annotations

from verify.report.arena import write_arena_html
from verify.report.html import write_html


def _row(d_prime, success, evaluations, budget):
    return {
        "d": 6,
        "d_prime": d_prime,
        "beta": 0.006,
        "score": "exact",
        "budget": budget,
        "trials": 10,
        "successes": round(10 * success),
        "success": success,
        "interval": [max(0.0, success - 0.3), min(1.0, success + 0.3)],
        "closeness": {"metric": "m", "value": 0.1},
        "score_evaluations": evaluations,
        "seconds": 0.5,
    }


E1 = [
    {"delta": 0.01, "second_moment": 1.0, "r": 7e-4, "log10_proposals_bound": 10.2},
    {"delta": 0.01, "second_moment": 2.0, "r": 1e-3, "log10_proposals_bound": 15.6},
]

DOC = {
    "schema": 1,
    "meta": {"profile": "quick", "seed": 0, "d": 6, "beta": 0.006, "alpha": 0.05},
    "samplers": [
        {"name": "exact", "source": "project", "results": [_row(p, 1.0, 640, {}) for p in (1, 2)]},
        {
            "name": "dps",
            "source": "azula",
            "results": [
                _row(1, 0.5, 160, {"steps": 16}),
                _row(2, 0.2, 160, {"steps": 16}),
                _row(2, 0.3, 640, {"steps": 64}),
            ],
        },
        {
            "name": "rejection",
            "source": "project",
            "results": [
                {**_row(1, 1.0, 4000, {}), "e1": E1[0]},
                {**_row(2, 1.0, 40000, {}), "e1": E1[1]},
            ],
        },
    ],
}


def test_page_plots_and_index_link(tmp_path):
    page = write_arena_html(DOC, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "The hardness arena" in text and "dps" in text and "azula" in text
    for name in (
        "arena-success-vs-dprime.png",
        "arena-success-vs-compute.png",
        "arena-rejection-cost.png",
    ):
        assert (tmp_path / name).is_file()
        assert name in text
    index = write_html({"meta": {}, "lemmas": []}, tmp_path)
    assert 'href="arena.html"' in index.read_text(encoding="utf-8")


def test_index_has_no_arena_link_without_the_page(tmp_path):
    index = write_html({"meta": {}, "lemmas": []}, tmp_path)
    assert "arena.html" not in index.read_text(encoding="utf-8")


def test_rejection_plot_draws_the_e1_bound(tmp_path, monkeypatch):
    import verify.report.arena as arena

    drawn = []
    original = arena.save

    def spy(fig, out_dir, name):
        for line in fig.axes[0].get_lines():
            drawn.append((name, line.get_label(), list(line.get_ydata())))
        return original(fig, out_dir, name)

    monkeypatch.setattr(arena, "save", spy)
    arena.plot_rejection_cost(DOC, tmp_path)
    bound = [ys for name, label, ys in drawn if "E.1" in label]
    assert bound == [[10.0**10.2, 10.0**15.6]]
