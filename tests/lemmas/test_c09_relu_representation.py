"""C.9: exact proofs on generated functions; false variants and tight constants are refuted."""

import dataclasses
from fractions import Fraction

import pytest

from verify.core.errors import DomainError
from verify.core.registry import get
from verify.core.runner import evaluate, run_lemma, verdict_counts
from verify.maths.nets.pwl import PiecewiseLinear, relu_network
from verify.maths.nets.relunet import float_error_bound


def test_quick_search_certifies_every_example(main_job_records):
    """The main job's C.9 record (its quick search, seed 0; tests/conftest.py), not a second
    run of the same search: every example, fixed and searched, is certified."""
    record = main_job_records["C.9"]
    assert record["verdicts"]["certified"] == record["examples"] > 20
    assert record["examples"] > len(get("C.9").examples)  # the search added examples
    found = record["constants"]
    assert 2.5 <= found["size_factor"]["empirical"] <= 3
    assert found["weight_factor"]["empirical"] <= 2


def test_network_equals_function_beyond_the_witness_points():
    f = PiecewiseLinear(
        (Fraction(-2), Fraction(1, 3), Fraction(5)),
        (Fraction(1), Fraction(-3), Fraction(2, 7), Fraction(0)),
        Fraction(4),
    )
    net = relu_network(f)
    for x in [Fraction(n, 7) for n in range(-100, 100)]:
        assert net([x])[0] == f(x)


def test_wrong_network_is_refuted():
    # A false variant: the construction without merging the duplicate unit double-counts a_1.
    lemma = get("C.9")
    params = {"breakpoints": ["0", "1"], "slopes": ["1", "2", "3"], "value": "0"}
    good = evaluate(lemma, params, lemma.stated_constants(), 64)
    assert good.verdict.value == "certified"
    f = PiecewiseLinear((Fraction(0), Fraction(1)), (Fraction(1), Fraction(2), Fraction(3)), 0)
    net = relu_network(f)
    broken = dataclasses.replace(net.layers[1], bias=(Fraction(1),))
    bad = dataclasses.replace(net, layers=(net.layers[0], broken))
    assert any(bad([x])[0] != f(x) for x in f.witness_points())


def test_tight_constants_are_refuted():
    lemma = dataclasses.replace(get("C.9"), budget={"quick": 10})
    for name, value in (("size_factor", Fraction(5, 2)), ("weight_factor", Fraction(3, 2))):
        run = run_lemma(lemma, constants={name: value})
        assert verdict_counts(run)["refuted"] > 0, name


def test_float_error_bound_is_not_vacuous():
    f = PiecewiseLinear(
        (Fraction(-1, 3), Fraction(2, 7)),
        (Fraction(1, 3), Fraction(-5, 7), Fraction(11, 3)),
        Fraction(1, 9),
    )
    net = relu_network(f)
    import torch

    module = net.to_torch(torch.float64)
    for x in (-2.3, 0.1, 3.7):
        y = module(torch.tensor([[x]], dtype=torch.float64)).item()
        error = abs(Fraction(y) - net([Fraction(x)])[0])
        bound = float_error_bound(net, [x])[0]
        assert error <= bound < Fraction(1, 10**12)


def test_points_outside_the_domain_are_refused():
    lemma = get("C.9")
    good = {"breakpoints": ["0", "1/2"], "slopes": ["1", "2", "3"], "value": "1/3"}
    for change in (
        {"breakpoints": ["1/2", "0"]},  # not increasing
        {"slopes": ["1", "2"]},  # k slopes need k - 1 breakpoints
        {"value": "x"},
        {"breakpoints": "0"},
        {"slopes": ["1"] * 65, "breakpoints": [str(i) for i in range(64)]},
        {"typo": 1},
    ):
        with pytest.raises(DomainError):
            evaluate(lemma, {**good, **change}, lemma.stated_constants(), 64, user_input=True)
    evaluate(lemma, good, lemma.stated_constants(), 64, user_input=True)
