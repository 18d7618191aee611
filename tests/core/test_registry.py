"""Lemma discovery: ``verify list``'s reading of the declarations agrees with the import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from verify.core import registry
from verify.core.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]


def test_declarations_read_as_the_import_finds_them():
    imported = {lemma_id: lemma.title for lemma_id, lemma in registry.all_lemmas().items()}
    read = registry._titles_from_declarations()
    assert list(read.items()) == list(imported.items())


def test_every_lemma_module_is_read_without_import():
    # A module written otherwise is imported (correct, only slower): keep them declarative.
    modules = registry._lemma_modules()
    assert modules and all(source is not None for _, source in modules)
    unread = [
        name for name, source in modules if registry._declared_titles(source.read_text()) is None
    ]
    assert unread == []


DECLARED = """
A = Lemma(
    id="X.1",
    title="the first",
    statement="s",
)
"""


def test_a_declaration_is_read():
    assert registry._declared_titles(DECLARED) == [("X.1", "the first")]
    two = DECLARED + DECLARED.replace("A =", "B =").replace("X.1", "X.2")
    assert registry._declared_titles(two) == [("X.1", "the first"), ("X.2", "the first")]


def test_other_ways_of_making_a_lemma_are_imported_instead():
    computed = DECLARED.replace('title="the first"', "title=TITLE")
    in_function = "def make():\n    return Lemma(id='X.3', title='t')\n" + DECLARED
    replaced = DECLARED + "B = dataclasses.replace(A, id='X.4')\n"
    bare_replace = DECLARED + "B = replace(A, id='X.4')\n"
    indented = "if True:\n    A = Lemma(\n        id='X.5', title='t'\n    )\n"
    for source in (computed, in_function, replaced, bare_replace, indented, "", "x = 1\n"):
        assert registry._declared_titles(source) is None, source


def test_verify_list_imports_no_heavy_module():
    # torch may be there as verify.cli.common's deferred stand-in, which has no __file__
    code = (
        "import sys; from verify.cli import main; main(['list']); "
        "print(sorted(m for m in ('hypothesis', 'numpy', 'flint', 'scipy', 'torch', 'mpmath')"
        " if m in sys.modules and sys.modules[m].__dict__.get('__file__')), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stderr.strip() == "[]", result.stderr
    assert len(result.stdout.splitlines()) == len(registry.all_lemmas())


def test_get_imports_the_declaring_module_only():
    code = (
        "import sys; from verify.core.registry import get; lemma = get('C.16'); "
        "print(lemma.id, sorted(m for m in sys.modules if m.startswith('lemmas.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split(" ", 1) == ["C.16", "['lemmas.c16_fourier_closeness']\n"]


def test_get_finds_the_objects_the_import_finds():
    everything = registry.all_lemmas()
    registry.all_lemmas.cache_clear()  # get() before any all_lemmas(): one module each
    try:
        found = {lemma_id: registry.get(lemma_id) for lemma_id in everything}
        assert registry.all_lemmas.cache_info().currsize == 0
    finally:
        registry.all_lemmas.cache_clear()
    assert all(found[i] is everything[i] for i in everything)
    assert registry.all_lemmas() == everything


def test_an_unknown_id_is_refused_with_the_nearest_one():
    for loaded in (False, True):
        if loaded:
            registry.all_lemmas()
        else:
            registry.all_lemmas.cache_clear()
        with pytest.raises(UsageError, match=r"unknown lemma id 'C16' \(did you mean C\.16\?"):
            registry.get("C16")
    with pytest.raises(UsageError, match=r"unknown lemma id 'X\.99' \(see 'verify list'\)"):
        registry.get("X.99")
