"""Standard figures of a run, drawn with matplotlib's Agg backend (no display needed).

- :func:`summary_figure` — six national panels: caseload, tribunal, placements,
  high-needs money, deficits, trust and the adversarial index.
- :func:`equity_figure` — four panel measures summed over LAs, one line per
  family-resources quintile.

Both use the object-oriented API on an Agg canvas, so they neither need nor change
pyplot's global backend. A measure that is absent (or all NaN) is skipped and a panel
with nothing to show says "not available".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import matplotlib.ticker as mticker
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sendabm.core.measures import FLOW, measure
from sendabm.presentation.style import (
    COLOURS,
    DPI,
    INK,
    LABELS,
    MUTED,
    QUINTILE_LABELS,
    SEPTEMBER_NOTE,
    STYLE,
    ThousandsFormatter,
    axis_unit,
    floor_at_zero,
    not_available,
    rolling_sum,
    save,
    setup_time_axis,
)

if TYPE_CHECKING:
    from sendabm.experiments.results import RunOutput

SUMMARY_FIGURE = "summary.png"
EQUITY_FIGURE = "equity.png"
SUMMARY_SIZE = (13.0, 7.0)
EQUITY_SIZE = (11.0, 7.0)


# --------------------------------------------------------------------------- helpers


def _national(output: RunOutput, name: str) -> np.ndarray | None:
    """The national series, or None if absent or entirely NaN."""
    values = output.national.get(name)
    if values is None:
        return None
    values = np.asarray(values, dtype=np.float64)
    return values if np.isfinite(values).any() else None


def _dates(output: RunOutput) -> np.ndarray:
    return np.array(output.dates, dtype="datetime64[D]")


def _line(ax: Axes, x: np.ndarray, name: str, y: np.ndarray, **kwargs: Any) -> None:
    kwargs.setdefault("color", COLOURS.get(name, INK))
    kwargs.setdefault("label", LABELS.get(name, name))
    ax.plot(x, y, **kwargs)


def _finish(
    ax: Axes,
    formatter: mticker.Formatter | None = None,
    legend: str = "best",
    twins: tuple[Axes, ...] = (),
) -> None:
    """Format the y axis and draw one legend for ``ax`` and its twin axes."""
    ax.yaxis.set_major_formatter(formatter or ThousandsFormatter())
    handles, labels = ax.get_legend_handles_labels()
    for twin in twins:
        more_handles, more_labels = twin.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    if handles:
        if twins and legend == "best":
            # matplotlib's "best" only avoids the lines of the axes it is drawn on.
            legend = _emptiest_corner((ax, *twins))
        # The legend goes on the top-most twin so no line is drawn over it.
        (twins[-1] if twins else ax).legend(handles, labels, loc=legend)


LEGEND_BOX = (0.45, 0.3)
"""Width and height of the corner a legend is assumed to take, as fractions of the axes."""


def _emptiest_corner(axes: tuple[Axes, ...]) -> str:
    """The corner of ``axes[0]`` holding the fewest line points of all ``axes``."""
    for a in axes:
        a.get_ylim()  # applies pending autoscaling, which transData reflects
    to_frame = axes[0].transAxes.inverted()
    points = [to_frame.transform(a.transData.transform(line.get_xydata()))
              for a in axes for line in a.get_lines()]
    xy = np.concatenate(points) if points else np.empty((0, 2))
    xy = xy[np.isfinite(xy).all(axis=1)]
    width, height = LEGEND_BOX
    corners = {"upper left": (xy[:, 0] < width) & (xy[:, 1] > 1 - height),
               "upper right": (xy[:, 0] > 1 - width) & (xy[:, 1] > 1 - height),
               "lower left": (xy[:, 0] < width) & (xy[:, 1] < height),
               "lower right": (xy[:, 0] > 1 - width) & (xy[:, 1] < height)}
    return min(corners, key=lambda name: int(corners[name].sum()))


def _suptitle(output: RunOutput, what: str) -> str:
    manifest = output.manifest
    scenario = manifest.get("scenario_name", manifest.get("scenario", "unnamed scenario"))
    if isinstance(scenario, dict):
        scenario = scenario.get("name", "unnamed scenario")
    parts = [f"{what}: {scenario}"]
    if "seed" in manifest:
        parts.append(f"seed {manifest['seed']}")
    if "scale" in manifest:
        parts.append(
            f"scale {manifest['scale']:g}"
            if isinstance(manifest["scale"], float)
            else f"scale {manifest['scale']}"
        )
    if output.dates:
        parts.append(f"{output.dates[0]:%b %Y} to {output.dates[-1]:%b %Y}")
    return "  ·  ".join(parts)


# --------------------------------------------------------------------------- summary panels


def _panel_caseload(ax: Axes, output: RunOutput, x: np.ndarray) -> bool:
    drawn = []
    for name in ("sen_support", "ehc_plans"):
        values = _national(output, name)
        if values is not None:
            _line(ax, x, name, values)
            drawn.append(values)
    if drawn:
        floor_at_zero(ax, *drawn)
        _finish(ax)
    return bool(drawn)


def _yearly(output: RunOutput, names: tuple[str, ...]) -> tuple[dict[str, np.ndarray], bool]:
    """Trailing 12-month sums of the flows present, and whether any flow was present."""
    present = {n: v for n in names if (v := _national(output, n)) is not None}
    yearly = {n: rolling_sum(v) for n, v in present.items()}
    return {n: v for n, v in yearly.items() if np.isfinite(v).any()}, bool(present)


def _panel_tribunal(ax: Axes, output: RunOutput, x: np.ndarray) -> bool:
    yearly, present = _yearly(output, ("appeals_registered", "hearings", "hearings_won_by_family"))
    if not yearly:
        if present:
            not_available(ax, "needs 12 months of data")
        return present
    for name, values in yearly.items():
        _line(ax, x, name, values)
    floor_at_zero(ax, *yearly.values())
    _finish(ax)
    return True


def _panel_placements(ax: Axes, output: RunOutput, x: np.ndarray) -> bool:
    names = ("placements_mainstream", "placements_special", "placements_independent")
    present = [(n, v) for n in names if (v := _national(output, n)) is not None]
    if not present:
        return False
    ax.stackplot(
        x,
        *[np.nan_to_num(v) for _, v in present],
        labels=[LABELS[n] for n, _ in present],
        colors=[COLOURS[n] for n, _ in present],
        alpha=0.85,
        linewidth=0.6,
        edgecolor="white",
    )
    ax.set_ylim(bottom=0)
    handles, labels = ax.get_legend_handles_labels()
    ax.yaxis.set_major_formatter(ThousandsFormatter())
    ax.legend(handles[::-1], labels[::-1], loc="upper left")
    return True


def _panel_money(ax: Axes, output: RunOutput, x: np.ndarray) -> bool:
    yearly, present = _yearly(output, ("high_needs_allocation_gbp", "high_needs_spend_gbp"))
    if not yearly:
        if present:
            not_available(ax, "needs 12 months of data")
        return present
    yearly = {name: values / 1e9 for name, values in yearly.items()}
    spend = yearly.get("high_needs_spend_gbp")
    allocation = yearly.get("high_needs_allocation_gbp")
    if allocation is not None:
        _line(ax, x, "high_needs_allocation_gbp", allocation, linestyle=(0, (4, 2)))
    if spend is not None:
        _line(ax, x, "high_needs_spend_gbp", spend)
    if spend is not None and allocation is not None:
        ax.fill_between(
            x,
            allocation,
            spend,
            where=spend > allocation,
            interpolate=True,
            color=COLOURS["high_needs_spend_gbp"],
            alpha=0.12,
            linewidth=0,
            label="Overspend",
        )
    floor_at_zero(ax, *yearly.values())
    _finish(ax, ThousandsFormatter(prefix="£"))
    return True


def _panel_deficit(ax: Axes, output: RunOutput, x: np.ndarray) -> bool:
    deficit = _national(output, "cumulative_deficit_gbp")
    count = _national(output, "las_deficit_over_reserves")
    if deficit is None and count is None:
        return False
    if deficit is not None:
        _line(ax, x, "cumulative_deficit_gbp", deficit / 1e9)
        ax.fill_between(
            x, 0, deficit / 1e9, color=COLOURS["cumulative_deficit_gbp"], alpha=0.10, linewidth=0
        )
        floor_at_zero(ax, deficit)
        ax.axhline(0, color="#9a9a9a", linewidth=0.8)
    else:
        not_available(ax, "deficit not available")
    twins = ()
    if count is not None:
        right = ax.twinx()
        twins = (right,)
        right.grid(False)
        right.spines["right"].set_visible(True)
        right.step(
            x,
            count,
            where="mid",
            color=COLOURS["las_deficit_over_reserves"],
            linewidth=1.3,
            label=LABELS["las_deficit_over_reserves"] + " (right)",
        )
        right.set_ylim(bottom=0, top=max(1.0, float(np.nanmax(count))) * 1.15)
        right.yaxis.set_major_locator(mticker.MaxNLocator(integer=True, nbins=5))
        right.yaxis.set_major_formatter(ThousandsFormatter())
        right.set_ylabel("LAs", color=MUTED)
    _finish(ax, ThousandsFormatter(prefix="£"), twins=twins)
    return True


def _panel_trust(ax: Axes, output: RunOutput, x: np.ndarray) -> bool:
    trust = {
        n: v
        for n in ("mean_trust_in_school", "mean_trust_in_la")
        if (v := _national(output, n)) is not None
    }
    index = _national(output, "adversarial_index")
    if not trust and index is None:
        return False
    for name, values in trust.items():
        _line(ax, x, name, values)
    if trust:
        ax.set_ylabel(axis_unit(next(iter(trust))), color=MUTED)
    target = ax
    if index is not None:
        finite = index[np.isfinite(index)]
        if trust and (finite.min() < 0 or finite.max() > 1):
            target = ax.twinx()
            target.grid(False)
            target.spines["right"].set_visible(True)
            target.yaxis.set_major_formatter(ThousandsFormatter())
            target.set_ylabel(axis_unit("adversarial_index"), color=MUTED)
        _line(
            target,
            x,
            "adversarial_index",
            index,
            label=LABELS["adversarial_index"] + (" (right)" if target is not ax else ""),
        )
    everything = [*trust.values(), *([index] if target is ax and index is not None else [])]
    if everything and all(np.nanmin(v) >= 0 and np.nanmax(v) <= 1 for v in everything):
        ax.set_ylim(0, 1)
    _finish(ax, twins=(target,) if target is not ax else ())
    return True


SUMMARY_PANELS: list[tuple[str, Callable[[Axes, RunOutput, np.ndarray], bool]]] = [
    ("Children with EHC plans and on SEN support", _panel_caseload),
    ("Tribunal appeals (per year)", _panel_tribunal),
    ("Where children with plans are placed", _panel_placements),
    ("High-needs money (£bn per year)", _panel_money),
    ("Cumulative high-needs deficit (£bn)", _panel_deficit),
    ("Trust and the adversarial index", _panel_trust),
]
"""Title and drawing function of each summary panel, in reading order."""


def summary_figure(output: RunOutput, path: Path) -> Path:
    """Draw the six-panel national summary of a run as a PNG.

    Money is shown in £bn; flows (appeals, hearings, money) as trailing 12-month sums,
    which start once a full year has been simulated.

    Args:
        output: The finished run.
        path: PNG file to write.

    Returns:
        ``path``.
    """
    x = _dates(output)
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=SUMMARY_SIZE, dpi=DPI, layout="constrained")
        axes = fig.subplots(2, 3, sharex=True)
        setup_time_axis(axes[0, 0], x)
        for ax, (title, draw) in zip(axes.flat, SUMMARY_PANELS, strict=True):
            ax.set_title(title)
            if not draw(ax, output, x):
                not_available(ax)
        fig.suptitle(
            _suptitle(output, "sendabm run"), x=0.01, ha="left", fontsize=12, fontweight="bold"
        )
        fig.supxlabel(SEPTEMBER_NOTE, x=0.01, ha="left", fontsize=8, color=MUTED, wrap=True)
        fig.get_layout_engine().set(w_pad=0.08, h_pad=0.08, wspace=0.04, hspace=0.06)
        return save(fig, path)


# --------------------------------------------------------------------------- equity


EQUITY_MEASURES: list[tuple[str, str]] = [
    ("ehc_plans", "Children with EHC plans"),
    ("appeals_registered", "Tribunal appeals registered (per year)"),
    ("hearings_won_by_family", "Hearings won by the family (per year)"),
    ("placements_independent", "Children placed in independent schools"),
]
"""Panel measure and title; flows (the registry's kind) are shown as trailing 12-month sums."""


def quintile_totals(output: RunOutput, name: str) -> np.ndarray | None:
    """Sum a panel measure over LAs for quintiles 1..5: shape (T, 5), or None if absent.

    A month where every LA is NaN stays NaN rather than summing to zero.
    """
    values = output.panel.get(name)
    if values is None:
        return None
    by_quintile = np.asarray(values, dtype=np.float64)[:, :, 1:]
    totals = np.nansum(by_quintile, axis=1)
    totals[np.all(np.isnan(by_quintile), axis=1)] = np.nan
    return totals if np.isfinite(totals).any() else None


def equity_figure(output: RunOutput, path: Path) -> Path:
    """Draw four panel measures by family-resources quintile (summed over LAs) as a PNG.

    Args:
        output: The finished run.
        path: PNG file to write.

    Returns:
        ``path``.
    """
    x = _dates(output)
    colours = mpl.colormaps["viridis"](np.linspace(0.0, 0.82, 5))
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=EQUITY_SIZE, dpi=DPI, layout="constrained")
        axes = fig.subplots(2, 2, sharex=True)
        setup_time_axis(axes[0, 0], x)
        for ax, (name, title) in zip(axes.flat, EQUITY_MEASURES, strict=True):
            ax.set_title(title)
            totals = quintile_totals(output, name)
            if totals is not None and measure(name).kind == FLOW:
                totals = np.column_stack([rolling_sum(totals[:, q]) for q in range(5)])
            if totals is None or not np.isfinite(totals).any():
                not_available(ax)
                continue
            for q in range(5):
                ax.plot(x, totals[:, q], color=colours[q], label=QUINTILE_LABELS[q])
            floor_at_zero(ax, totals)
            ax.yaxis.set_major_formatter(ThousandsFormatter())
        handles = [Line2D([], [], color=colours[q], label=QUINTILE_LABELS[q]) for q in range(5)]
        fig.legend(handles=handles, loc="outside lower center", ncols=5, title="Family resources")
        fig.suptitle(
            _suptitle(output, "By family resources"),
            x=0.01,
            ha="left",
            fontsize=12,
            fontweight="bold",
        )
        return save(fig, path)


RUN_FIGURES = {SUMMARY_FIGURE: summary_figure, EQUITY_FIGURE: equity_figure}
"""The figures of a run folder, in the order the manifest lists them: file name ->
drawing function (the ``figures`` of :func:`sendabm.experiments.results.write_run`)."""
