"""The report of one LA of a run folder: ``sendabm report DIR --la NAME_OR_CODE``.

The page shows the LA's model series against its published record (EHC plans, and the
six measures of the LA fit, :data:`sendabm.experiments.la_fit.FIT_MEASURES`, read the
same way), beside its neighbours in the areas network (their median and range in the
model, and the median of their record), a map of the local areas with the LA and its
neighbours ringed and labelled, a table of the record years, and the LA's own practice
as the packaged dispositions table holds it (:func:`practice_table`). The merged unit
Bournemouth, Poole and Dorset (:data:`sendabm.core.la_record.DORSET_GROUP`) can be
given too: its three areas are then summed, as the record is from 2019.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib import ticker as mticker
from matplotlib.figure import Figure

from sendabm.core import dispositions as D
from sendabm.core import la_record
from sendabm.experiments import la_fit as F
from sendabm.experiments import targets as T
from sendabm.experiments.results import ResultsError, RunOutput, read_run
from sendabm.presentation import areamap
from sendabm.presentation.report_base import Report, Section, number
from sendabm.presentation.style import (
    INK,
    OKABE_ITO,
    STYLE,
    ThousandsFormatter,
    save,
    setup_time_axis,
)

MODEL = OKABE_ITO["blue"]
RECORD = OKABE_ITO["vermillion"]
NEIGHBOURS = OKABE_ITO["grey"]
SERIES_PNG = "la_series.png"
MAP_PNG = "la_map.png"


def slug(name: str) -> str:
    """A folder-safe form of an LA name, e.g. 'Kingston upon Hull' -> 'kingston-upon-hull'."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "la"


def default_name(name_or_code: str) -> str:
    """The LA's name for the report folder: the built-in name of a code, else as given."""
    try:
        return la_record.names_by_code()[la_record.find(name_or_code)]
    except la_record.LARecordError:
        return name_or_code


class LAView:
    """One LA of a run, read for the page: its unit, neighbours and yearly values.

    Attributes:
        output: The run.
        unit: The LA (:class:`sendabm.experiments.la_fit.Unit`).
        neighbours: Its neighbours in the areas network (none for a user's own areas).
        years: Calendar years of the run.
        model, near: Measure -> the LA's values (year,) and its neighbours' (year, n).
        record, near_record: Measure -> the LA's record (year,) and its neighbours'
            record median (year,).
    """

    def __init__(self, output: RunOutput, name_or_code: str) -> None:
        """Read ``name_or_code`` from ``output``.

        Raises:
            ResultsError: The LA is not in the run (one line, with close names).
        """
        try:
            self.unit = F.find_unit(output.la_names, name_or_code)
        except F.LAFitError as error:
            raise ResultsError(str(error)) from None
        self.output = output
        self.areas = areamap.areas_for(output.la_names)
        self.neighbours = (F.neighbour_units(self.unit, output.la_names, self.areas)
                           if self.areas is not None else [])
        self.years = list(range(output.dates[0].year, output.dates[-1].year + 1))
        counts = F.la_counts(output)
        self.model = {k: v[0, :, 0] for k, v in F.unit_series(counts, [self.unit],
                                                              self.years).items()}
        self.near = {k: v[0] for k, v in F.unit_series(counts, self.neighbours,
                                                       self.years).items()}
        self.record = F.record_series(self.unit, self.years, output.la_names)
        near_records = [F.record_series(n, self.years, output.la_names) for n in self.neighbours]
        with warnings.catch_warnings():  # a year no neighbour has a record of stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            self.near_record = {m.name: np.nanmedian(np.array([r[m.name] for r in near_records]),
                                                     axis=0) if near_records
                                else np.full(len(self.years), np.nan)
                                for m in F.FIT_MEASURES}
        members = list(self.unit.members)
        self.plans = np.asarray(output.panel["ehc_plans"], float)[:, members, 0].sum(axis=1) \
            if "ehc_plans" in output.panel else np.full(output.n_months, np.nan)

    def plans_record(self) -> dict[dt.date, float]:
        """January -> the record's EHC plans of the LA."""
        periods = la_record.record(self.unit.code).get("ehc_plans", {}) \
            if self.unit.code in la_record.names_by_code() else {}
        return {dt.date(int(p[:4]), 1, 1): v for p, v in sorted(periods.items())}


# --------------------------------------------------------------------------- figures


def _x(measure: F.FitMeasure, years: list[int]) -> np.ndarray:
    """Where a year's value is drawn: its January (stocks) or its middle (flows),
    :func:`sendabm.experiments.targets.middle`."""
    return np.array([T.middle(measure.period, y) for y in years], dtype="datetime64[D]")


def _measure_panel(ax, view: LAView, measure: F.FitMeasure) -> None:
    x = _x(measure, view.years)
    near = view.near[measure.name]
    if near.shape[1]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, mid, high = (np.nanmin(near, axis=1), np.nanmedian(near, axis=1),
                              np.nanmax(near, axis=1))
        ax.fill_between(x, low, high, color=NEIGHBOURS, alpha=0.18, linewidth=0,
                        label="neighbours (model): range")
        ax.plot(x, mid, color=NEIGHBOURS, linestyle="--", linewidth=1.2,
                label="neighbours (model): median")
        ax.plot(x, view.near_record[measure.name], linestyle="none", marker="D", markersize=4,
                markerfacecolor="none", color=NEIGHBOURS, label="neighbours (record): median")
    ax.plot(x, view.model[measure.name], color=MODEL, marker="o", markersize=3,
            label=f"{view.unit.name} (model)")
    ax.plot(x, view.record[measure.name], linestyle="none", marker="D", markersize=5,
            color=RECORD, label=f"{view.unit.name} (record)")
    ax.set_title(measure.label, fontsize=9.5)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=1.0,
                                                          decimals=measure.decimals - 1))
    ax.set_ylim(bottom=0)
    setup_time_axis(ax, np.array(view.output.dates, dtype="datetime64[D]"))


def _plans_panel(ax, view: LAView) -> None:
    x = np.array(view.output.dates, dtype="datetime64[D]")
    ax.plot(x, view.plans, color=MODEL, label=f"{view.unit.name} (model)")
    record = view.plans_record()
    if record:
        ax.plot(np.array(list(record), dtype="datetime64[D]"), list(record.values()),
                linestyle="none", marker="D", markersize=5, color=RECORD,
                label=f"{view.unit.name} (record)")
    ax.set_title("EHC plans (the model at England scale)", fontsize=9.5)
    ax.yaxis.set_major_formatter(ThousandsFormatter())
    ax.set_ylim(bottom=0)
    setup_time_axis(ax, x)


def series_figure(view: LAView, path: Path) -> Path:
    """The LA's EHC plans and the LA fit measures: model, record and neighbours."""
    panels = 1 + len(F.FIT_MEASURES)
    columns = (panels + 1) // 2
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(4.7 * columns, 7.6), layout="constrained")
        axes = fig.subplots(2, columns)
        _plans_panel(axes.flat[0], view)
        for ax, measure in zip(axes.flat[1:panels], F.FIT_MEASURES, strict=True):
            _measure_panel(ax, view, measure)
        for ax in axes.flat[panels:]:
            ax.set_visible(False)
        handles, labels = axes.flat[1].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=5, frameon=False)
        seed, scale = view.output.manifest.get("seed", "?"), view.output.manifest.get("scale", "?")
        fig.suptitle(f"{view.unit.name}: the model (seed {seed}, scale {scale}) against its "
                     "record, beside its neighbours", color=INK, fontweight="bold",
                     fontsize=11, x=0.01, ha="left")
        return save(fig, path)


def map_figure(view: LAView, measure: str, path: Path) -> Path | None:
    """The map of the local areas with the LA and its neighbours ringed; None without
    the built-in areas or the measure."""
    if view.areas is None or measure not in view.output.panel:
        return None
    spec = areamap.MAP_MEASURES[measure]
    values = areamap.la_values(view.output.panel, measure)
    highlight = areamap.Highlight(view.unit.members, view.unit.name,
                                  tuple(n.members[0] for n in view.neighbours))
    fig = areamap.area_map_figure(
        view.areas, values, spec.label,
        f"{view.unit.name} and its neighbours, {view.output.dates[-1]:%b %Y}",
        highlight=highlight)
    return save(fig, path)


# --------------------------------------------------------------------------- the page


def _table(view: LAView) -> list[list[str]]:
    years = [y for y in F.FIT_YEARS if y in view.years]
    rows = [["measure", "", *map(str, years)]]
    k = [view.years.index(y) for y in years]

    def cells(values: np.ndarray, measure: F.FitMeasure) -> list[str]:
        return [number(100.0 * values[i], measure.decimals) + "%" if np.isfinite(values[i])
                else "–" for i in k]

    for m in F.FIT_MEASURES:
        rows.append([m.label, "model", *cells(view.model[m.name], m)])
        rows.append(["", "record", *cells(view.record[m.name], m)])
        if view.neighbours:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                near = np.nanmedian(view.near[m.name], axis=1)
            rows.append(["", "neighbours' median (model)", *cells(near, m)])
            rows.append(["", "neighbours' median (record)", *cells(view.near_record[m.name], m)])
    return rows


def _note(view: LAView) -> str:
    """What the record covers for this LA."""
    group = la_record.group_of(view.unit.code)
    if group:
        return (f" From {la_record.REORGANISED_FROM} the record covers "
                f"{la_record.GROUP_NAMES[group]} together, so {view.unit.name} has no record "
                f"of its own after {la_record.REORGANISED_FROM - 1}; give --la '{group}' for "
                "the merged unit.")
    if view.unit.code in la_record.GROUP_NAMES:
        return (f" The model's {len(view.unit.members)} areas are summed before each ratio, as "
                "the record merges them.")
    if view.unit.code not in la_record.names_by_code():
        return " This run's areas are not the built-in ones, so there is no record."
    return ""


PRACTICE = (
    ("assess", "Bar to agree an assessment", "factor", "stricter", "more lenient"),
    ("plan", "Bar to issue a plan", "factor", "stricter", "more lenient"),
    ("special", "Bar to name a special setting", "factor", "stricter", "more lenient"),
    ("capacity", "Assessment staffing", "factor", "more", "fewer"),
    ("independent", "Reliance on independent places", "factor", "more", "less"),
    ("request", "Families' requests for assessment", "odds", "more", "fewer"),
    ("appeal", "Families' appeals", "odds", "more", "fewer"),
)
"""The standing offsets shown (:data:`sendabm.core.dispositions.DECISION_FIELDS`): name,
label, how it applies (a factor on the national value, or on the odds of the family's
decision) and the words for above and below England's."""


def _reading(value: float, above: str, below: str, than: str) -> str:
    if abs(value) < 0.05:
        return f"about as {than}"
    return f"{above if value > 0 else below} than {than}"


def practice_table(codes: list[str], table: D.Dispositions | None = None) -> list[list[str]]:
    """The LA's practice from ``table`` (default the packaged one): each standing offset as
    a factor on the national value and against the median LA's, read against the median
    LA; then its stance to assess in each year of the table's yearly deviations, against
    its own mean. ``codes`` are the LA's areas (a merged unit's several); their mean is
    shown."""
    table = table or D.packaged()
    offsets = table.for_codes(codes).mean(axis=0)
    median = np.median(table.offsets, axis=0)
    rows = [["practice", "national value", "median LA", "reads as"]]
    for name, label, how, above, below in PRACTICE:
        k = D.FIELDS.index(name)
        on = " on the odds" if how == "odds" else ""
        rows.append([label, f"×{np.exp(offsets[k]):.2f}{on}",
                     f"×{np.exp(offsets[k] - median[k]):.2f}{on}",
                     _reading(float(offsets[k] - median[k]), above, below, "the median LA")])
    yearly = table.yearly_for_codes(codes).mean(axis=0)
    for k, year in enumerate(table.years):
        value = float(yearly[D.YEARLY_FIELDS.index("assess"), k])
        rows.append([f"Stance to assess in {year}", "", f"×{np.exp(value):.2f} its own mean",
                     _reading(value, "stricter", "more lenient", "its own mean")])
    return rows


def build_la(folder: Path, out: Path, name_or_code: str, map_measure: str | None = None) -> Report:
    """Draw the LA's figures into ``out`` and describe them.

    Raises:
        ResultsError: The run folder cannot be read, the LA is not in it, or
            ``map_measure`` is unknown.
    """
    measure = map_measure or areamap.DEFAULT_MEASURE
    if measure not in areamap.MAP_MEASURES:
        raise ResultsError(f"unknown map measure '{measure}'; choose one of: "
                           f"{', '.join(areamap.MAP_MEASURES)}")
    view = LAView(read_run(folder), name_or_code)
    names = ", ".join(n.name for n in view.neighbours) or "none known"
    sections = [Section(
        "Model against record, beside the neighbours",
        "EHC plans (the model's count at England scale against the January record) and the "
        "six measures of the LA fit (docs/calibration.md), each year: the LA's model value "
        "(blue), its record (red diamonds), its neighbours' range and median in the model "
        "(grey band and dashed line) and the median of their record (open diamonds). "
        "January stocks are drawn at January, calendar-year flows at July. One run is one "
        "seed: a small LA at a small scale has few children in the sample, so its values "
        "are noisy." + _note(view), series_figure(view, out / SERIES_PNG).name,
        _table(view))]
    drawn = map_figure(view, measure, out / MAP_PNG)
    sections.append(Section(
        "Map", f"{areamap.MAP_MEASURES[measure].label} in each local area; {view.unit.name} "
        f"is ringed in red and labelled, its neighbours ({names}) ringed in black. Choose "
        "another measure with --map." if drawn else "Not available: the map needs the "
        f"built-in local areas and the per-LA measure '{measure}' in panel.parquet.",
        drawn.name if drawn else None))
    if view.unit.code in la_record.names_by_code() or view.unit.code in la_record.GROUP_NAMES:
        codes = [view.output.la_names[m] for m in view.unit.members]
        code_of = {name: code for code, name in la_record.names_by_code().items()}
        sections.append(Section(
            "Its practice", "How the LA differs in the packaged dispositions table "
            "(sendabm/data/la_dispositions.csv, the one runs of this version use), each "
            "offset fitted to its own 2019-2022 record (docs/calibration.md): a factor on the "
            "national parameter's bar, staffing or wait, or on the odds of its families' "
            "decision, and the same against the median LA's (the national parameters "
            "and the offsets are fitted together, so the median LA need not sit at the "
            "national value); then its stance to assess in each record year against its "
            "own mean, which fades after the last year (docs/ODD.md §2.7a)."
            + (" A merged unit shows its areas' mean." if len(codes) > 1 else ""),
            None, practice_table([code_of.get(n, n) for n in codes])))
    return Report("run", f"{view.unit.name}: the model against its record",
                  _facts(view), sections)


def _facts(view: LAView) -> list[tuple[str, str]]:
    m = view.output.manifest
    facts = [("LA", f"{view.unit.name} ({view.unit.code})")]
    if view.areas is not None:
        members = list(view.unit.members)
        region = view.areas.region_names[int(view.areas.regions[members[0]])]
        facts += [("Region", region),
                  ("Pupils (areas file)", number(float(view.areas.pupils[members].sum())))]
    facts += [("Neighbours", ", ".join(n.name for n in view.neighbours) or "none known"),
              ("Scenario", str(m.get("scenario_name", "?"))),
              ("Months", f"{view.output.dates[0]:%b %Y} to {view.output.dates[-1]:%b %Y}"),
              ("Seed, scale", f"{m.get('seed', '?')}, {m.get('scale', '?')}")]
    return facts
