r"""Lemma G.2: padding and blocking keep a one-way function one-way.

Statement checked. Let f: {0,1}^n -> {0,1}^m, k >= 1 blocks and p >= 0 padding bits, and
f'(x_1, ..., x_k, z) = (f(x_1), ..., f(x_k)) on {0,1}^{nk+p} (blocking builds a longer input from
k copies; padding bits z are read by nobody, so any input length d = nk + p is reached). For every
inverter A' of f' the reduction

    B(y): draw i uniform in {1..k}, x_j uniform for j != i, z uniform; query
          x' = A'(f(x_1), .., y (at block i), .., f(x_k)); return the i-th block of x'

inverts f with probability

.. math::
    \Pr_{x}[f(B(f(x))) = f(x)] \;\ge\; c\,\Pr_{x'}[f'(A'(f'(x'))) = f'(x')],\qquad c = 1,

at the cost of one call of A' and k - 1 evaluations of f (the cost is a count, not checked here).

Derivation. With x uniform, the query B builds is f'(w) for w = (x_1, .., x, .., x_k, z)
uniform on {0,1}^{nk+p}: exactly A''s input law. Whenever A' succeeds, f(x'_i) is the i-th block of
f'(w), which is y: B succeeds. So B's success is at least A''s, and c = 1 is attained by an inverter
that answers every query with a preimage whose blocks are all correct (then the two are equal).

Check. Brute force in exact rationals: f is a random table {0,1}^n -> {0,1}^m (seeded), A' a
deterministic partial inverter that answers a seeded random subset of the outputs of f' (density
``answer_rate``) with a seeded random preimage and all other queries with a wrong string. Both
probabilities are exact averages over every w in {0,1}^{nk+p} and every block i. Parts:
``reduction_success`` (lower sense: B's success >= c A''s success), ``lost_successes`` (the number
of (w, i) where A' succeeds and B fails, <= 0) and ``query_law`` (the number of x' values
missing from, or repeated in, the multiset of B's queries beyond the uniform law, <= 0).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Constraint, Domain, Integer, Real

MAX_INPUT_BITS = 12

DOMAIN = Domain(
    Constraint(
        f"n k + p <= {MAX_INPUT_BITS}",
        lambda p: p["n"] * p["blocks"] + p["pad"] <= MAX_INPUT_BITS,
    ),
    n=Integer(1, 4, doc="input bits of f"),
    m=Integer(1, 4, doc="output bits of f"),
    blocks=Integer(1, 3, doc="k, the number of blocks of f'"),
    pad=Integer(0, 3, doc="p, padding bits read by nobody"),
    answer_rate=Real(0, 1, lo_open=True, doc="density of the queries A' answers correctly"),
    seed=Integer(0, 2**16),
)


def blocked_function(table: np.ndarray, n: int, m: int, blocks: int, pad: int) -> np.ndarray:
    """f' as a table over {0,1}^{nk+p}: input block j is bits [jn, (j+1)n), output [jm, (j+1)m)."""
    inputs = np.arange(2 ** (n * blocks + pad))
    out = np.zeros_like(inputs)
    for j in range(blocks):
        block = (inputs >> (j * n)) & ((1 << n) - 1)
        out |= table[block] << (j * m)
    return out


def partial_inverter(image: np.ndarray, rate: float, rng: np.random.Generator) -> dict[int, int]:
    """A' as a map query -> answer: a random preimage on a random subset, else a wrong string."""
    answers: dict[int, int] = {}
    values = np.unique(image)
    for value in values:
        preimages = np.flatnonzero(image == value)
        if rng.random() < rate:
            answers[int(value)] = int(rng.choice(preimages))
        else:
            wrong = np.flatnonzero(image != value)
            answers[int(value)] = int(rng.choice(wrong)) if wrong.size else int(preimages[0])
    return answers


def read_block(x: np.ndarray | int, i: int, n: int) -> np.ndarray | int:
    """Block i of an input of f' (the reduction's answer)."""
    return (x >> (i * n)) & ((1 << n) - 1)


def insert_block(x: np.ndarray, rest: np.ndarray, i: int, n: int) -> np.ndarray:
    """The input of f' with x at block i and the other blocks and padding taken from ``rest``."""
    low = rest & ((1 << (i * n)) - 1)
    high = rest >> (i * n)
    return low | (x << (i * n)) | (high << ((i + 1) * n))


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    n, m, k, pad = params["n"], params["m"], params["blocks"], params["pad"]
    rng = np.random.default_rng([0x62, int(params["seed"])])
    table = rng.integers(0, 2**m, size=2**n)
    image = blocked_function(table, n, m, k, pad)
    answers = partial_inverter(image, float(params["answer_rate"]), rng)
    replies = np.array([answers[int(v)] for v in image])
    inverter_wins = image[replies] == image
    # Every (i, x, rest) once: B's random choices, with x the seed f is queried at.
    x, rest = np.meshgrid(np.arange(2**n), np.arange(2 ** (n * (k - 1) + pad)), indexing="ij")
    x, rest = x.ravel(), rest.ravel()
    reduction_wins = 0
    lost = 0
    queried = np.zeros(image.size, dtype=np.int64)
    for i in range(k):
        w = insert_block(x, rest, i, n)
        queried += np.bincount(w, minlength=image.size)
        won = table[read_block(replies[w], i, n)] == table[x]
        reduction_wins += int(won.sum())
        lost += int((inverter_wins[w] & ~won).sum())
    law_defect = int(np.abs(queried - k).sum())
    total = x.size * k
    inverter_rate = Fraction(int(inverter_wins.sum()), image.size)
    reduction_rate = Fraction(reduction_wins, total)
    c = constants["c"]
    data = {
        "inverter_success": str(inverter_rate),
        "reduction_success": str(reduction_rate),
        "input_bits": n * k + pad,
    }
    return [
        Part(
            "reduction_success",
            c * inverter_rate,
            reduction_rate,
            "c",
            inverter_rate,
            note="P[B inverts f] against c P[A' inverts f'], exact over all inputs",
            data=data,
        ),
        Part("lost_successes", Fraction(lost), Fraction(0), note="A' wins but B loses"),
        Part("query_law", Fraction(law_defect), Fraction(0), note="B's queries are uniform"),
    ]


G2 = Lemma(
    id="G.2",
    title="Padding and blocking: an inverter of f' yields one of f",
    statement=(
        r"f'(x_1,\dots,x_k,z)=(f(x_1),\dots,f(x_k)):\ "
        r"\Pr_x[f(B(f(x)))=f(x)] \ge c\,\Pr_{x'}[f'(A'(f'(x')))=f'(x')]"
    ),
    domain=DOMAIN,
    constants=[
        Constant("c", 1, "B's query is f' of a uniform input; A' winning makes B win", "lower")
    ],
    check=_check,
    examples=[
        {"n": 2, "m": 2, "blocks": 2, "pad": 1, "answer_rate": 0.5, "seed": 0},
        {"n": 3, "m": 2, "blocks": 3, "pad": 0, "answer_rate": 0.3, "seed": 1},
        {"n": 4, "m": 3, "blocks": 2, "pad": 3, "answer_rate": 1.0, "seed": 2},
        {"n": 1, "m": 1, "blocks": 1, "pad": 0, "answer_rate": 0.9, "seed": 3},
    ],
    budget={"quick": 10, "standard": 60, "thorough": 300},
    depends_on=(),
)
