"""The figures of a comparison folder: ``compare_national.png`` and ``compare_equity.png``.

:func:`draw` is what the command line gives
:func:`sendabm.experiments.compare_folder.write_comparison`, so the figures are drawn
into the comparison's temporary folder and the folder appears complete or not at all.

- :func:`national_figure`: key national series, the median and 5–95% band over
  replications of each scenario;
- :func:`equity_figure`: the equity measures by family-resources quintile, the mean
  over replications with the 95% interval of the mean.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sendabm.core import calendar
from sendabm.core.measures import FLOW, GBP, measure
from sendabm.experiments.compare import Comparison
from sendabm.experiments.compare_folder import month_label
from sendabm.experiments.outcomes import MEAN_MONTHS
from sendabm.experiments.paired import mean_interval
from sendabm.presentation import style as figs

NATIONAL_FIGURE = "compare_national.png"
EQUITY_FIGURE = "compare_equity.png"


def draw(comparison: Comparison, folder: Path) -> list[str]:
    """Draw both figures into ``folder``; return their file names."""
    national_figure(comparison, folder / NATIONAL_FIGURE)
    equity_figure(comparison, folder / EQUITY_FIGURE)
    return [NATIONAL_FIGURE, EQUITY_FIGURE]


NATIONAL_PANELS: tuple[tuple[str, str], ...] = (
    ("ehc_plans", "Children with EHC plans"),
    ("appeals_registered", "Appeals registered"),
    ("adversarial_index", measure("adversarial_index").label),
    ("cumulative_deficit_gbp", "Cumulative high-needs deficit (£bn)"),
    ("placements_independent", "Children placed in independent schools"),
    ("mean_unmet_need", "Mean unmet need (need units)"),
)
"""National measure and panel title of each panel of ``compare_national.png`` (flows are
drawn as 12-month sums, money in £bn, as the registry's kind and unit say)."""

EQUITY_PANELS: tuple[tuple[str, str], ...] = (
    ("ehc_plan_share", "Share of EHC plans (%), {last}"),
    ("appeals_registered", "Appeals registered, {first} to {last}"),
    ("placements_independent", "Placed in independent schools, {last}"),
    ("mean_unmet_need", "Mean unmet need, mean of {mean_first} to {last}"),
    ("private_provision", "Paying privately after a refusal, {first} to {last}"),
    ("home_education_exits", "Left for home education, {first} to {last}"),
)
"""Equity measure and panel title (filled with the window's months) of ``compare_equity.png``."""

BAND = (5.0, 95.0)
"""Percentiles over replications shaded around the median in ``compare_national.png``."""


def scenario_colours(comparison: Comparison) -> dict[str, str]:
    """Base in grey, policies in Okabe–Ito colours (the figures' palette)."""
    cycle = [figs.OKABE_ITO[k] for k in ("vermillion", "blue", "green", "orange", "purple", "sky")]
    colours = {comparison.base: "#5a5a5a"}
    for k, name in enumerate(comparison.policies):
        colours[name] = cycle[k % len(cycle)]
    return colours


def _title(comparison: Comparison, what: str, width: int, dates: bool = True) -> str:
    """Figure title in the house style of :mod:`sendabm.presentation.figures`, wrapped
    at ``width``."""
    c = comparison
    n = len(c.seeds)
    parts = [f"{what}: {', '.join(c.policies)} vs {c.base}",
             f"{n} paired replication{'s' if n != 1 else ''}", f"scale {c.scale:g}"]
    if dates:
        parts.append(f"{c.dates[0]:%b %Y} to {c.dates[-1]:%b %Y}")
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 5 + len(part) > width:
            lines.append(part)
        else:
            lines[-1] += "  ·  " + part
    return "\n".join(lines)


def _legend_columns(n: int) -> int:
    return n if n <= 5 else math.ceil(n / 2)


def _diverges_from(base: np.ndarray, runs: np.ndarray) -> int:
    """First month index at which ``runs`` differs from ``base`` in any replication."""
    same = np.all((base == runs) | (np.isnan(base) & np.isnan(runs)), axis=0)
    differ = np.flatnonzero(~same)
    return int(differ[0]) if differ.size else runs.shape[1]


def national_figure(comparison: Comparison, path: Path) -> Path:
    """Key national series: median and 5–95% band over replications, per scenario.

    A policy's line and band start where it first differs from the base (before
    that, common random numbers make the two identical), so the base's history is
    drawn once and each policy branches off it.
    """
    c = comparison
    x = np.array(c.dates, dtype="datetime64[D]")
    colours = scenario_colours(c)
    run_start = calendar.tick_of(c.start)
    starts = {p: m for p, m in c.policy_starts.items() if calendar.tick_of(m) > run_start}
    one_start = len(set(starts.values())) == 1
    start_lines = {(np.datetime64(calendar.date_of(calendar.tick_of(m)), "D"),
                    figs.MUTED if one_start else colours[p]) for p, m in starts.items()}
    yearly = len(c.dates) >= 2 * MEAN_MONTHS
    with mpl.rc_context(figs.STYLE), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = Figure(figsize=(13.0, 7.2), dpi=figs.DPI, layout="constrained")
        axes = fig.subplots(2, 3, sharex=True)
        figs.setup_time_axis(axes[0, 0], x)
        for ax, (name, title) in zip(axes.flat, NATIONAL_PANELS, strict=True):
            flow, money = measure(name).kind == FLOW, measure(name).unit == GBP
            if flow:
                title += " (12 months to date)" if yearly else " (per month)"
            ax.set_title(title)
            drawn: list[np.ndarray] = []
            base_runs: np.ndarray | None = None
            for scen in [c.base, *c.policies]:
                runs = c.series[scen].get(name)
                if runs is None or not np.isfinite(runs).any():
                    continue
                runs = np.asarray(runs, dtype=np.float64)
                if flow and yearly:
                    runs = np.stack([figs.rolling_sum(r) for r in runs])
                if money:
                    runs = runs / 1e9
                first = 0
                if scen == c.base:
                    base_runs = runs
                elif base_runs is not None:
                    first = max(0, _diverges_from(base_runs, runs) - 1)
                low, mid, high = np.nanpercentile(runs[:, first:], [BAND[0], 50.0, BAND[1]],
                                                  axis=0)
                ax.fill_between(x[first:], low, high, color=colours[scen], alpha=0.18,
                                linewidth=0)
                ax.plot(x[first:], mid, color=colours[scen], linewidth=1.8)
                drawn.append(runs)
            if not drawn:
                figs.not_available(ax)
                continue
            for when, colour in sorted(start_lines):
                ax.axvline(when, color=colour, linestyle=(0, (4, 3)), linewidth=0.9, zorder=1)
            figs.floor_at_zero(ax, *[d.ravel() for d in drawn])
            ax.yaxis.set_major_formatter(figs.MoneyFormatter() if money
                                         else figs.ThousandsFormatter())
        handles: list[Any] = [Line2D([], [], color=colours[s], linewidth=2.0,
                                     label=f"{s} (base)" if s == c.base else s)
                              for s in [c.base, *c.policies]]
        handles.append(Patch(facecolor="#8a8a8a", alpha=0.3,
                             label=f"{BAND[0]:g}–{BAND[1]:g}th percentile over replications "
                                   "(lines: median)"))
        if starts:
            label = (f"policy starts ({next(iter(starts.values()))})" if one_start
                     else "policy starts (dashed, in the policy's colour)")
            handles.append(Line2D([], [], color=figs.MUTED, linestyle=(0, (4, 3)),
                                  linewidth=0.9, label=label))
        fig.legend(handles=handles, loc="outside lower center",
                   ncols=_legend_columns(len(handles)))
        fig.suptitle(_title(c, "sendabm compare", width=130), x=0.01, ha="left", fontsize=12,
                     fontweight="bold")
        fig.get_layout_engine().set(w_pad=0.08, h_pad=0.08, wspace=0.04, hspace=0.06)
        return figs.save(fig, path)


def equity_figure(comparison: Comparison, path: Path) -> Path:
    """Equity measures by quintile: mean over replications, 95% interval of the mean."""
    c = comparison
    colours = scenario_colours(c)
    names = [c.base, *c.policies]
    width = 0.8 / len(names)
    quintiles = np.arange(1, 6)
    w = c.window
    months = {"first": month_label(w.start), "last": month_label(w.end),
              "mean_first": month_label(w.end, back=w.mean_months - 1)}
    with mpl.rc_context(figs.STYLE):
        fig = Figure(figsize=(15.0, 7.4), dpi=figs.DPI, layout="constrained")
        axes = fig.subplots(2, 3)
        for ax, (measure, title) in zip(axes.flat, EQUITY_PANELS, strict=True):
            ax.set_title(title.format(**months))
            factor = 100.0 if measure == "ehc_plan_share" else 1.0
            tops = []
            for k, scen in enumerate(names):
                stats = [mean_interval(c.values[scen][f"{measure}_q{q}"] * factor)
                         for q in quintiles]
                mean = np.array([s[0] for s in stats])
                low = np.array([s[1] for s in stats])
                high = np.array([s[2] for s in stats])
                err = np.vstack([np.where(np.isfinite(low), mean - low, 0.0),
                                 np.where(np.isfinite(high), high - mean, 0.0)])
                offset = (k - (len(names) - 1) / 2) * width
                ax.bar(quintiles + offset, np.nan_to_num(mean), width=width * 0.92,
                       color=colours[scen], alpha=0.9 if scen != c.base else 0.75,
                       yerr=err, error_kw={"elinewidth": 0.9, "capsize": 2.0,
                                           "ecolor": figs.INK})
                tops.append(np.nan_to_num(mean + err[1]))
                for q, value in zip(quintiles, mean, strict=True):
                    if value == 0:  # label empty bars so they do not look missing
                        ax.annotate("0", (q + offset, 0), xytext=(0, 2),
                                    textcoords="offset points", ha="center", va="bottom",
                                    fontsize=7, color=colours[scen])
            if not np.any(np.concatenate(tops) > 0):
                ax.set_ylim(0, 1)
            elif all(np.all(np.nan_to_num(c.values[s][f"{measure}_q{q}"]) >= 0)
                     for s in names for q in quintiles):
                ax.set_ylim(bottom=0)  # intervals below zero are cut at the axis
            ax.set_xticks(quintiles, ["1\nleast", "2", "3", "4", "5\nmost"])
            ax.set_xlim(0.45, 5.55)
            ax.grid(axis="x", visible=False)
            ax.yaxis.set_major_formatter(figs.ThousandsFormatter())
        for ax in axes[1]:
            ax.set_xlabel("Family-resources quintile", color=figs.MUTED)
        handles = [Patch(facecolor=colours[s], label=f"{s} (base)" if s == c.base else s)
                   for s in names]
        fig.legend(handles=handles, loc="outside lower center",
                   ncols=_legend_columns(len(handles)),
                   title="Bars: mean over replications; whiskers: 95% interval of the mean")
        fig.suptitle(_title(c, "By family resources", width=110, dates=False), x=0.01,
                     ha="left", fontsize=12, fontweight="bold")
        return figs.save(fig, path)
