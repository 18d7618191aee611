import numpy as np
import pytest

from verify.core.errors import DomainError
from verify.maths.oneway import (
    ConstantFunction,
    GoldreichFunction,
    ProjectionFunction,
    all_seed_tuples,
    all_seeds,
    evaluate,
    make_function,
    seed_index,
)


def test_goldreich_matches_predicate_bit_by_bit():
    f = GoldreichFunction(7, 5, seed=3)
    x = all_seeds(7)
    out = f(x)
    bits = (1 - x) // 2
    for j, edge in enumerate(f.hypergraph):
        b = bits[:, edge]
        expected = b[:, 0] ^ b[:, 1] ^ b[:, 2] ^ (b[:, 3] & b[:, 4])
        assert np.array_equal((1 - out[:, j]) // 2, expected)
    assert len({tuple(sorted(e)) for e in f.hypergraph}) >= 1
    assert all(len(set(e)) == 5 for e in f.hypergraph)


def test_goldreich_is_reproducible_and_seeded():
    assert np.array_equal(
        GoldreichFunction(8, 8, 1).hypergraph, GoldreichFunction(8, 8, 1).hypergraph
    )
    assert not np.array_equal(
        GoldreichFunction(8, 8, 1).hypergraph, GoldreichFunction(8, 8, 2).hypergraph
    )


def test_simple_functions_and_spec():
    x = all_seeds(3)
    assert np.all(ConstantFunction(3, 2, -1)(x) == -1)
    assert np.array_equal(ProjectionFunction(3, 4)(x)[:, 3], x[:, 0])
    f = make_function({"kind": "goldreich", "d": 6, "d_out": 3, "seed": 2})
    assert evaluate(f, x[:, :1].repeat(6, 1)).shape == (8, 3)


@pytest.mark.parametrize(
    "build",
    [
        lambda: GoldreichFunction(6, 0),
        lambda: GoldreichFunction(4, 3),
        lambda: ConstantFunction(3, 2, 0),
        lambda: make_function({"kind": "nope", "d": 3, "d_out": 2}),
    ],
)
def test_bad_functions_raise_domain_error(build):
    with pytest.raises(DomainError):
        build()


def test_evaluate_rejects_wrong_output_length_and_bad_input():
    class Liar:
        n_in, n_out, name = 3, 2, "liar"

        def __call__(self, x):
            return np.ones((x.shape[0], 3), dtype=np.int8)

    with pytest.raises(DomainError, match="shape"):
        evaluate(Liar(), all_seeds(3))
    with pytest.raises(DomainError):
        evaluate(ConstantFunction(3, 2), np.zeros((2, 3), dtype=np.int8))


def test_all_seeds_order_and_its_inverse():
    # little-endian: row r has s_i = -1 iff bit i of r is set; seed_index inverts it
    seeds = all_seeds(4)
    assert seeds[0].tolist() == [1, 1, 1, 1]
    assert seeds[1].tolist() == [-1, 1, 1, 1]
    assert seeds[8].tolist() == [1, 1, 1, -1]
    assert np.array_equal(seed_index(seeds), np.arange(16))
    assert all_seed_tuples(2) == [(1, 1), (-1, 1), (1, -1), (-1, -1)]
