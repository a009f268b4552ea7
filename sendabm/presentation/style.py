"""The house style of every sendabm figure: palette, rc settings, tick formats, helpers.

One module so that the run figures (:mod:`sendabm.presentation.figures`), the comparison
figures (:mod:`sendabm.presentation.compare_figures`), the report
(:mod:`sendabm.presentation.report_figures`), the area map
(:mod:`sendabm.presentation.areamap`) and the dashboard look alike: the Okabe–Ito
colour-blind-safe palette, titles on the left, thousands separators, concise date axes
and legends outside the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# Re-exported: the figure modules take it from the house style with the other helpers.
from sendabm.core.calendar import rolling_sum  # noqa: F401
from sendabm.core.measures import FLOW, GBP, NATIONAL, measure

DPI = 150
"""Resolution of the PNG figures (dots per inch)."""

INK = "#222222"
MUTED = "#6b6b6b"
OKABE_ITO = {
    "blue": "#0072B2",
    "sky": "#56B4E9",
    "green": "#009E73",
    "orange": "#E69F00",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "grey": "#7F7F7F",
}
"""Colour-blind-safe palette (Okabe & Ito 2008) used by every figure."""

COLOURS = {
    "ehc_plans": OKABE_ITO["blue"],
    "sen_support": OKABE_ITO["sky"],
    "appeals_registered": OKABE_ITO["orange"],
    "hearings": OKABE_ITO["purple"],
    "hearings_won_by_family": OKABE_ITO["green"],
    "placements_mainstream": OKABE_ITO["sky"],
    "placements_special": OKABE_ITO["blue"],
    "placements_independent": OKABE_ITO["vermillion"],
    "high_needs_spend_gbp": OKABE_ITO["vermillion"],
    "high_needs_allocation_gbp": OKABE_ITO["blue"],
    "cumulative_deficit_gbp": OKABE_ITO["vermillion"],
    "las_deficit_over_reserves": OKABE_ITO["grey"],
    "mean_trust_in_school": OKABE_ITO["green"],
    "mean_trust_in_la": OKABE_ITO["blue"],
    "adversarial_index": OKABE_ITO["vermillion"],
}
"""One colour per measure, the same in every panel."""

LABELS = {name: measure(name).legend for name in NATIONAL}
"""Plain-words legend label of each national measure (the registry's short labels)."""


def axis_unit(name: str, flow: str = "per month") -> str:
    """The y-axis label of a measure's series: its unit, England scale noted.

    Args:
        name: A registered measure.
        flow: How a flow is shown, e.g. "per month" or "per 12 months".
    """
    m = measure(name)
    if m.unit == GBP:
        return "£ billion" + (f" {flow}" if m.kind == FLOW else "")
    if m.kind == FLOW:
        return f"{m.unit} {flow}"
    return f"{m.unit} (England)" if m.england_scale else m.unit

SEPTEMBER_NOTE = ("SEN support and the school placements fall each September as the school "
                  "year turns over: Year 13 leavers go, plan holders entering Year 12 or past "
                  "Year 13 may move to further education (not a school placement), and the new "
                  "Reception cohort's needs are not yet identified. They rebuild over the year.")
"""Why the September steps in the stocks are there (the school-year transition,
:func:`sendabm.core.cohorts.age_and_transfer`)."""


STYLE: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 8,
    "axes.labelsize": 9,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#9a9a9a",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.7,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "lines.linewidth": 1.8,
    "legend.frameon": True,
    "legend.framealpha": 0.85,
    "legend.edgecolor": "none",
    "legend.fancybox": False,
    "legend.fontsize": 8,
    "legend.handlelength": 1.6,
    "text.color": INK,
}
"""Matplotlib rc settings applied while a figure is drawn."""

QUINTILE_LABELS = ["Quintile 1 (least)", "2", "3", "4", "5 (most)"]


class ThousandsFormatter(mticker.Formatter):
    """Tick labels with thousands separators and just enough decimals for the step."""

    def __init__(self, prefix: str = "", suffix: str = "") -> None:
        """Initialise.

        Args:
            prefix: Text before the number, e.g. "£".
            suffix: Text after the number, e.g. "bn".
        """
        self.prefix = prefix
        self.suffix = suffix
        self.decimals = 0

    def set_locs(self, locs: Any) -> None:
        """Choose the fewest decimals (0-3) that tell every tick apart exactly."""
        super().set_locs(locs)
        values = np.asarray(locs, dtype=float)
        values = values[np.isfinite(values)]
        self.decimals = 3
        for decimals in range(4):
            scaled = values * 10.0**decimals
            tolerance = 1e-6 * max(1.0, float(np.abs(scaled).max(initial=0.0)))
            if np.allclose(scaled, np.round(scaled), rtol=0, atol=tolerance):
                self.decimals = decimals
                break

    def __call__(self, x: float, pos: int | None = None) -> str:
        """Format one tick value."""
        value = round(x, self.decimals) + 0.0
        return f"{self.prefix}{value:,.{self.decimals}f}{self.suffix}"


class MoneyFormatter(ThousandsFormatter):
    """Tick labels like '£1.5' and '-£0.2' (the sign before the pound sign)."""

    def __init__(self, suffix: str = "") -> None:
        """Initialise.

        Args:
            suffix: Text after the number, e.g. "bn".
        """
        super().__init__(prefix="£", suffix=suffix)

    def __call__(self, x: float, pos: int | None = None) -> str:
        """Format one tick value."""
        return super().__call__(x, pos).replace("£-", "-£")


# --------------------------------------------------------------------------- helpers


def not_available(ax: Axes, reason: str = "not available") -> None:
    """Say in the middle of an empty panel why it is empty."""
    ax.text(
        0.5,
        0.5,
        reason,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=MUTED,
        fontsize=10,
        style="italic",
    )
    ax.tick_params(axis="y", left=False, labelleft=False)
    ax.grid(False)


def floor_at_zero(ax: Axes, *series: np.ndarray) -> None:
    """Start the y axis at zero when no series goes below it."""
    finite = [s[np.isfinite(s)] for s in series]
    if all(s.size == 0 or s.min() >= 0 for s in finite):
        ax.set_ylim(bottom=0)


def setup_time_axis(ax: Axes, x: np.ndarray) -> None:
    """Concise month/year date ticks spanning the dates ``x`` (datetime64)."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    span = x[-1] - x[0] if x.size > 1 else np.timedelta64(31, "D")
    ax.set_xlim(x[0], x[-1] if x.size > 1 else x[0] + span)


def save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG on an Agg canvas (no display, no pyplot state)."""
    path = Path(path)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI, facecolor="white")
    return path


