"""Lemma.profile_examples: fixed examples that run from one profile upward, in every runner."""

from fractions import Fraction

import pytest
from hypothesis import strategies as st

import verify.core.registry as registry
from verify.core.contract import Lemma, Part, fixed_examples
from verify.core.runner import run_lemma
from verify.core.schedule import plan, run_lemmas


def _check(params, constants):
    return [Part("x_le_10", Fraction(params["x"]), Fraction(10))]


TOY = Lemma(
    id="Toy.profile",
    title="toy",
    statement="x <= 10",
    domain="0 <= x <= 9",
    constants=[],
    check=_check,
    params=lambda: st.fixed_dictionaries({"x": st.integers(0, 9)}),
    examples=[{"x": 1}],
    profile_examples={"standard": [{"x": 2}, {"x": 3}], "thorough": [{"x": 4}]},
    budget={"quick": 3, "standard": 7, "thorough": 9},
)


def test_fixed_examples_accumulate_from_their_profile_upward():
    assert fixed_examples(TOY, "quick") == [{"x": 1}]
    assert fixed_examples(TOY, "standard") == [{"x": 1}, {"x": 2}, {"x": 3}]
    assert fixed_examples(TOY, "thorough") == [{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}]


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        Lemma(
            id="Toy.bad",
            title="toy",
            statement="",
            domain="",
            constants=[],
            check=_check,
            params=lambda: st.just({"x": 0}),
            profile_examples={"quik": [{"x": 2}]},
        )


def test_run_lemma_checks_the_profile_examples_first():
    quick = run_lemma(TOY, profile="quick", seed=0)
    assert [e.params for e in quick.evaluations[:1]] == [{"x": 1}]
    standard = run_lemma(TOY, profile="standard", seed=0)
    assert [e.params for e in standard.evaluations[:3]] == [{"x": 1}, {"x": 2}, {"x": 3}]


@pytest.mark.parametrize("jobs", [1, 2])
def test_schedule_runs_them_in_shard_zero_for_every_jobs(monkeypatch, jobs):
    import verify.core.schedule as schedule

    monkeypatch.setattr(registry, "get", lambda lemma_id: TOY)
    monkeypatch.setitem(schedule.SHARD_EXAMPLES, "standard", 3)
    shards = plan(TOY, "standard", 0)
    assert len(shards) == 3 and [s.with_fixed_examples for s in shards] == [True, False, False]
    (run,) = run_lemmas([TOY], profile="standard", seed=0, jobs=jobs)
    params = [e.params for e in run.evaluations]
    assert params[:3] == [{"x": 1}, {"x": 2}, {"x": 3}] and {"x": 4} not in params[:3]
    (serial,) = run_lemmas([TOY], profile="standard", seed=0, jobs=1)
    assert params == [e.params for e in serial.evaluations]
