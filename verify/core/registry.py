"""Lemma discovery: every ``Lemma`` object defined in a module of the ``lemmas`` package.

The engine knows no lemma: the package is imported by name at discovery time (as asv finds
benchmarks), so ``verify.core`` has no import of ``lemmas`` and the layers stay one-way.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from functools import cache

from verify.core.contract import Lemma
from verify.core.errors import UsageError


def _sort_key(lemma_id: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", lemma_id))


LEMMA_PACKAGE = "lemmas"


@cache
def all_lemmas() -> dict[str, Lemma]:
    lemmas = importlib.import_module(LEMMA_PACKAGE)

    found: dict[str, Lemma] = {}
    for info in pkgutil.iter_modules(lemmas.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{LEMMA_PACKAGE}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Lemma):
                if value.id in found and found[value.id] is not value:
                    raise RuntimeError(f"lemma id {value.id} is defined twice")
                found[value.id] = value
    return dict(sorted(found.items(), key=lambda kv: _sort_key(kv[0])))


def get(lemma_id: str) -> Lemma:
    lemmas = all_lemmas()
    if lemma_id not in lemmas:
        near = difflib.get_close_matches(lemma_id, list(lemmas), n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        raise UsageError(f"unknown lemma id {lemma_id!r} ({hint}see 'verify list')")
    return lemmas[lemma_id]
