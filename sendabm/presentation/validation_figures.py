"""Figures of ``sendabm validate``: the fit to the record, the projection to 2039/40 and
the fit LA by LA.

:data:`VALIDATION_FIGURES` is what the command line gives
:func:`sendabm.experiments.validate.write_validation` to draw.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
from matplotlib import ticker as mticker
from matplotlib.figure import Figure

from sendabm.experiments import la_fit as F
from sendabm.experiments import targets as T
from sendabm.experiments.validate import (
    Validation,
    fit_table,
    mape_table,
    published_projections,
    yearly_if_flow,
)
from sendabm.presentation.style import (
    COLOURS,
    INK,
    LABELS,
    MUTED,
    OKABE_ITO,
    STYLE,
    ThousandsFormatter,
    not_available,
    rolling_sum,
    save,
)

MODEL = OKABE_ITO["blue"]
RECORD = OKABE_ITO["vermillion"]
PROJECTION_START = dt.date(2025, 9, 1)


def _period_date(target: T.Target, year: int) -> dt.date:
    """Where a period's value is drawn on a time axis: its middle month
    (:func:`sendabm.experiments.targets.middle`)."""
    return T.middle(target.period, year)


def _formatter(target: T.Target) -> mticker.Formatter:
    if target.denominator is not None or target.unit.startswith("share"):
        return mticker.PercentFormatter(xmax=1.0, decimals=1)
    if target.unit == "£":
        return mticker.FuncFormatter(lambda x, _: f"£{x / 1e9:,.1f}bn")
    return ThousandsFormatter()


def _fit_panel(ax, target: T.Target, rows: Sequence[dict], mape: dict[str, float]) -> None:
    rows = [r for r in rows if r["series"] == target.name]
    x = [_period_date(target, r["year"]) for r in rows]
    med = np.array([r["median"] for r in rows])
    ax.fill_between(x, [r["p5"] for r in rows], [r["p95"] for r in rows], color=MODEL,
                    alpha=0.22, linewidth=0, label="model, 90% band")
    ax.plot(x, med, color=MODEL, marker="o", markersize=2.5, label="model, median")
    rec = [(xi, r["record"]) for xi, r in zip(x, rows, strict=True) if np.isfinite(r["record"])]
    if rec:
        ax.plot(*zip(*rec, strict=True), linestyle="none", marker="D", markersize=4.5, color=RECORD,
                label="record")
    # Wrapped to the panel's width: a long label otherwise runs into the next panel's.
    title = textwrap.fill(target.label, TITLE_CHARS)
    ax.set_title(f"{title}\nMAPE 2015-22: {mape['median']:.1f}%", fontsize=9)
    ax.set_ylabel(target.unit)
    ax.yaxis.set_major_formatter(_formatter(target))
    _floor_at_zero(ax)
    _time_axis(ax, dt.date(2014, 9, 1), dt.date(2025, 8, 31))


def _floor_at_zero(ax) -> None:
    """Start the value axis at zero, unless the values go below it (a deficit can be a
    surplus): then the automatic lower limit stands."""
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))


def _time_axis(ax, first: dt.date, last: dt.date) -> None:
    locator = mdates.YearLocator(base=2 if (last - first).days < 4500 else 4)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlim(first, last)


FIT_COLUMNS = 5
"""Panels per row of the validation figure (one panel per target)."""
TITLE_CHARS = 38
"""Characters of a panel's title per line in that figure, at its 9-point titles."""


def validation_figure(v: Validation, path: Path) -> Path:
    """Each target: the record against the model's median and 90% band, 2014-2025."""
    rows, mapes = fit_table(v), mape_table(v)
    with mpl.rc_context(STYLE):
        n_rows = -(-len(T.TARGETS) // FIT_COLUMNS)
        fig = Figure(figsize=(17.0, 3.6 * n_rows), layout="constrained")
        axes = fig.subplots(n_rows, FIT_COLUMNS)
        for ax, target in zip(axes.flat, T.TARGETS, strict=False):
            _fit_panel(ax, target, rows, mapes[target.name])
        for ax in axes.flat[len(T.TARGETS):]:
            ax.set_axis_off()
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
        fig.suptitle(f"Calibrated baseline against the record: {len(v.seeds)} seeds at scale "
                     f"{v.scale:g}, September 2014 to August 2025 (England scale)",
                     color=INK, fontweight="bold", fontsize=11, x=0.01, ha="left")
        return save(fig, path)


PROJECTION_PANELS = (
    ("EHC plans", "plans", ("ehc_plans",), "ehc_plans"),
    ("Appeals registered (last 12 months)", "appeals/year", ("appeals_registered",),
     "appeals_registered"),
    ("Placements by setting", "children",
     ("placements_mainstream", "placements_special", "placements_independent"), None),
    ("High-needs spend and allocation", "£bn/year",
     ("high_needs_spend_gbp", "high_needs_allocation_gbp"), None),
    ("Cumulative high-needs deficit", "£bn", ("cumulative_deficit_gbp",),
     "cumulative_deficit_gbp"),
    ("LAs with a deficit over their reserves", "LAs (of 152)", ("las_deficit_over_reserves",),
     None),
)
SERIES_LABEL = {name: LABELS[name] for panel in PROJECTION_PANELS if len(panel[2]) > 1
                for name in panel[2]}
"""Legend labels of the series that share a panel (the registry's short labels)."""


def _projection_panel(ax, v: Validation, title: str, unit: str, names: Sequence[str],
                      record: str | None) -> None:
    x = np.array(v.dates, dtype="datetime64[D]")
    money = unit.startswith("£")
    for name in names:
        values = yearly_if_flow(name, v.national[name]) / (1e9 if money else 1.0)
        if name == "high_needs_spend_gbp" or name == "high_needs_allocation_gbp":
            values = rolling_sum(values)
        colour = COLOURS.get(name, MODEL)
        # Yearly sums are undefined (NaN) in every run for the first 11 months; those
        # months are left blank rather than warned about.
        filled = ~np.all(np.isnan(values), axis=0)
        low = np.full(x.shape, np.nan)
        high, mid = low.copy(), low.copy()
        low[filled] = np.nanpercentile(values[:, filled], 5, axis=0)
        high[filled] = np.nanpercentile(values[:, filled], 95, axis=0)
        mid[filled] = np.nanmedian(values[:, filled], axis=0)
        ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
        ax.plot(x, mid, color=colour, label=SERIES_LABEL.get(name, "model median, 90% band"))
    if record is not None:
        target = T.BY_NAME[record]
        data = T.record()[record]
        # The model's flows are trailing 12-month sums dated by their last month, so an
        # academic year's record sits at its August, not at its middle.
        ax.plot([T.window(target.period, y)[1] for y in data],
                np.array(list(data.values())) / (1e9 if money else 1.0),
                linestyle="none", marker="D", markersize=4, color=RECORD, label="record")
    if record == "ehc_plans":
        _published_projections(ax, v)
    ax.axvline(PROJECTION_START, color=MUTED, linewidth=0.8, linestyle="--")
    ax.text(PROJECTION_START, 1.0, " projection", transform=ax.get_xaxis_transform(),
            color=MUTED, fontsize=7.5, va="top")
    ax.set_title(title, fontsize=9.5)
    ax.set_ylabel(unit)
    ax.yaxis.set_major_formatter(ThousandsFormatter())
    _floor_at_zero(ax)
    _time_axis(ax, v.dates[0], v.dates[-1])
    ax.legend(loc="upper left", fontsize=7.5)


def _published_projections(ax, v: Validation) -> None:
    """The published cohort projection's EHC plans (``national_series.csv``, kind
    ``projection``), where the runs reach its year: one marker per assumption."""
    for (_, assumption, day, value), marker in zip(published_projections(), ("v", "^"),
                                                   strict=True):
        if v.dates and v.dates[-1] >= day:
            ax.plot([np.datetime64(day)], [value], linestyle="none", marker=marker,
                    markersize=6, color=RECORD, markerfacecolor="white",
                    label=f"published projection, {assumption}")


def projection_figure(v: Validation, path: Path) -> Path:
    """The calibrated baseline run on to 2039/40 with no policy change."""
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(14.0, 7.4), layout="constrained")
        axes = fig.subplots(2, 3)
        for ax, (title, unit, names, record) in zip(axes.flat, PROJECTION_PANELS, strict=True):
            _projection_panel(ax, v, title, unit, names, record)
        fig.suptitle(f"Baseline projection with no policy change: median and 90% band of "
                     f"{len(v.seeds)} seeds at scale {v.scale:g}, England scale, "
                     f"{v.dates[0]:%b %Y} to {v.dates[-1]:%b %Y}", color=INK,
                     fontweight="bold", fontsize=11, x=0.01, ha="left")
        return save(fig, path)


def _la_fit_panel(ax, measure: F.FitMeasure, pairs: F.Pairs, summary: F.MeasureFit) -> None:
    both = np.isfinite(pairs.model) & np.isfinite(pairs.record)
    x, y = pairs.record[both], pairs.model[both]
    if not x.size:
        ax.set_title(measure.label, fontsize=9)
        not_available(ax, "no LA with both values")
        return
    top = float(max(x.max(), y.max())) * 1.05 or 1.0
    ax.plot([0, top], [0, top], color=MUTED, linewidth=0.9, linestyle="--",
            label="model = record")
    ax.scatter(x, y, s=14, color=MODEL, alpha=0.7, edgecolors="white", linewidths=0.4,
               label="one LA")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_aspect("equal")
    ax.grid(True, axis="both")
    percent = mticker.PercentFormatter(xmax=1.0, decimals=measure.decimals - 1)
    ax.xaxis.set_major_formatter(percent)
    ax.yaxis.set_major_formatter(percent)
    ax.set_xlabel("record")
    ax.set_ylabel("model (mean of seeds)")
    rho = "–" if not np.isfinite(summary.rho) else f"{summary.rho:.2f}"
    ax.set_title(f"{measure.label}\nρ = {rho}, {summary.n} LAs", fontsize=9)


def la_fit_figure(la_fit: F.LAFit, path: Path) -> Path:
    """Each LA fit measure in 2022: one point per LA, model against record, with the
    45-degree line and the rank correlation in the title."""
    years = la_fit.years()
    year = F.REPORT_YEAR if F.REPORT_YEAR in years else years[-1]
    with mpl.rc_context(STYLE):
        columns = (len(F.FIT_MEASURES) + 1) // 2
        # Wide enough per panel that neighbouring titles do not run into each other.
        fig = Figure(figsize=(4.6 * columns, 8.8), layout="constrained")
        axes = fig.subplots(2, columns)
        for ax, m in zip(axes.flat[:len(F.FIT_MEASURES)], F.FIT_MEASURES, strict=True):
            _la_fit_panel(ax, m, la_fit.pairs[(m.name, year)], la_fit.summary[(m.name, year)])
        for ax in axes.flat[len(F.FIT_MEASURES):]:
            ax.set_visible(False)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        fig.suptitle(f"The model against the record, local authority by local authority, "
                     f"{year} ({la_fit.seeds} seeds; ρ: Spearman rank correlation)",
                     color=INK, fontweight="bold", fontsize=11, x=0.01, ha="left")
        return save(fig, path)


def validation_la_fit_figure(v: Validation, path: Path) -> Path:
    """:func:`la_fit_figure` of a validation's runs.

    Raises:
        ValueError: The validation kept no per-LA counts.
    """
    if v.la_fit is None:
        raise ValueError("this validation kept no per-LA counts; run it with run_validation")
    return la_fit_figure(v.la_fit, path)


VALIDATION_FIGURES = {"validation.png": validation_figure, "projection.png": projection_figure,
                      F.LA_FIT_PNG: validation_la_fit_figure}
"""The figures of ``sendabm validate``: file name -> drawing function of a Validation."""
