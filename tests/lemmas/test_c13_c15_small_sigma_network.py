import dataclasses
from fractions import Fraction

import pytest

import lemmas.c13_c15_small_sigma_network as c13
from verify.core.errors import DomainError
from verify.core.registry import get
from verify.core.runner import evaluate, run_lemma, verdict_counts
from verify.core.verdict import Verdict, judge


@pytest.mark.parametrize("lemma_id", ["C.13", "C.14"])
def test_exact_lemmas_certify(lemma_id):
    lemma = dataclasses.replace(get(lemma_id), budget={"quick": 5})
    run = run_lemma(lemma, profile="quick", seed=0)
    assert verdict_counts(run)["certified"] == len(run.evaluations)


def test_c13_false_variant_inside_the_margin_is_refuted():
    # the identifier is not the sign at |t| = w/2: feeding points inside the margin must fail
    parts = c13._check_c13({"d": 3, "w": 0.5, "seed": 0}, {"K": Fraction(7)}, margin=Fraction(1, 2))
    assert any(judge(p.lhs, p.rhs) is Verdict.REFUTED for p in parts if p.name == "sign_off_walls")


def test_c13_c14_tightened_constants_are_refuted():
    for lemma_id, point in (("C.13", {"d": 3, "w": 0.5, "seed": 0}), ("C.14", {"B": 2.0})):
        result = evaluate(get(lemma_id), point, {"K": Fraction(6)}, 64)
        assert result.verdict is Verdict.REFUTED


def test_c14_switch_fails_beyond_its_bound():
    net = c13.switch_network(Fraction(1))
    assert net([0, Fraction(3)])[0] != 0  # |v| > B: switch(0, v) is not 0


def test_c15_runs_and_its_tightened_constant_is_refuted():
    lemma = get("C.15")
    point = {**lemma.examples[0], "samples": 1500}
    good = evaluate(lemma, point, lemma.stated_constants(), 64)
    assert good.verdict is Verdict.STATISTICAL
    # 1e-6: refuted at the run-wide level 1e-6 on the same and on fresh samples
    bad = evaluate(lemma, point, {"C15": Fraction(1, 10**6)}, 64)
    assert bad.verdict is Verdict.REFUTED
    assert bad.parts[0].refutation["outcome"] == "confirmed by an independent re-draw"


@pytest.mark.parametrize(
    "change", [{"R": 0.0}, {"eps": 1.0}, {"d_out": 0}, {"sigma": 0.0}, {"w": 5.0}]
)
def test_c15_bad_parameters_are_domain_errors(change):
    lemma = get("C.15")
    with pytest.raises(DomainError):
        evaluate(
            lemma, {**lemma.examples[0], **change}, lemma.stated_constants(), 64, user_input=True
        )


def test_c13_c14_bad_parameters_are_domain_errors():
    with pytest.raises(DomainError):
        evaluate(get("C.13"), {"d": 2, "w": 0.0}, {"K": Fraction(7)}, 64, user_input=True)
    with pytest.raises(DomainError):
        evaluate(get("C.14"), {"B": -1.0}, {"K": Fraction(8)}, 64, user_input=True)


def test_c14_bound_for_all_b_is_proved_and_can_fail(monkeypatch):
    # A switch whose v-weights are 3: |switch(b, v)| reaches 3|v| only for large b, a region a
    # handful of random points may miss; the cone proof must refute it at any B.
    from verify.maths.nets.relunet import Affine, ReluNet

    def too_steep(bound):
        B, one = Fraction(bound), Fraction(1)
        return ReluNet(
            (Affine([[B, 3 * one], [B, -3 * one]], [-B, -B]), Affine([[one, -one]], [0]))
        )

    good = c13._check_c14({"B": 2.0}, {"K": Fraction(8)})
    (proof,) = [p for p in good if p.name == "lipschitz_any_b"]
    assert judge(proof.lhs, proof.rhs) is Verdict.CERTIFIED
    monkeypatch.setattr(c13, "switch_network", too_steep)
    bad = c13._check_c14({"B": 2.0}, {"K": Fraction(8)})
    (proof,) = [p for p in bad if p.name == "lipschitz_any_b"]
    assert judge(proof.lhs, proof.rhs) is Verdict.REFUTED


def test_c13_bound_needs_flat_ends(monkeypatch):
    # clamp without its second unit: equal to sign at +-w's left end only, unbounded on the right
    from verify.maths.nets.relunet import Affine, ReluNet

    def ramp(w):
        w, one = Fraction(w), Fraction(1)
        return ReluNet((Affine([[1 / w], [1 / w]], [one, -one]), Affine([[one, 0]], [-one])))

    monkeypatch.setattr(c13, "clamp_network", ramp)
    parts = c13._check_c13({"d": 1, "w": 0.5, "seed": 0}, {"K": Fraction(7)})
    verdicts = {p.name: judge(p.lhs, p.rhs) for p in parts}
    assert verdicts["bounded_by_one"] is Verdict.REFUTED
    assert verdicts["witness_mismatches"] is Verdict.REFUTED


def test_c15_upper_end_is_distribution_free_and_above_the_sample_mean():
    from verify.maths.instance import Instance
    from verify.maths.nets.small_sigma import (
        SmallSigmaNetwork,
        error_upper_bound,
        sampled_error_terms,
    )
    from verify.maths.oneway import GoldreichFunction

    inst = Instance(GoldreichFunction(5, 3, 0), 3.0, 0.3)
    net = SmallSigmaNetwork(inst, 0.2, 0.45)
    err, inside, comb_square = sampled_error_terms(net, 2000, 3)
    hi, data = error_upper_bound(net, err, inside, comb_square, 1e-3)
    assert data["beyond_almost_sure_bound"] == 0  # the almost-sure bound holds at every draw
    assert float(hi.mid()) > float(err.mean())
    # a planted draw past the almost-sure bound on the good event makes the bound infinite
    planted = err.copy()
    index = int(inside.nonzero()[0][0])
    planted[index] = 10 * data["almost_sure_bound"]
    hi, data = error_upper_bound(net, planted, inside, comb_square, 1e-3)
    assert data["beyond_almost_sure_bound"] == 1 and not hi.is_finite()
