"""C.10: exact counts and bounds of parallel networks; refuted below the stated constant."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from lemmas.c10_concatenation import C10
from verify.core.errors import DomainError
from verify.core.runner import evaluate, run_lemma, verdict_counts


def test_examples_and_search_are_certified() -> None:
    run = run_lemma(dataclasses.replace(C10, budget={"quick": 10}), profile="quick", seed=0)
    counts = verdict_counts(run)
    assert counts["certified"] == len(run.evaluations) and counts["certified"] >= 3


def test_equal_depths_counts_add_exactly() -> None:
    ev = evaluate(C10, C10.examples[0], C10.stated_constants(), 64)
    parts = {p.name: p for p in ev.parts}
    assert parts["count_upper"].lhs["mid"] == parts["count_lower"].rhs["mid"]
    assert parts["count_upper"].empirical == 1.0
    assert parts["block_diagonal"].verdict.value == "certified"


def test_refuted_below_the_constant() -> None:
    only = dataclasses.replace(C10, budget={"quick": 0})
    run = run_lemma(only, profile="quick", seed=0, constants={"C10": Fraction(1, 2)})
    assert verdict_counts(run)["refuted"] == len(C10.examples)


def test_domain_errors() -> None:
    bad = (
        {"nets": []},
        {"nets": [[1]]},
        {"nets": [[1, 9]]},
        {"nets": [[1, 2]], "seed": -1},
        {"nets": [[1, 2]], "sed": 3},  # a misspelt name is refused, not defaulted
    )
    for params in bad:
        with pytest.raises(DomainError):
            evaluate(C10, params, C10.stated_constants(), 64, user_input=True)


def test_function_is_proved_for_all_inputs_with_padding() -> None:
    ev = evaluate(C10, C10.examples[1], C10.stated_constants(), 64)  # depths differ: padded
    parts = {p.name: p for p in ev.parts}
    assert parts["function_everywhere"].verdict.value == "certified"


def test_a_wrong_padding_is_not_proved() -> None:
    import random

    from lemmas.c10_concatenation import _pads_exactly, random_net
    from verify.maths.nets.relunet import Affine, ReluNet, deepen

    net = random_net(random.Random(3), 1, [2, 3])
    padded = deepen(net, 3)
    assert _pads_exactly(padded, net)
    last = padded.layers[-1]
    wrong_bias = Affine(last.weight, [Fraction(1, 2), *last.bias[1:]])
    assert not _pads_exactly(ReluNet((*padded.layers[:-1], wrong_bias)), net)
