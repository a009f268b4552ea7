"""The figure of an appraisal folder: ``appraisal.png``.

One panel per policy: for each scored outcome, the probability that the policy improves it
across the design points (a dot) with its 95% Wilson interval (a bar), against the even
chance (dashed line). Points right of the line mean the policy helps that outcome under
most of the assumptions sampled; the label on the right names the assumption whose value
most decides it (the classification tree's first split), where the tree classifies at
least :data:`LABEL_LIFT` more of the points right than always guessing the commoner answer.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from sendabm.core.measures import MEASURES
from sendabm.presentation.style import INK, MUTED, OKABE_ITO, save

FIGURE = "appraisal.png"
PANEL_WIDTH, ROW_HEIGHT = 5.2, 0.42
"""Inches per policy panel, and per outcome row."""
LABEL_LIFT = 0.1
"""Least gain in accuracy over guessing for the deciding input to be named (a tree always
finds a split; below this it separates little more than the runs' chance events)."""


def draw(appraisal: Any, effect_rows: list[dict[str, Any]], folder: Path) -> list[str]:
    """Draw ``appraisal.png`` into ``folder``; returns its file name.

    Args:
        appraisal: The :class:`sendabm.experiments.appraise.Appraisal`.
        effect_rows: Its rows of ``effects.csv`` (:func:`sendabm.experiments.appraise.effects`).
        folder: Where to write.
    """
    policies = [arm.name for arm in appraisal.spec.arms]
    scored = [o for o in appraisal.spec.outcomes
              if any(r["outcome"] == o and math.isfinite(r["p_improves"]) for r in effect_rows)]
    height = 1.4 + ROW_HEIGHT * max(1, len(scored))
    fig = Figure(figsize=(PANEL_WIDTH * len(policies), height), layout="constrained")
    axes = fig.subplots(1, len(policies), sharey=True, squeeze=False)[0]
    for ax, policy in zip(axes, policies, strict=True):
        rows = {r["outcome"]: r for r in effect_rows if r["policy"] == policy}
        _panel(ax, policy, [rows[o] for o in scored])
    axes[0].set_yticks(range(len(scored)), [MEASURES[o].short or MEASURES[o].label
                                            for o in scored])
    axes[0].invert_yaxis()
    fig.suptitle(f"{appraisal.spec.name}: probability each policy improves an outcome, over "
                 f"{appraisal.spec.samples} sampled assumptions", color=INK, fontsize=10)
    save(fig, folder / FIGURE)
    return [FIGURE]


def _panel(ax: Any, policy: str, rows: list[dict[str, Any]]) -> None:
    ax.axvline(0.5, color=MUTED, linestyle="--", linewidth=0.8)
    for y, row in enumerate(rows):
        p = row["p_improves"]
        colour = OKABE_ITO["green"] if p > 0.5 else OKABE_ITO["vermillion"]
        ax.plot([row["p_low95"], row["p_high95"]], [y, y], color=colour, linewidth=2.5,
                alpha=0.5, solid_capstyle="butt")
        ax.plot([p], [y], "o", color=colour, markersize=5)
        if row["deciding"] and row["tree_accuracy"] - row["majority_accuracy"] >= LABEL_LIFT:
            ax.annotate(row["deciding"], (1.02, y), xycoords=("axes fraction", "data"),
                        fontsize=6.5, color=MUTED, va="center", annotation_clip=False)
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25%", "50%", "75%", "100%"])
    ax.set_title(policy, fontsize=9, color=INK)
    ax.set_xlabel("P(improves)", fontsize=8, color=MUTED)
    ax.tick_params(labelsize=7.5)
    ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
