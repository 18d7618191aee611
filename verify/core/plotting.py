"""Figures for reports: headless matplotlib, written next to results.json, no fonts fetched."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot() -> Any:
    """matplotlib.pyplot on the non-interactive Agg backend (no display, no network)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, out_dir: Any, name: str, dpi: int = 110) -> str:
    """Lay out, write ``out_dir/name`` (creating the folder), close; return the relative name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Laid out at the dpi it is written at: the layout's text measurements are then cached for
    # the writing's renderer (matplotlib reuses a canvas's renderer of the same size and dpi).
    fig.set_dpi(dpi)
    fig.tight_layout()
    fig.savefig(out / name, dpi=dpi)
    pyplot().close(fig)
    return name
