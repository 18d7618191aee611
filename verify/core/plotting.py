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
    """Write ``out_dir/name`` (creating the folder) cropped to what is drawn, close; return the
    relative name. Only a figure of several axes is laid out first (so that their labels do not
    overlap): tight_layout measures every text once more, a third of a figure's cost."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if len(fig.axes) > 1:
        fig.tight_layout()
    fig.savefig(out / name, dpi=dpi, bbox_inches="tight", pad_inches=0.08)
    pyplot().close(fig)
    return name
