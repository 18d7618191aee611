"""Def.1.1: covariance certified, score-error exceedance statistical (distribution-free), size
exponents certified; a tightened K, a planted wrong network and a tightened exponent are
refuted."""

import dataclasses
from fractions import Fraction

import verify.maths.nets.instance_network as family
from verify.core.registry import get
from verify.core.runner import evaluate, run_lemma, verdict_counts

CHEAP = {"d": 8, "sigma_index": 9, "samples": 200, "seed": 3}


def _constants(**changes):
    constants = get("Def.1.1").stated_constants()
    constants.update({k: Fraction(v) for k, v in changes.items()})
    return constants


def test_quick_profile_passes_without_inconclusive(main_job_records):
    """The main job's Def.1.1 record (its quick search, seed 0; tests/conftest.py), not a second
    quick search (it was seed 1)."""
    record = main_job_records["Def.1.1"]
    counts = record["verdicts"]
    assert counts["refuted"] == counts["inconclusive"] == counts["error"] == 0
    assert counts["statistical"] == record["examples"] == len(record["records"]) >= 3
    for evaluation in record["records"]:
        parts = {p["name"]: p for p in evaluation["parts"]}
        assert parts["head_variance"]["verdict"] == "certified"
        assert parts["comb_variance"]["verdict"] == "certified"
    lemma = get("Def.1.1")
    parts = {p.name: p for p in lemma.check(CHEAP, lemma.stated_constants())}
    assert parts["error_quantile"].redraw is not None


def test_tightened_K_is_refuted_on_redraw():
    lemma = get("Def.1.1")
    result = evaluate(lemma, CHEAP, _constants(K=Fraction(1, 10**14)), 64)
    assert result.verdict.value == "refuted"


def test_network_with_planted_offset_is_refuted(monkeypatch):
    original = family.grid_network

    class Offset:
        def __init__(self, net):
            self._net = net

        def __getattr__(self, name):
            return getattr(self._net, name)

        def __call__(self, x, sigma=None):
            return self._net(x) + 1.0

    monkeypatch.setattr(family, "grid_network", lambda d, i, g: Offset(original(d, i, g)))
    result = evaluate(get("Def.1.1"), CHEAP, _constants(), 64)
    assert result.verdict.value == "refuted"


def test_tightened_parameter_exponent_is_refuted():
    lemma = dataclasses.replace(get("Def.1.1"), budget={"quick": 1})
    run = run_lemma(lemma, constants=_constants(parameter_exponent=Fraction(1, 2)))
    assert verdict_counts(run)["refuted"] > 0


def test_tightened_covariance_is_refuted():
    result = evaluate(get("Def.1.1"), CHEAP, _constants(covariance=Fraction(99, 100)), 64)
    assert result.verdict.value == "refuted"


def test_expectation_form_where_its_upper_end_is_certified():
    # large sigma: both ends of sigma^2 E X, distribution-free; small sigma: no pass claimed
    lemma = get("Def.1.1")
    large = {p.name: p for p in evaluate(lemma, CHEAP, _constants(), 64).parts}
    mean = large["score_error"]
    assert mean.verdict.value == "statistical"
    assert "empirical Bernstein" in mean.data["upper_end"]
    assert mean.data["beyond_almost_sure_bound"] == 0
    small_point = {"d": 8, "sigma_index": 0, "samples": 200, "seed": 1}
    small = {p.name: p for p in evaluate(lemma, small_point, _constants(), 64).parts}
    assert "score_error" not in small  # the screen only ever refutes
    assert small["error_quantile"].verdict.value == "statistical"


def test_small_sigma_screen_refutes_a_tightened_K(monkeypatch):
    import lemmas.def11_well_modeled as module

    monkeypatch.setattr(module, "_size_parts", lambda *args: [])  # the networks at 2d, 4d
    lemma = get("Def.1.1")
    point = {"d": 8, "sigma_index": 0, "samples": 100, "seed": 1}
    parts = {p.name: p for p in evaluate(lemma, point, _constants(K=Fraction(1, 10**7)), 64).parts}
    assert parts["score_error"].verdict.value == "refuted"
    assert "refute-only" in parts["score_error"].note


def _fake_family(monkeypatch, table):
    """grid_network(d, index, grid) -> a stand-in with the given regime and parameter count."""
    import types

    import lemmas.def11_well_modeled as module

    def grid_network(d, index, grid):
        regime, parameters = table[d]
        size = types.SimpleNamespace(parameters=parameters, max_abs_parameter=10.0)
        return types.SimpleNamespace(regime=regime, size=lambda: size)

    monkeypatch.setattr(module.family, "grid_network", grid_network)
    return module


def test_size_exponent_skips_the_pair_across_the_regime_switch(monkeypatch):
    # The seed-2 standard false refutation: d = 16, 32 large-sigma networks, d = 64 small-sigma
    # (3168, 6144, 43052: log2(43052/6144) = 2.81 > 2 compares two constructions).
    module = _fake_family(
        monkeypatch, {16: ("large", 3168), 32: ("large", 6144), 64: ("small", 43052)}
    )
    parts = {p.name: p for p in module._size_parts(16, 3, _constants())}
    exponent = parts["parameter_exponent"]
    assert exponent.lhs < exponent.rhs  # arb: certainly below the stated 2
    assert parts["parameter_exponent"].data["regimes"] == ["large", "large", "small"]
    assert len(parts["parameter_exponent"].data["local_range"]) == 1


def test_size_exponent_within_one_regime_still_refutes(monkeypatch):
    module = _fake_family(
        monkeypatch, {16: ("small", 3168), 32: ("small", 6144), 64: ("small", 43052)}
    )
    parts = {p.name: p for p in module._size_parts(16, 3, _constants())}
    exponent = parts["parameter_exponent"]
    assert exponent.lhs > exponent.rhs  # arb: certainly above the stated 2
