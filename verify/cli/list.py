"""verify list: one line per lemma, its id, a tab, its title."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import types


def add_parser(sub) -> None:
    sub.add_parser("list", help="one line per lemma: id, a tab, title")


class _DeferredModule(types.ModuleType):
    """Stands in for a module until an attribute is first read, then imports it and forwards.

    (``importlib.util.LazyLoader`` loads on the ``__spec__`` check of a second ``import`` in
    Python 3.11, so it does not defer anything here.)"""

    def __getattr__(self, name: str):
        name_of_module = self.__name__
        if sys.modules.get(name_of_module) is self:
            del sys.modules[name_of_module]
        real = importlib.import_module(name_of_module)
        self.__dict__.update(real.__dict__)
        return getattr(real, name)


def _defer_torch() -> None:
    """Make ``import torch`` lazy in this process: listing ids and titles runs no torch code,
    and importing torch is most of the time a listing would otherwise take."""
    if "torch" not in sys.modules and importlib.util.find_spec("torch") is not None:
        sys.modules["torch"] = _DeferredModule("torch")


def run(args: argparse.Namespace) -> int:
    _defer_torch()
    from verify.core.registry import all_lemmas

    for lemma in all_lemmas().values():
        print(f"{lemma.id}\t{lemma.title}")
    return 0
