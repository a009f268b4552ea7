"""The figures of ``sendabm report`` for a sweep: outcomes across runs, and what drives them.

- :func:`distributions_figure` — each outcome's distribution over every run of the
  sweep (histogram, median and 5–95th percentiles);
- :func:`inputs_figure` — two headline outcomes against each varied input;
- :func:`sensitivity_figure` — the sensitivity indices of ``sendabm sensitivity``
  (``sensitivity.csv``) with their 95% intervals.

Runs are columns of a sweep store (:func:`sendabm.experiments.store.load`) as NumPy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sendabm.core.measures import MEASURES
from sendabm.experiments.evaluate import OUTCOMES
from sendabm.presentation.style import (
    DPI,
    INK,
    MUTED,
    OKABE_ITO,
    STYLE,
    ThousandsFormatter,
    not_available,
    save,
)

UNITS = {o.name: o.unit for o in OUTCOMES}
"""Unit of each sweep outcome (the outcomes of :func:`sendabm.experiments.evaluate`)."""

HEADLINE = ("adversarial_index", "cumulative_deficit_gbp")
"""Outcomes drawn against every input."""

BAND = (5.0, 95.0)


def _label(name: str) -> str:
    """An outcome's registered label, or an input name in words."""
    if name in MEASURES:
        return MEASURES[name].label
    return name.replace("__", ": ").replace("_", " ")


def _unit(name: str) -> str:
    unit = UNITS.get(name, "")
    if name.endswith("_gbp"):
        return "£ billion (England)"
    return unit


def _values(name: str, values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values / 1e9 if name.endswith("_gbp") else values


def _grid(n: int, cols: int, size_per: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    rows = max(1, math.ceil(n / cols))
    fig = Figure(figsize=(size_per[0] * cols, size_per[1] * rows + 0.9), dpi=DPI,
                 layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def distributions_figure(runs: Mapping[str, np.ndarray], outcomes: Sequence[str],
                         title: str, path: Path) -> Path:
    """Histogram of each outcome over all runs, with its median and 5–95th percentiles."""
    with mpl.rc_context(STYLE):
        fig, axes = _grid(len(outcomes), 4, (3.4, 2.7))
        for ax, name in zip(axes.flat, outcomes, strict=False):
            ax.set_title(_label(name)[:1].upper() + _label(name)[1:], fontsize=9.5)
            values = _values(name, runs[name])
            values = values[np.isfinite(values)]
            ax.set_xlabel(_unit(name), color=MUTED, fontsize=8)
            ax.set_ylabel("runs")
            ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
            if values.size == 0:
                not_available(ax)
                continue
            ax.hist(values, bins=min(20, max(5, values.size // 4)), color=OKABE_ITO["blue"],
                    alpha=0.85, edgecolor="white", linewidth=0.5)
            low, mid, high = np.percentile(values, [BAND[0], 50.0, BAND[1]])
            ax.axvline(mid, color=OKABE_ITO["vermillion"], linewidth=1.6)
            for edge in (low, high):
                ax.axvline(edge, color=OKABE_ITO["vermillion"], linestyle=(0, (3, 2)),
                           linewidth=1.0)
            ax.xaxis.set_major_formatter(ThousandsFormatter())
            ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(4))
        handles = [Line2D([], [], color=OKABE_ITO["vermillion"], label="median"),
                   Line2D([], [], color=OKABE_ITO["vermillion"], linestyle=(0, (3, 2)),
                          label=f"{BAND[0]:g}th and {BAND[1]:g}th percentiles")]
        fig.legend(handles=handles, loc="outside lower center", ncols=2)
        fig.suptitle(title, x=0.01, ha="left", fontsize=12, fontweight="bold")
        return save(fig, path)


def inputs_figure(runs: Mapping[str, np.ndarray], inputs: Sequence[str],
                  outcomes: Sequence[str], title: str, path: Path) -> Path:
    """Each headline outcome (rows) against each varied input (columns), one dot a run."""
    outcomes = [o for o in HEADLINE if o in outcomes] or list(outcomes[:2])
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(2.9 * max(2, len(inputs)), 2.7 * len(outcomes) + 0.9), dpi=DPI,
                     layout="constrained")
        axes = fig.subplots(len(outcomes), len(inputs), squeeze=False, sharey="row")
        for row, outcome in enumerate(outcomes):
            y = _values(outcome, runs[outcome])
            for col, name in enumerate(inputs):
                ax = axes[row, col]
                _scatter(ax, np.asarray(runs[name]), y)
                if row == len(outcomes) - 1:
                    ax.set_xlabel(_label(name))
                if col == 0:
                    ax.set_ylabel(f"{_label(outcome)}\n({_unit(outcome)})", fontsize=8.5)
                ax.yaxis.set_major_formatter(ThousandsFormatter())
        fig.suptitle(title, x=0.01, ha="left", fontsize=12, fontweight="bold")
        return save(fig, path)


def _scatter(ax: Axes, x: np.ndarray, y: np.ndarray) -> None:
    """Dots for a numeric input; jittered columns for a choice."""
    colour = OKABE_ITO["blue"]
    if x.dtype.kind in "fiu":
        ax.scatter(x.astype(float), y, s=9, color=colour, alpha=0.6, linewidths=0)
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(4))
        return
    labels = sorted({str(v) for v in x})
    position = np.array([labels.index(str(v)) for v in x], dtype=float)
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, position.size)  # fixed: same picture
    ax.scatter(position + jitter, y, s=9, color=colour, alpha=0.6, linewidths=0)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.grid(axis="x", visible=False)


def sensitivity_figure(rows: Sequence[Mapping[str, str]], title: str, path: Path) -> Path:
    """Sensitivity indices per outcome and input (``sensitivity.csv`` rows), with 95% CIs.

    The first index of the method (``src``, ``S1`` or ``mu_star``) is drawn; the total
    order ``ST`` is drawn beside ``S1`` when present.
    """
    indices = [i for i in dict.fromkeys(r["index"] for r in rows)
               if i not in ("r2", "noise_share")]
    outcomes = list(dict.fromkeys(r["outcome"] for r in rows))
    with mpl.rc_context(STYLE):
        fig, axes = _grid(len(outcomes), 3, (4.3, 3.0))
        colours = [OKABE_ITO[c] for c in ("blue", "orange", "green", "purple")]
        for ax, outcome in zip(axes.flat, outcomes, strict=False):
            _sensitivity_panel(ax, [r for r in rows if r["outcome"] == outcome], indices,
                               colours)
            ax.set_title(_label(outcome)[:1].upper() + _label(outcome)[1:], fontsize=9.5)
        handles = [mpl.patches.Patch(facecolor=colours[k % 4], label=index)
                   for k, index in enumerate(indices)]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   title="Index (bars) with its 95% interval (whiskers)")
        fig.suptitle(title, x=0.01, ha="left", fontsize=12, fontweight="bold")
        return save(fig, path)


def _sensitivity_panel(ax: Axes, rows: Sequence[Mapping[str, str]], indices: list[str],
                       colours: list[str]) -> None:
    inputs = list(dict.fromkeys(r["input"] for r in rows if r["index"] in indices))
    height = 0.8 / max(1, len(indices))
    for k, index in enumerate(indices):
        by_input = {r["input"]: r for r in rows if r["index"] == index}
        values = np.array([_float(by_input.get(i, {}).get("value")) for i in inputs])
        conf = np.array([_float(by_input.get(i, {}).get("conf")) for i in inputs])
        ax.barh(np.arange(len(inputs)) + (k - (len(indices) - 1) / 2) * height,
                np.nan_to_num(values), height=height * 0.9, color=colours[k % 4],
                xerr=np.nan_to_num(conf), error_kw={"elinewidth": 0.8, "ecolor": INK})
    ax.set_yticks(np.arange(len(inputs)), [_label(i) for i in inputs], fontsize=7.5)
    ax.invert_yaxis()
    ax.axvline(0, color=MUTED, linewidth=0.8)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.set_xlabel("index", color=MUTED)


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
