"""Verdicts at precision p and 2p never contradict: a part CERTIFIED at one precision is never
REFUTED at the other (enclosures at both precisions contain the same true values, so a
contradiction would mean one of them does not). Random points of C.16, H.9 and C.6, drawn by
each lemma's own search strategy; both precisions retry an INCONCLUSIVE part as the runner does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.containment._profile import budget
from verify.core.registry import get
from verify.core.runner import evaluate
from verify.core.verdict import Verdict

CONTRADICTION = {Verdict.CERTIFIED, Verdict.REFUTED}
DETERMINISTIC = ("certified", "agreement")


@pytest.mark.parametrize("lemma_id", ["C.16", "H.9", "C.6"])
@budget(6, thorough_examples=300)
@given(data=st.data(), bits=st.sampled_from([53, 64, 96]))
def test_verdicts_at_p_and_2p_never_contradict(lemma_id, data, bits):
    lemma = get(lemma_id)
    params = data.draw(lemma.params(), label="params")
    constants = lemma.stated_constants()
    low = evaluate(lemma, params, constants, bits)
    high = evaluate(lemma, params, constants, 2 * bits)
    # Both must be real verdicts: an ERROR on either side would make the test vacuous.
    assert Verdict.ERROR not in (low.verdict, high.verdict), (params, low.error, high.error)
    assert {low.verdict, high.verdict} != CONTRADICTION, (params, low.verdict, high.verdict)
    at_high = {p.name: p for p in high.parts}
    for part in low.parts:
        other = at_high.get(part.name)
        if other is None or part.kind not in DETERMINISTIC:
            continue
        assert {part.verdict, other.verdict} != CONTRADICTION, (params, part.name)
