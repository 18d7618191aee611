"""Def.1.3: the network-driven reverse SDE is not refuted as a (tau, delta) sampler; a sampler
shifted by 3 tau is."""

from __future__ import annotations

import pytest

import lemmas.def13_unconditional_sampler as def13
from verify.core.runner import evaluate
from verify.core.verdict import Verdict

# smaller than the lemma's example (d = 16, shared with Thm.1.4) to keep the test short
POINT = {"d": 8, "steps": 60, "samples": 600, "tau": 0.25, "delta": 0.05, "seed": 0}


# One worker runs the module, so the unmutated run below is made once.
pytestmark = pytest.mark.xdist_group("def13")


def _part(point):
    result = evaluate(def13.DEF13, point, {}, 64)
    return {p.name: p for p in result.parts}["closeness_lower"]


@pytest.fixture(scope="module")
def unmutated():
    """Def.1.3 at POINT, stated constants: what the model mutant is compared with, and the
    network sampler's own verdict (one run of the network SDE, ~2 s, for both tests)."""
    from tests.lemmas.model_mutants import unmutated_run

    return unmutated_run(def13.DEF13, [POINT])


def test_network_sampler_is_not_refuted(unmutated) -> None:
    (evaluation,) = unmutated.evaluations
    part = {p.name: p for p in evaluation.parts}["closeness_lower"]
    assert part.verdict is Verdict.STATISTICAL


def test_sampler_shifted_by_three_tau_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    def shifted(sde, tau):
        moved = sde.clone()
        moved[:, 0] += 3 * tau
        return moved

    monkeypatch.setattr(def13, "_sampler_output", shifted)
    part = _part(POINT)
    assert part.verdict is Verdict.REFUTED
    assert part.refutation["outcome"] == "confirmed by an independent re-draw"


def test_model_mutants_are_caught(unmutated) -> None:
    from tests.lemmas.model_mutants import assert_all_caught

    summary = assert_all_caught(def13.DEF13, [POINT], base=unmutated)
    assert summary["caught"] == 1
