"""One module per lemma (or tight group): statement, constants, strategy, check."""
