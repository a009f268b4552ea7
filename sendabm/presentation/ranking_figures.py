"""The figure of ``sendabm rank``: each lever's SRC with and without its costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sendabm.experiments.ranking import Ranking
from sendabm.presentation.style import MUTED, OKABE_ITO, save

PANEL_WIDTH = 4.2
"""Inches per outcome panel."""

SERIES = (("costed", OKABE_ITO["blue"], 0.18), ("free", OKABE_ITO["orange"], -0.18))
"""Each sweep's key in the ranking rows, its colour and its offset within a lever's row."""


def draw(ranking: Ranking, path: Path) -> None:
    """A panel per outcome: each lever's SRC with costs and without, ± 95%, in the
    costed order (largest |SRC| at the top)."""
    outcomes = list(dict.fromkeys(row["outcome"] for row in ranking.rows))
    cols = min(3, len(outcomes))
    rows = -(-len(outcomes) // cols)
    height = rows * (0.35 * len(ranking.levers) + 1.2)
    fig = Figure(figsize=(PANEL_WIDTH * cols, height), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        got = [r for r in ranking.rows if r["outcome"] == outcome]
        y = np.arange(len(got))[::-1]
        for key, colour, shift in SERIES:
            ax.errorbar([r[f"src_{key}"] for r in got], y + shift,
                        xerr=[r[f"conf_{key}"] for r in got], fmt="o", ms=3.5, lw=1,
                        color=colour, label=key)
        ax.axvline(0.0, color=MUTED, lw=0.8)
        ax.set_yticks(y, [r["lever"] for r in got], fontsize=7)
        ax.set_title(outcome, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, frameon=False)
    fig.supxlabel("standardised regression coefficient (± 95%)", fontsize=8)
    save(fig, path)
