"""The figures of ``sendabm report``, drawn from an :class:`~sendabm.experiments.ensemble.Ensemble`.

The same functions serve a single run (one line per measure) and a comparison (one
line per scenario: the median over replications, with the 5–95th percentile band):

- :func:`national_figure` — six key national series;
- :func:`placements_figure` — children with plans by setting over time;
- :func:`funnel_figure` — the dispute funnel per school year: requests, refusals,
  mediations, appeals, hearings and hearings won by families;
- :func:`money_figure` — spend by category per financial year, spend against
  allocation, the cumulative deficit and the LAs past their reserves;
- :func:`equity_figure` — outcomes by family-resources quintile.

Sweep figures (outcome distributions across runs, outcomes against inputs and
sensitivity indices) are in :mod:`sendabm.presentation.sweep_figures`. Every figure uses
:mod:`sendabm.presentation.style`: Okabe–Ito colours, a title, a unit on every y axis, dated time
axes and the legend below the panels.
"""

from __future__ import annotations

import datetime
import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sendabm.core.measures import (
    EQUITY_OUTCOMES,
    FLOW,
    GBP,
    GENERAL_FUND_SPENDING,
    KEY_OUTCOMES,
    LAST,
    MEAN_12,
    MEASURES,
    OUTSIDE_LA_SPENDING,
    SPEND,
    SUM,
    Measure,
)
from sendabm.experiments.ensemble import Ensemble
from sendabm.presentation.style import (
    DPI,
    INK,
    LABELS,
    MUTED,
    OKABE_ITO,
    STYLE,
    MoneyFormatter,
    ThousandsFormatter,
    axis_unit,
    floor_at_zero,
    not_available,
    rolling_sum,
    save,
    setup_time_axis,
)

BAND = (5.0, 95.0)
"""Percentiles over runs shaded around the median."""

SCENARIO_CYCLE = ("vermillion", "blue", "green", "orange", "purple", "sky")
BASE_COLOUR = "#4d4d4d"

NATIONAL_PANELS: tuple[tuple[str, str], ...] = (
    ("ehc_plans", "Children with EHC plans"),
    ("sen_support", "Children on SEN support"),
    ("appeals_registered", "Tribunal appeals registered"),
    ("adversarial_index", "Adversarial index"),
    ("mean_unmet_need", "Mean unmet need"),
    ("mean_trust_in_la", "Families' trust in their LA"),
)
"""Measure and title of each national panel; the y axis is the registry's unit, and flows
are drawn as 12-month sums."""

SETTINGS: tuple[tuple[str, str], ...] = (
    ("placements_mainstream", "Mainstream schools"),
    ("placements_special", "State special schools"),
    ("placements_independent", "Independent special schools"),
    ("placements_further_education", "Further education"),
)

FUNNEL: tuple[tuple[str, str, str], ...] = tuple(
    (name, LABELS[name], colour) for name, colour in (
        ("assessment_requests", "sky"), ("assessments_refused", "blue"),
        ("mediations", "green"), ("appeals_registered", "orange"), ("hearings", "vermillion"),
        ("hearings_won_by_family", "purple")))
"""The stages of a dispute, in order: measure, legend label and colour."""

_SPEND_COLOURS = ("sky", "blue", "vermillion", "green", "orange", "purple", "grey", "yellow")
SPEND_CATEGORIES: tuple[tuple[str, str, str], ...] = tuple(
    (name, LABELS[name], _SPEND_COLOURS[k % len(_SPEND_COLOURS)])
    for k, name in enumerate((*SPEND, *GENERAL_FUND_SPENDING, *OUTSIDE_LA_SPENDING)))
"""The spend categories of the registry, high needs, then the general fund's, then other
payers': measure, legend label and colour."""


TITLE_CHARS = 40
"""Longest equity label used as a panel title; longer ones use the measure's short name."""


def _equity_panel(m: Measure) -> tuple[str, str, str, str]:
    if m.equity_share:
        return m.name, f"Share of {m.legend}", "% of all plans", "share"
    period = {SUM: ", last 12 months", MEAN_12: ", last 12 months"}.get(m.reducer, "")
    # Long labels (those of the redress routes) would run into the next panel.
    title = m.label if len(m.label) <= TITLE_CHARS else (m.short or m.label)
    return m.name, title, m.unit + period, m.reducer


EQUITY_PANELS: tuple[tuple[str, str, str, str], ...] = tuple(
    _equity_panel(m) for m in EQUITY_OUTCOMES)
"""The equity measures of the registry: measure, title, y-axis label and how the last year
is reduced (``share`` of all, ``sum``, ``last`` or ``mean``)."""

WIDE = (13.0, 7.4)


# --------------------------------------------------------------------------- helpers


def scenario_colours(ens: Ensemble) -> dict[str, str]:
    """The base (or only) scenario in dark grey or blue, policies in Okabe–Ito colours."""
    if len(ens.scenarios) == 1:
        return {ens.scenarios[0]: OKABE_ITO["blue"]}
    colours = {ens.scenarios[0]: BASE_COLOUR}
    for k, name in enumerate(ens.scenarios[1:]):
        colours[name] = OKABE_ITO[SCENARIO_CYCLE[k % len(SCENARIO_CYCLE)]]
    return colours


def _label(ens: Ensemble, name: str) -> str:
    return f"{name} (base)" if len(ens.scenarios) > 1 and name == ens.scenarios[0] else name


def _title(ens: Ensemble, what: str) -> str:
    runs = f"{ens.n_runs} run{'s' if ens.n_runs != 1 else ''} per scenario"
    span = f"{ens.dates[0]:%b %Y} to {ens.dates[-1]:%b %Y}"
    if len(ens.scenarios) == 1:
        return f"{what}: {ens.scenarios[0]}  ·  {span}"
    return f"{what}: {', '.join(ens.scenarios[1:])} vs {ens.scenarios[0]}  ·  {runs}  ·  {span}"


def _x(ens: Ensemble) -> np.ndarray:
    return np.array(ens.dates, dtype="datetime64[D]")


def band(runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5th percentile, median and 95th percentile over runs (axis 0), NaN-aware."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, mid, high = np.nanpercentile(runs, [BAND[0], 50.0, BAND[1]], axis=0)
    return low, mid, high


def _draw_runs(ax: Axes, x: np.ndarray, runs: np.ndarray, colour: str) -> None:
    """Median line, and the 5–95% band when there is more than one run."""
    low, mid, high = band(runs)
    if runs.shape[0] > 1:
        ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
    ax.plot(x, mid, color=colour)


def _legend(fig: Figure, ens: Ensemble, extra: list | None = None) -> None:
    colours = scenario_colours(ens)
    handles: list = [Line2D([], [], color=colours[s], linewidth=2, label=_label(ens, s))
                     for s in ens.scenarios]
    if ens.n_runs > 1:
        handles.append(Patch(facecolor="#8a8a8a", alpha=0.35,
                             label=f"{BAND[0]:g}–{BAND[1]:g}th percentile over runs "
                                   "(line: median)"))
    handles += extra or []
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5))


def _figure(size: tuple[float, float], rows: int, cols: int, **kwargs) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False, **kwargs))
    return fig, axes


def _suptitle(fig: Figure, text: str) -> None:
    fig.suptitle(text, x=0.01, ha="left", fontsize=12, fontweight="bold")


def _time_panel(ax: Axes, ens: Ensemble, measure: str, kind: str, scale: float = 1.0) -> bool:
    """Every scenario's median and band of ``measure``; False if no scenario has it."""
    x, colours, drawn = _x(ens), scenario_colours(ens), []
    for name in ens.scenarios:
        runs = ens.runs(name, measure)
        if runs is None:
            continue
        if kind == "flow":
            runs = np.stack([rolling_sum(r) for r in runs])
        _draw_runs(ax, x, runs / scale, colours[name])
        drawn.append(runs / scale)
    if drawn:
        floor_at_zero(ax, *[d.ravel() for d in drawn])
    return bool(drawn)


# --------------------------------------------------------------------------- national


def national_figure(ens: Ensemble, path: Path) -> Path:
    """Six key national series over time (median and band per scenario) as a PNG."""
    with mpl.rc_context(STYLE):
        fig, axes = _figure(WIDE, 2, 3, sharex=True)
        setup_time_axis(axes[0, 0], _x(ens))
        for ax, (name, title) in zip(axes.flat, NATIONAL_PANELS, strict=True):
            ax.set_title(title)
            ax.set_ylabel(axis_unit(name, flow="per 12 months"))
            kind = "flow" if MEASURES[name].kind == FLOW else "stock"
            if not _time_panel(ax, ens, name, kind):
                not_available(ax)
            ax.yaxis.set_major_formatter(ThousandsFormatter())
        _legend(fig, ens)
        _suptitle(fig, _title(ens, "National series"))
        return save(fig, path)


def placements_figure(ens: Ensemble, path: Path) -> Path:
    """Children with EHC plans by setting over time, one panel per setting, as a PNG."""
    with mpl.rc_context(STYLE):
        fig, axes = _figure((12.0, 7.0), 2, 2, sharex=True)
        setup_time_axis(axes[0, 0], _x(ens))
        for ax, (measure, title) in zip(axes.flat, SETTINGS, strict=True):
            ax.set_title(title)
            ax.set_ylabel("children with a plan (England)")
            if not _time_panel(ax, ens, measure, "stock"):
                not_available(ax)
            ax.yaxis.set_major_formatter(ThousandsFormatter())
        _legend(fig, ens)
        _suptitle(fig, _title(ens, "Placements by setting"))
        return save(fig, path)


# --------------------------------------------------------------------------- funnel


def year_totals(dates: list[datetime.date], runs: np.ndarray,
                first_month: int) -> tuple[list[int], np.ndarray]:
    """Sum monthly flows over complete years starting in ``first_month``.

    Args:
        dates: First day of each month.
        runs: Array (n_runs, T) of monthly flows.
        first_month: 9 for school years (September–August), 4 for financial years.

    Returns:
        The calendar year each complete year starts in, and the sums (n_runs, n_years).
    """
    starts = [i for i, d in enumerate(dates) if d.month == first_month]
    complete = [i for i in starts if i + 12 <= len(dates)]
    sums = np.stack([np.nansum(runs[:, i:i + 12], axis=1) for i in complete], axis=1) \
        if complete else np.zeros((runs.shape[0], 0))
    return [dates[i].year for i in complete], sums


def _year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def funnel_figure(ens: Ensemble, path: Path) -> Path:
    """The dispute funnel per school year (median over runs), one panel per scenario."""
    rows = len(ens.scenarios)
    with mpl.rc_context(STYLE):
        fig, axes = _figure((13.0, 1.0 + 3.1 * rows), rows, 1, sharex=True, sharey=True)
        for ax, name in zip(axes[:, 0], ens.scenarios, strict=True):
            ax.set_title(_label(ens, name) if rows > 1 else "Stages of a dispute, per school year")
            _funnel_panel(ax, ens, name)
        handles = [Patch(facecolor=OKABE_ITO[c], label=label) for _, label, c in FUNNEL]
        fig.legend(handles=handles, loc="outside lower center", ncols=6,
                   title="Each stage, counted in the school year it happens (England; "
                         "median over runs; log scale)")
        _suptitle(fig, _title(ens, "Dispute funnel"))
        return save(fig, path)


def _funnel_panel(ax: Axes, ens: Ensemble, name: str) -> None:
    width = 0.8 / len(FUNNEL)
    years: list[int] = []
    for k, (measure, _, colour) in enumerate(FUNNEL):
        runs = ens.runs(name, measure)
        if runs is None:
            continue
        years, sums = year_totals(ens.dates, runs, 9)
        median = band(sums)[1] if sums.size else np.array([])
        ax.bar(np.arange(len(years)) + (k - 2.5) * width, np.where(median > 0, median, np.nan),
               width=width * 0.95, color=OKABE_ITO[colour])
    if not years:
        not_available(ax, "needs a complete school year (September to August)")
        return
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ThousandsFormatter())
    ax.set_ylabel("per school year")
    ax.set_xticks(np.arange(len(years)), [_year_label(y) for y in years])
    ax.grid(axis="x", visible=False)


# --------------------------------------------------------------------------- money


def money_figure(ens: Ensemble, path: Path) -> Path:
    """Spend by category, spend against allocation, deficit and LAs past reserves (PNG)."""
    with mpl.rc_context(STYLE):
        fig, axes = _figure(WIDE, 2, 2)
        _spend_categories(axes[0, 0], ens)
        _spend_against_allocation(axes[0, 1], ens)
        ax = axes[1, 0]
        setup_time_axis(ax, _x(ens))
        ax.set_title("Cumulative high-needs deficit, all LAs")
        ax.set_ylabel("£ billion")
        if not _time_panel(ax, ens, "cumulative_deficit_gbp", "stock", scale=1e9):
            not_available(ax)
        ax.yaxis.set_major_formatter(MoneyFormatter())
        ax = axes[1, 1]
        setup_time_axis(ax, _x(ens))
        ax.set_title("LAs whose deficit exceeds their reserves")
        ax.set_ylabel("local authorities")
        if not _time_panel(ax, ens, "las_deficit_over_reserves", "stock"):
            not_available(ax)
        ax.yaxis.set_major_formatter(ThousandsFormatter())
        _legend(fig, ens, [Line2D([], [], color=MUTED, linestyle=(0, (4, 2)),
                                  label="High-needs allocation")])
        _suptitle(fig, _title(ens, "Money"))
        return save(fig, path)


def _spend_categories(ax: Axes, ens: Ensemble) -> None:
    """Stacked bars of the first scenario's median spend by category per financial year."""
    name = ens.scenarios[0]
    ax.set_title(f"High-needs spend by category, per financial year ({name})"
                 if len(ens.scenarios) > 1 else "High-needs spend by category, per financial year")
    bottom, years = None, []
    for measure, label, colour in SPEND_CATEGORIES:
        runs = ens.runs(name, measure)
        if runs is None:
            continue
        years, sums = year_totals(ens.dates, runs, 4)
        if not years:
            break
        median = band(sums)[1] / 1e9
        bottom = np.zeros_like(median) if bottom is None else bottom
        ax.bar(np.arange(len(years)), median, bottom=bottom, color=OKABE_ITO[colour],
               label=label, width=0.75, edgecolor="white", linewidth=0.4)
        bottom = bottom + median
    if not years or bottom is None:
        not_available(ax, "needs a complete financial year (April to March)")
        return
    ax.set_xticks(np.arange(len(years)), [_year_label(y) for y in years],
                  rotation=45 if len(years) > 8 else 0)
    ax.set_ylabel("£ billion (England)")
    ax.yaxis.set_major_formatter(MoneyFormatter())
    ax.grid(axis="x", visible=False)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0),
              fontsize=7.5)


def _spend_against_allocation(ax: Axes, ens: Ensemble) -> None:
    setup_time_axis(ax, _x(ens))
    ax.set_title("High-needs spend against allocation (12 months to date)")
    ax.set_ylabel("£ billion per 12 months")
    allocation = ens.runs(ens.scenarios[0], "high_needs_allocation_gbp")
    if allocation is not None:
        ax.plot(_x(ens), band(np.stack([rolling_sum(r) for r in allocation]))[1] / 1e9,
                color=MUTED, linestyle=(0, (4, 2)))
    if not _time_panel(ax, ens, "high_needs_spend_gbp", "flow", scale=1e9):
        not_available(ax)
    ax.yaxis.set_major_formatter(MoneyFormatter())


# --------------------------------------------------------------------------- equity


def quintile_values(ens: Ensemble, name: str, measure: str, how: str) -> np.ndarray | None:
    """Per-run values (n_runs, 5) of a quintile measure over the last 12 months."""
    cube = ens.quintiles.get(name, {}).get(measure)
    if cube is None or not np.isfinite(cube).any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if how == "sum":
            return np.nansum(cube[:, -12:, :], axis=1)
        if how == "mean":
            return np.nanmean(cube[:, -12:, :], axis=1)
        last = cube[:, -1, :]
        if how == "share":
            return 100.0 * last / np.nansum(last, axis=1, keepdims=True)
        return last


EQUITY_COLUMNS = 4
"""Panels a row in the report's equity figure."""


def equity_figure(ens: Ensemble, path: Path) -> Path:
    """The registry's equity outcomes by family-resources quintile at the end of the run,
    then appeals per 100 plans by quintile over time (PNG).

    Bars are medians over runs; whiskers the 5–95th percentiles (comparisons only).
    """
    names, colours = ens.scenarios, scenario_colours(ens)
    width = 0.8 / len(names)
    panels = len(EQUITY_PANELS) + 1
    rows = -(-panels // EQUITY_COLUMNS)
    with mpl.rc_context(STYLE):
        fig, axes = _figure((4.3 * EQUITY_COLUMNS, 3.6 * rows), rows, EQUITY_COLUMNS)
        for ax in axes.flat[panels:]:
            ax.set_visible(False)
        for ax, (measure, title, unit, how) in zip(axes.flat[:panels - 1], EQUITY_PANELS,
                                                   strict=True):
            ax.set_title(title)
            ax.set_ylabel(unit)
            drawn = False
            for k, name in enumerate(names):
                values = quintile_values(ens, name, measure, how)
                if values is None:
                    continue
                _quintile_bars(ax, values, (k - (len(names) - 1) / 2) * width, width,
                               colours[name])
                drawn = True
            if not drawn:
                not_available(ax)
            _quintile_axis(ax)
        _appeal_rate_panel(axes.flat[panels - 1], ens)
        handles = [Patch(facecolor=colours[s], label=_label(ens, s)) for s in names]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5),
                   title=f"Family-resources quintile at {ens.dates[-1]:%B %Y}"
                         + ("; bars: median over runs, whiskers: 5–95th percentile"
                            if ens.n_runs > 1 else ""))
        _suptitle(fig, _title(ens, "Equity by family resources"))
        return save(fig, path)


def _quintile_bars(ax: Axes, values: np.ndarray, offset: float, width: float,
                   colour: str) -> None:
    low, mid, high = band(values)
    error = None
    if values.shape[0] > 1:
        error = np.vstack([np.nan_to_num(mid - low), np.nan_to_num(high - mid)])
    ax.bar(np.arange(1, 6) + offset, np.nan_to_num(mid), width=width * 0.92, color=colour,
           yerr=error, error_kw={"elinewidth": 0.9, "capsize": 2.0, "ecolor": INK})


def _quintile_axis(ax: Axes) -> None:
    ax.set_xticks(np.arange(1, 6), ["1\nleast", "2", "3", "4", "5\nmost"])
    ax.set_xlim(0.45, 5.55)
    ax.set_ylim(bottom=0)
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_formatter(ThousandsFormatter())
    ax.set_xlabel("family-resources quintile", color=MUTED)


def _appeal_rate_panel(ax: Axes, ens: Ensemble) -> None:
    """Appeals per 100 EHC plans by quintile over time, for the first scenario."""
    name = ens.scenarios[0]
    appeals = ens.quintiles.get(name, {}).get("appeals_registered")
    plans = ens.quintiles.get(name, {}).get("ehc_plans")
    ax.set_title("Appeals a year per 100 EHC plans" + (f" ({name})" if len(ens.scenarios) > 1
                                                        else ""))
    ax.set_ylabel("appeals per 100 plans, 12 months to date")
    x = _x(ens)
    setup_time_axis(ax, x)
    if appeals is None or plans is None or len(ens.dates) < 12:
        not_available(ax, "needs 12 months of data")
        return
    colours = mpl.colormaps["viridis"](np.linspace(0.0, 0.82, 5))
    for q in range(5):
        yearly = np.stack([rolling_sum(r) for r in appeals[:, :, q]])
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = 100.0 * yearly / np.where(plans[:, :, q] > 0, plans[:, :, q], np.nan)
        ax.plot(x, band(rate)[1], color=colours[q], linewidth=1.4, label=f"quintile {q + 1}")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5)


# --------------------------------------------------------------------------- replications

def _outcome_unit(name: str) -> str:
    m = MEASURES[name]
    unit = "£ billion" if m.unit == GBP else m.unit
    return unit + {SUM: " in the window", LAST: " at the end",
                   MEAN_12: ", last 12 months"}[m.reducer]


OUTCOME_UNITS = {name: _outcome_unit(name) for name in KEY_OUTCOMES}
"""Unit of each key outcome of a comparison, as it is reduced
(:mod:`sendabm.experiments.outcomes`)."""


def replications_figure(values: dict[str, dict[str, np.ndarray]], scenarios: list[str],
                        labels: dict[str, str], path: Path) -> Path:
    """Key outcomes of a comparison: every replication as a dot, median and 5–95% bar.

    Args:
        values: Scenario -> outcome -> per-replication values (``replications.csv``).
        scenarios: Scenario names, the base first.
        labels: Outcome -> panel title.
        path: PNG file to write.
    """
    outcomes = [o for o in OUTCOME_UNITS if all(o in values[s] for s in scenarios)]
    fake = Ensemble(scenarios=scenarios, seeds=[0, 1], dates=[], national={}, quintiles={})
    colours = scenario_colours(fake)
    with mpl.rc_context(STYLE):
        rows = int(np.ceil(len(outcomes) / 3)) or 1
        fig, axes = _figure((13.0, 1.2 + 1.1 * rows * max(2, len(scenarios)) * 0.75), rows, 3)
        for ax in axes.flat[len(outcomes):]:
            ax.set_visible(False)
        for ax, outcome in zip(axes.flat, outcomes, strict=False):
            scale = 1e9 if outcome.endswith("_gbp") else 1.0
            for k, name in enumerate(scenarios):
                runs = np.asarray(values[name][outcome], dtype=float) / scale
                low, mid, high = band(runs[None, :].T)
                ax.plot([low[0], high[0]], [k, k], color=colours[name], linewidth=5,
                        alpha=0.35, solid_capstyle="butt")
                ax.scatter(runs, np.full(runs.size, k), s=12, color=colours[name], zorder=3)
                ax.plot([mid[0]], [k], marker="|", markersize=14, color=INK, zorder=4)
            ax.set_yticks(range(len(scenarios)), [_label(fake, s) for s in scenarios])
            ax.set_ylim(len(scenarios) - 0.5, -0.5)
            ax.set_title(labels.get(outcome, outcome), fontsize=9.5)
            ax.set_xlabel(OUTCOME_UNITS[outcome], color=MUTED)
            ax.grid(axis="y", visible=False)
            ax.grid(axis="x", visible=True)
            ax.xaxis.set_major_formatter(MoneyFormatter() if scale > 1 else ThousandsFormatter())
            ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(4))
        handles = [Line2D([], [], marker="o", linestyle="none", color=MUTED, label="one run"),
                   Line2D([], [], color=MUTED, linewidth=5, alpha=0.35,
                          label=f"{BAND[0]:g}–{BAND[1]:g}th percentile"),
                   Line2D([], [], marker="|", markersize=12, linestyle="none", color=INK,
                          label="median")]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        _suptitle(fig, f"Key outcomes over replications: {', '.join(scenarios[1:])} vs "
                       f"{scenarios[0]}")
        return save(fig, path)
