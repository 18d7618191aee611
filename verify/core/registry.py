"""Lemma discovery: every ``Lemma`` object defined in a module of the ``lemmas`` package.

The engine knows no lemma: the package is imported by name at discovery time (as asv finds
benchmarks), so ``verify.core`` has no import of ``lemmas`` and the layers stay one-way.

``verify list`` needs only ids and titles: ``lemma_titles`` reads them from the modules' source
where every lemma is declared as ``NAME = Lemma(id="...", title="...", ...)`` (the declarative
form of the package), so that listing imports neither the maths nor Hypothesis; a module written
otherwise is imported. tests/core/test_registry.py checks that both readings agree.

``get(id)`` imports the one module that declares ``id`` (found the same way), not the whole
package: ``verify run C.16``, ``verify describe C.16`` and ``verify check`` load one lemma's
maths, and a bad id is refused with the ids read from source.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import pkgutil
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from verify.core.errors import UsageError

if TYPE_CHECKING:
    from verify.core.contract import Lemma


def _sort_key(lemma_id: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", lemma_id))


LEMMA_PACKAGE = "lemmas"


def _lemma_modules() -> list[tuple[str, Path | None]]:
    """(name, source file or None) of each public module of the lemma package."""
    package = importlib.import_module(LEMMA_PACKAGE)  # its __init__ is a docstring
    modules = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        folder = getattr(info.module_finder, "path", None)
        source = Path(folder, f"{info.name}.py") if folder and not info.ispkg else None
        modules.append((info.name, source if source is not None and source.is_file() else None))
    return modules


def _add(found: dict, lemma_id: str, value: object) -> None:
    if lemma_id in found and found[lemma_id] is not value:
        raise RuntimeError(f"lemma id {lemma_id} is defined twice")
    found[lemma_id] = value


@cache
def all_lemmas() -> dict[str, Lemma]:
    from verify.core.contract import Lemma

    found: dict[str, Lemma] = {}
    for name, _ in _lemma_modules():
        module = importlib.import_module(f"{LEMMA_PACKAGE}.{name}")
        for value in vars(module).values():
            if isinstance(value, Lemma):
                _add(found, value.id, value)
    return dict(sorted(found.items(), key=lambda kv: _sort_key(kv[0])))


# A declaration: a top-level ``NAME = Lemma(`` line through the next line that is a lone ``)``.
_DECLARATION = re.compile(r"^\w+ = Lemma\(\n.*?^\)$", re.MULTILINE | re.DOTALL)
_LEMMA_CALL = re.compile(r"\bLemma\s*\(")
_BARE_REPLACE = re.compile(r"(?<![.\w])replace\s*\(|dataclasses\.replace\s*\(")


def _declared_titles(source: str) -> list[tuple[str, str]] | None:
    """(id, title) of each ``NAME = Lemma(id="...", title="...", ...)`` declaration of a module,
    or None when its lemmas may be made some other way: ``Lemma(`` anywhere else (code, comment
    or docstring alike), a computed id or title, a ``replace(...)`` call (dataclasses.replace of
    a lemma), or no declaration. Only the declarations are parsed (parsing whole modules would
    cost most of ``verify list``'s time)."""
    blocks = _DECLARATION.findall(source)
    if not blocks or len(blocks) != len(_LEMMA_CALL.findall(source)):
        return None
    if "replace" in source and _BARE_REPLACE.search(source):
        return None
    declared = []
    for block in blocks:
        try:
            (statement,) = ast.parse(block).body
        except (SyntaxError, ValueError):
            return None
        call = statement.value if isinstance(statement, ast.Assign) else None
        if not isinstance(call, ast.Call) or getattr(call.func, "id", None) != "Lemma":
            return None
        fields = {k.arg: k.value for k in call.keywords}
        texts = [fields.get("id"), fields.get("title")]
        if not all(isinstance(t, ast.Constant) and isinstance(t.value, str) for t in texts):
            return None
        declared.append((texts[0].value, texts[1].value))
    return declared


def lemma_titles() -> dict[str, str]:
    """{id: title} of every lemma, in ``all_lemmas``'s order, read from source where the lemma
    modules allow it (see the module docstring), imported otherwise."""
    if all_lemmas.cache_info().currsize:
        return {lemma_id: lemma.title for lemma_id, lemma in all_lemmas().items()}
    return _titles_from_declarations()


def _titles_from_declarations() -> dict[str, str]:
    return {lemma_id: title for lemma_id, (title, _) in _declarations().items()}


@cache
def _declarations() -> dict[str, tuple[str, str]]:
    """{id: (title, module name)} of every lemma, in ``all_lemmas``'s order: read from source
    where the module allows it, imported otherwise."""
    found: dict[str, tuple[str, str]] = {}
    for name, source in _lemma_modules():
        declared = None if source is None else _declared_titles(source.read_text("utf-8"))
        if declared is None:
            from verify.core.contract import Lemma

            module = importlib.import_module(f"{LEMMA_PACKAGE}.{name}")
            lemmas = {id(v): v for v in vars(module).values() if isinstance(v, Lemma)}
            declared = [(lemma.id, lemma.title) for lemma in lemmas.values()]
        for lemma_id, title in declared:
            if lemma_id in found:  # two declarations: never the same object
                raise RuntimeError(f"lemma id {lemma_id} is defined twice")
            found[lemma_id] = (title, name)
    return dict(sorted(found.items(), key=lambda kv: _sort_key(kv[0])))


def get(lemma_id: str) -> Lemma:
    """The lemma ``lemma_id``, importing the module that declares it (all of them once
    ``all_lemmas`` has run); a ``UsageError`` naming the nearest id when there is none."""
    if not all_lemmas.cache_info().currsize:
        declared = _declarations()
        if lemma_id not in declared:
            _unknown(lemma_id, list(declared))
        from verify.core.contract import Lemma

        module = importlib.import_module(f"{LEMMA_PACKAGE}.{declared[lemma_id][1]}")
        for value in vars(module).values():
            if isinstance(value, Lemma) and value.id == lemma_id:
                return value
    lemmas = all_lemmas()  # already loaded (or the declaring module did not make the lemma)
    if lemma_id not in lemmas:
        _unknown(lemma_id, list(lemmas))
    return lemmas[lemma_id]


def _unknown(lemma_id: str, known: list[str]) -> NoReturn:
    near = difflib.get_close_matches(lemma_id, known, n=1)
    hint = f"did you mean {near[0]}? " if near else ""
    raise UsageError(f"unknown lemma id {lemma_id!r} ({hint}see 'verify list')")
