"""The LA fit: the model against the published record, local authority by local authority.

For every LA and every record year 2019-2022, eight measures are read off the model's
per-LA panel (quintile 0, all families) and off the LA record
(:mod:`sendabm.core.la_record`), side by side (:data:`FIT_MEASURES`):

- **plans per pupil**: EHC plans in January over pupils. The record has no pupils, so
  its plans are divided by the LA's pupils in the areas file (the built-in areas'
  ``pupils``, about January 2024); the model's plans by the model's own pupils in the
  same January (both at England scale, so the sample size cancels).
- **requests per pupil**: assessment requests in the calendar year over pupils in its
  January (record: ``requests_received`` over the LA's pupils in the areas file).
- **refusal share**: assessment requests refused over requests received, calendar year
  (record: ``requests_refused / requests_received``).
- **plans per request agreed**: new plans over requests agreed (received less refused),
  calendar year (record: ``new_plans / (requests_received - requests_refused)``): how
  many assessments the LA turns into plans, the work of its bar to issue a plan.
- **20-week share**: new plans issued within 20 weeks over plans issued, calendar year
  (record: ``plans_issued_within_20_weeks_pct / 100``).
- **appeal rate**: appeals registered over appealable decisions, calendar year. The
  record publishes the appealable decisions (about 550,000 in England in 2022: roughly
  the plans maintained plus the refusals); the model's are the EHC plans in the
  January after the year (the last month of the run if it ends in December) plus the
  assessments refused and the plans refused in the year (:func:`appealable_decisions`).
- **independent share**: plans placed in independent special schools over EHC plans in
  January (record: ``ehc_special_independent / ehc_plans``).
- **special share**: plans placed in special schools, state special plus independent
  special, over EHC plans in January (record: ``ehc_special_pct / 100``, all types of
  special school). In the model every child in a state special or an independent
  school has a plan (``placements_special`` and ``placements_independent``).

Areas are mapped onto the record's units as :mod:`sendabm.core.la_record` does: from
2019 Bournemouth, Poole and the old Dorset county are one unit
(:data:`~sendabm.core.la_record.DORSET_GROUP`), so their counts are summed before the
ratios are taken (:func:`units`); every other area is its own unit. With the built-in
areas that gives 150 units a year.

Over several runs (seeds) each unit's model value is the mean over seeds (not the median:
a small LA's appeals are a handful a year in a 5% sample, so most seeds see none and the
median of its appeal rate would be 0). Per measure
and year (:class:`MeasureFit`): the rank correlation of model and record over the
units with both (Spearman, average ranks for ties: :func:`rank_correlation`), the
median absolute error in the measure's units and relative to the record, and the
cross-LA deciles of model and record. :func:`write_la_fit` writes ``la_fit.csv``
(tidy: ``code, name, year, measure, model, record``), ``LA_FIT.md`` and, when asked,
the figure ``la_fit.png`` (:func:`sendabm.presentation.validation_figures.la_fit_figure`).

The model side reads whatever the model writes: it needs only the panel measures of
:data:`NEEDED` (a missing one makes the measures that use it NaN, never an error).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from sendabm.core import la_record
from sendabm.core.areas import Areas, synthetic_england
from sendabm.core.measures import APPEALABLE_PLANS, APPEALABLE_REFUSALS
from sendabm.experiments.results import RunOutput, read_run, replace_files

FIT_YEARS = (2019, 2020, 2021, 2022)
"""Record years of the fit: every LA measure of the record covers them."""
REPORT_YEAR = 2022
"""The year the report's tables and the figure show in full."""
DECILES = tuple(range(10, 100, 10))
"""Percentiles of the cross-LA distributions, 10th to 90th."""

NEEDED = ("pupils", "ehc_plans", "assessment_requests", "assessments_refused", "plans_refused",
          "plans_issued", "plans_issued_within_20_weeks", "appeals_registered",
          "placements_special", "placements_independent")
"""Panel measures the fit reads (quintile 0, England scale)."""

LA_FIT_CSV = "la_fit.csv"
LA_FIT_MD = "LA_FIT.md"
LA_FIT_PNG = "la_fit.png"

SPREAD_TOLERANCE = 0.25
"""Issue 13's bound on the spread: the model's 10th, 50th and 90th percentiles within 25%
of the record's."""
RHO_BOUNDS = {"plans_per_pupil": 0.8, "refusal_share": 0.5, "share_within_20_weeks": 0.5,
              "appeal_rate": 0.5}
"""Issue 13's bounds on the rank correlation with the record in 2022."""


class LAFitError(ValueError):
    """Runs the LA fit cannot use; the message is one line naming the fix."""


# --------------------------------------------------------------------------- the model's counts


@dataclass(frozen=True, eq=False)
class LACounts:
    """The per-LA counts the fit needs, of one or more runs of the same areas.

    Attributes:
        dates: First day of each month kept, increasing.
        la_names: The run's LA names, in panel order.
        counts: Measure of :data:`NEEDED` -> float64 array (seed, month, LA), quintile 0
            at England scale; NaN where the run's panel lacks the measure.
    """

    dates: list[dt.date]
    la_names: list[str]
    counts: dict[str, np.ndarray]

    @property
    def seeds(self) -> int:
        """Number of runs stacked."""
        return next(iter(self.counts.values())).shape[0]


def la_counts(output: RunOutput, first: dt.date | None = None,
              last: dt.date | None = None) -> LACounts:
    """The counts of one run, for the months ``first`` to ``last`` (inclusive; default all).

    Validation keeps only these (a few MB over 10 seeds) instead of every run's panel.
    """
    return panel_counts(output.dates, output.la_names, output.panel, first, last)


def panel_counts(dates: Sequence[dt.date], la_names: Sequence[str],
                 panel: Mapping[str, Any], first: dt.date | None = None,
                 last: dt.date | None = None) -> LACounts:
    """The counts of a panel (a run's, or a model's ``panel`` in memory: measure ->
    months x LAs x quintile columns), for the months ``first`` to ``last``."""
    keep = np.array([(first is None or d >= first) and (last is None or d <= last)
                     for d in dates])
    shape = (1, int(keep.sum()), len(la_names))
    counts = {name: (np.asarray(panel[name], np.float64)[keep, :, 0][None].copy()
                     if name in panel else np.full(shape, np.nan)) for name in NEEDED}
    return LACounts([d for d, k in zip(dates, keep, strict=True) if k], list(la_names), counts)


def fit_window(dates: Sequence[dt.date]) -> tuple[dt.date, dt.date]:
    """First and last month the fit reads: January of the first fit year to the January
    after the last one (the appeal rate's plans), clipped to ``dates``."""
    return dt.date(FIT_YEARS[0], 1, 1), min(dt.date(FIT_YEARS[-1] + 1, 1, 1), dates[-1])


def stack(parts: Sequence[LACounts]) -> LACounts:
    """Runs stacked along the seed axis.

    Raises:
        LAFitError: No runs, or runs of different months or areas.
    """
    if not parts:
        raise LAFitError("no runs to fit; give one or more run folders")
    head = parts[0]
    for part in parts[1:]:
        if part.dates != head.dates or part.la_names != head.la_names:
            raise LAFitError("the runs cover different months or areas; give runs of one "
                             "scenario that differ only by seed")
    return LACounts(head.dates, head.la_names,
                    {name: np.concatenate([p.counts[name] for p in parts]) for name in NEEDED})


def read_counts(folders: Sequence[str | os.PathLike[str]]) -> LACounts:
    """The counts of run folders (one per seed) over the fit's months."""
    parts = []
    for folder in folders:
        output = read_run(Path(folder))
        parts.append(la_counts(output, *fit_window(output.dates)))
    return stack(parts)


# --------------------------------------------------------------------------- units


@dataclass(frozen=True)
class Unit:
    """One unit of the record: a code and the run's LA positions that make it up."""

    code: str
    name: str
    members: tuple[int, ...]


def units(la_names: Sequence[str], year: int) -> list[Unit]:
    """The record's units in ``year``, made of the run's areas.

    Each built-in area is its own unit, except the members of a merged unit
    (:func:`sendabm.core.la_record.group_of`) from
    :data:`~sendabm.core.la_record.REORGANISED_FROM` on, which make one unit together
    (placed where its first member is). Areas that are not built-in areas (a user's own
    areas file) have no record and no unit.
    """
    code_of = {name: code for code, name in la_record.names_by_code().items()}
    names = la_record.names_by_code()
    found: dict[str, list[int]] = {}
    for index, name in enumerate(la_names):
        code = code_of.get(name)
        if code is None or code in la_record.GROUP_NAMES or code == la_record.ENGLAND:
            continue
        group = la_record.group_of(code)
        key = group if group and year >= la_record.REORGANISED_FROM else code
        found.setdefault(key, []).append(index)
    return [Unit(code, names[code], tuple(members)) for code, members in found.items()]


def membership(n_la: int, unit_list: Sequence[Unit]) -> np.ndarray:
    """The (LA, unit) 0/1 matrix that sums LA counts into units."""
    matrix = np.zeros((n_la, len(unit_list)))
    for k, unit in enumerate(unit_list):
        matrix[list(unit.members), k] = 1.0
    return matrix


@dataclass(frozen=True, eq=False)
class UnitYear:
    """The model's counts of some units, read for one calendar year.

    Attributes:
        counts: Measure -> array (seed, month, unit).
        dates: First day of each month.
        year: The calendar year.
    """

    counts: Mapping[str, np.ndarray]
    dates: Sequence[dt.date]
    year: int

    def january(self, name: str, year: int | None = None) -> np.ndarray:
        """The stock in January of ``year`` (default this year), (seed, unit); NaN if not run."""
        day = dt.date(self.year if year is None else year, 1, 1)
        if day not in self.dates:
            return np.full(self._shape, np.nan)
        return self.counts[name][:, list(self.dates).index(day)]

    def calendar(self, name: str) -> np.ndarray:
        """The flow summed over January-December, (seed, unit); NaN unless all 12 were run."""
        months = [k for k, d in enumerate(self.dates) if d.year == self.year]
        if len(months) < 12:
            return np.full(self._shape, np.nan)
        return self.counts[name][:, months].sum(axis=1)

    def after_year(self, name: str) -> np.ndarray:
        """The stock in the January after the year, or in the last month run if the run
        ends in December of the year; NaN if it ends earlier."""
        if dt.date(self.year + 1, 1, 1) in self.dates:
            return self.january(name, self.year + 1)
        if self.dates and self.dates[-1] == dt.date(self.year, 12, 1):
            return self.counts[name][:, -1]
        return np.full(self._shape, np.nan)

    @property
    def _shape(self) -> tuple[int, int]:
        first = next(iter(self.counts.values()))
        return first.shape[0], first.shape[2]


def unit_year(counts: LACounts, unit_list: Sequence[Unit], year: int) -> UnitYear:
    """The counts of ``unit_list`` (members summed) for reading ``year``."""
    matrix = membership(len(counts.la_names), unit_list)
    return UnitYear({name: values @ matrix for name, values in counts.counts.items()},
                    counts.dates, year)


# --------------------------------------------------------------------------- the measures


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    top, bottom = np.asarray(top, float), np.asarray(bottom, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan)


def appealable_decisions(u: UnitYear) -> np.ndarray:
    """The model's appealable decisions of a year (those of
    :func:`sendabm.core.measures.appealable_decisions`, on the record's calendar): EHC plans
    in the January after it (or the run's last month, if December) + assessments refused
    + plans refused in the year."""
    return u.after_year(APPEALABLE_PLANS) + sum(u.calendar(r) for r in APPEALABLE_REFUSALS)


Record = Mapping[str, Mapping[str, float]]
"""One unit's record: measure -> period -> value (:func:`sendabm.core.la_record.record`)."""


def _get(record: Record, measure: str, period: str) -> float:
    return float(record.get(measure, {}).get(period, np.nan))


def _record_ratio(record: Record, top: str, bottom: str, period: str) -> float:
    return float(_ratio(_get(record, top, period), _get(record, bottom, period)))


@dataclass(frozen=True)
class FitMeasure:
    """One measure of the LA fit, read off the model and off the record alike.

    Attributes:
        name: Short name, as in ``la_fit.csv``.
        label: Title for tables and figures.
        model: The model's value of some units in a year, (seed, unit).
        record: The record's value of one unit in a year, given its record and pupils.
        definition: How it is read, in words (for ``LA_FIT.md``).
        period: ``january`` (a stock in January of the year) or ``calendar`` (flows
            over January-December).
        decimals: Decimals of the percentages the report shows.
    """

    name: str
    label: str
    model: Callable[[UnitYear], np.ndarray]
    record: Callable[[Record, int, float], float]
    definition: str
    period: str = "calendar"
    decimals: int = 1


FIT_MEASURES: tuple[FitMeasure, ...] = (
    FitMeasure(
        "plans_per_pupil", "EHC plans per pupil (January)",
        lambda u: _ratio(u.january("ehc_plans"), u.january("pupils")),
        lambda r, y, pupils: float(_ratio(_get(r, "ehc_plans", f"{y}-01"), pupils)),
        "EHC plans in January / pupils. Model: its pupils in that January; record: the "
        "LA's pupils in the areas file (about January 2024), since the record has none",
        period="january"),
    FitMeasure(
        "requests_per_pupil", "Requests for assessment per pupil",
        lambda u: _ratio(u.calendar("assessment_requests"), u.january("pupils")),
        lambda r, y, pupils: float(_ratio(_get(r, "requests_received", str(y)), pupils)),
        "assessment requests, January-December / pupils in January. Model: its pupils; "
        "record: the LA's pupils in the areas file (about January 2024)", decimals=2),
    FitMeasure(
        "refusal_share", "Requests refused assessment",
        lambda u: _ratio(u.calendar("assessments_refused"), u.calendar("assessment_requests")),
        lambda r, y, _: _record_ratio(r, "requests_refused", "requests_received", str(y)),
        "assessments refused / assessment requests, January-December"),
    FitMeasure(
        "plans_per_agreed_request", "New plans per request agreed",
        lambda u: _ratio(u.calendar("plans_issued"),
                         u.calendar("assessment_requests") - u.calendar("assessments_refused")),
        lambda r, y, _: _ratio(_get(r, "new_plans", str(y)),
                               _get(r, "requests_received", str(y))
                               - _get(r, "requests_refused", str(y))),
        "new plans / (assessment requests - requests refused), January-December (above 1 "
        "when plans from earlier requests or appeals outnumber the year's agreed requests)"),
    FitMeasure(
        "share_within_20_weeks", "New plans within 20 weeks",
        lambda u: _ratio(u.calendar("plans_issued_within_20_weeks"), u.calendar("plans_issued")),
        lambda r, y, _: _get(r, "plans_issued_within_20_weeks_pct", str(y)) / 100.0,
        "plans issued within 20 weeks / plans issued, January-December"),
    FitMeasure(
        "appeal_rate", "Appeal rate (appeals / appealable decisions)",
        lambda u: _ratio(u.calendar("appeals_registered"), appealable_decisions(u)),
        lambda r, y, _: _record_ratio(r, "appeals_registered", "appealable_decisions", str(y)),
        "appeals registered / appealable decisions, January-December. Model: plans in the "
        "January after the year + assessments refused + plans refused in the year; record: "
        "the published appealable decisions", decimals=2),
    FitMeasure(
        "independent_share", "Plans in independent special schools (January)",
        lambda u: _ratio(u.january("placements_independent"), u.january("ehc_plans")),
        lambda r, y, _: _record_ratio(r, "ehc_special_independent", "ehc_plans", f"{y}-01"),
        "plans in independent special schools / EHC plans, January", period="january"),
    FitMeasure(
        "special_share", "Plans in special schools (January)",
        lambda u: _ratio(u.january("placements_special") + u.january("placements_independent"),
                         u.january("ehc_plans")),
        lambda r, y, _: _get(r, "ehc_special_pct", f"{y}-01") / 100.0,
        "plans in state special + independent special schools / EHC plans, January",
        period="january"),
)
"""The measures of the fit, in report order."""
BY_NAME = {m.name: m for m in FIT_MEASURES}


def unit_pupils(unit: Unit, la_names: Sequence[str]) -> float:
    """The unit's pupils in the built-in areas file (the record's denominator)."""
    england = synthetic_england()
    index = {name: i for i, name in enumerate(england.names)}
    return float(sum(england.pupils[index[la_names[m]]] for m in unit.members))


def record_values(unit: Unit, year: int, la_names: Sequence[str]) -> dict[str, float]:
    """Measure -> the record's value of one unit in one year (NaN where the record has none)."""
    record = la_record.record(unit.code)
    pupils = unit_pupils(unit, la_names)
    return {m.name: m.record(record, year, pupils) for m in FIT_MEASURES}


# --------------------------------------------------------------------------- one LA


def find_unit(la_names: Sequence[str], name_or_code: str) -> Unit:
    """The unit of a run that an LA name or code gives, for one LA's report.

    A built-in code or name (ignoring case) is that area alone, even a member of a
    merged unit; :data:`~sendabm.core.la_record.DORSET_GROUP` (or its name) is its
    members together. A run on a user's own areas is searched by name, and the unit's
    code is then its name (it has no record).

    Raises:
        LAFitError: Not an LA of the run; the message names close matches and the fix.
    """
    names = la_record.names_by_code()
    folded = {name.casefold(): i for i, name in enumerate(la_names)}
    code = next((c for c, n in names.items()
                 if name_or_code in (c, n) or name_or_code.casefold() == n.casefold()), None)
    if code in la_record.GROUP_NAMES:
        members = tuple(folded[names[m].casefold()] for m in code.split("+")
                        if names[m].casefold() in folded)
        if members:
            return Unit(code, names[code], members)
    elif code is not None and code != la_record.ENGLAND and names[code].casefold() in folded:
        return Unit(code, names[code], (folded[names[code].casefold()],))
    if name_or_code.casefold() in folded:  # a user's own area: no code in the run
        index = folded[name_or_code.casefold()]
        return Unit(la_names[index], la_names[index], (index,))
    raise LAFitError(unknown_la_message(la_names, name_or_code))


def unknown_la_message(la_names: Sequence[str], name_or_code: str) -> str:
    """One line: the LA is unknown, the closest names of the run, where the list is."""
    choices = {name.casefold(): name for name in la_names}
    close = difflib.get_close_matches(name_or_code.casefold(), list(choices), n=3, cutoff=0.6)
    hint = (f"did you mean {', '.join(choices[c] for c in close)}?" if close
            else "give an LA name or code of the run")
    return (f"unknown LA '{name_or_code}'; {hint} (the built-in LAs and their codes are "
            "listed in docs/areas.md)")


def neighbour_units(unit: Unit, la_names: Sequence[str], areas: Areas) -> list[Unit]:
    """The unit's neighbours in the areas network (each an area of its own), or none if the
    run's areas are not ``areas``."""
    if list(areas.names) != list(la_names):
        return []
    near = sorted({j for i in unit.members for j in areas.graph[i]} - set(unit.members))
    return [Unit(areas.codes[j], areas.names[j], (j,)) for j in near]


def unit_series(counts: LACounts, unit_list: Sequence[Unit],
                years: Sequence[int]) -> dict[str, np.ndarray]:
    """Measure -> the model's values of each unit in each year, (seed, year, unit)."""
    out = {m.name: np.full((counts.seeds, len(years), len(unit_list)), np.nan)
           for m in FIT_MEASURES}
    for k, year in enumerate(years):
        u = unit_year(counts, unit_list, year)
        for m in FIT_MEASURES:
            out[m.name][:, k] = m.model(u)
    return out


def record_series(unit: Unit, years: Sequence[int],
                  la_names: Sequence[str]) -> dict[str, np.ndarray]:
    """Measure -> the record's value of one unit in each year (NaN where it has none, or
    for areas that are not built-in)."""
    if unit.code not in la_record.names_by_code():
        return {m.name: np.full(len(years), np.nan) for m in FIT_MEASURES}
    by_year = [record_values(unit, year, la_names) for year in years]
    return {m.name: np.array([v[m.name] for v in by_year]) for m in FIT_MEASURES}


# --------------------------------------------------------------------------- statistics


def rank_correlation(model: np.ndarray, record: np.ndarray) -> float:
    """Spearman's rank correlation over the pairs where both are finite (ties get average
    ranks); NaN with fewer than 3 pairs or when either side is constant."""
    model, record = np.asarray(model, float), np.asarray(record, float)
    both = np.isfinite(model) & np.isfinite(record)
    x, y = model[both], record[both]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


@dataclass(frozen=True)
class MeasureFit:
    """How well one measure fits across LAs in one year.

    Attributes:
        measure: A :data:`FIT_MEASURES` name.
        year: The record year.
        n: Units with both a model and a record value.
        rho: Rank correlation of model and record (:func:`rank_correlation`).
        mae: Median absolute error, in the measure's units (a share, 0-1).
        relative_mae: Median of ``|model - record| / record`` over records above 0.
        model_deciles, record_deciles: The 10th..90th percentiles across those units.
    """

    measure: str
    year: int
    n: int
    rho: float
    mae: float
    relative_mae: float
    model_deciles: tuple[float, ...]
    record_deciles: tuple[float, ...]

    def spread_within(self, tolerance: float = SPREAD_TOLERANCE) -> bool | None:
        """Whether the model's 10th, 50th and 90th percentiles are within ``tolerance`` of
        the record's (relative); None when there is nothing to compare."""
        if self.n == 0:
            return None
        picks = [DECILES.index(p) for p in (10, 50, 90)]
        model = np.array(self.model_deciles)[picks]
        record = np.array(self.record_deciles)[picks]
        if not np.all(np.isfinite(model) & (record > 0)):
            return None
        return bool(np.all(np.abs(model - record) <= tolerance * record))


def measure_fit(measure: str, year: int, model: np.ndarray, record: np.ndarray) -> MeasureFit:
    """The statistics of one measure and year over units (model and record aligned)."""
    model, record = np.asarray(model, float), np.asarray(record, float)
    both = np.isfinite(model) & np.isfinite(record)
    x, y = model[both], record[both]
    error = np.abs(x - y)
    positive = y > 0
    nan9 = (float("nan"),) * len(DECILES)
    return MeasureFit(
        measure, year, int(both.sum()), rank_correlation(x, y),
        float(np.median(error)) if error.size else float("nan"),
        float(np.median(error[positive] / y[positive])) if positive.any() else float("nan"),
        tuple(float(v) for v in np.percentile(x, DECILES)) if x.size else nan9,
        tuple(float(v) for v in np.percentile(y, DECILES)) if y.size else nan9)


# --------------------------------------------------------------------------- the fit


@dataclass(frozen=True)
class Pairs:
    """Model and record of one measure and year, unit by unit."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    model: np.ndarray
    record: np.ndarray


@dataclass(frozen=True, eq=False)
class LAFit:
    """The LA fit of some runs.

    Attributes:
        pairs: (measure, year) -> :class:`Pairs`, the units in the record's order.
        seeds: Runs the model values are the median of.
        source: Where the runs came from, in words (for ``LA_FIT.md``).
        summary: (measure, year) -> :class:`MeasureFit`.
    """

    pairs: dict[tuple[str, int], Pairs]
    seeds: int
    source: str = ""
    summary: dict[tuple[str, int], MeasureFit] = field(default_factory=dict)

    def years(self) -> list[int]:
        """The record years fitted (those the runs cover)."""
        return sorted({year for _, year in self.pairs})

    def rows(self) -> list[dict[str, Any]]:
        """Tidy rows ``code, name, year, measure, model, record`` (NaN where missing)."""
        out = []
        for year in self.years():
            for m in FIT_MEASURES:
                p = self.pairs[(m.name, year)]
                out += [{"code": c, "name": n, "year": year, "measure": m.name,
                         "model": float(a), "record": float(b)}
                        for c, n, a, b in zip(p.codes, p.names, p.model, p.record, strict=True)]
        return out


def fit(counts: LACounts, source: str = "") -> LAFit:
    """The LA fit of stacked runs: every unit, fit year and measure, and the statistics.

    Years the runs do not wholly cover (with the January after, or December) are left out.

    Raises:
        LAFitError: The runs cover none of the fit years, or none of their areas is a
            built-in area (so none has a record).
    """
    pairs, summary = {}, {}
    for year in FIT_YEARS:
        unit_list = units(counts.la_names, year)
        if not unit_list:
            raise LAFitError("none of the run's areas is one of the built-in areas, so none "
                             "has a record; run on the built-in areas (no --areas)")
        u = unit_year(counts, unit_list, year)
        with warnings.catch_warnings():  # a unit with no value in any seed stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            model = {m.name: np.nanmean(m.model(u), axis=0) for m in FIT_MEASURES}
        if all(np.all(np.isnan(v)) for v in model.values()):
            continue
        records = [record_values(unit, year, counts.la_names) for unit in unit_list]
        codes = tuple(unit.code for unit in unit_list)
        names = tuple(unit.name for unit in unit_list)
        for m in FIT_MEASURES:
            record = np.array([r[m.name] for r in records])
            pairs[(m.name, year)] = Pairs(codes, names, model[m.name], record)
            summary[(m.name, year)] = measure_fit(m.name, year, model[m.name], record)
    if not pairs:
        raise LAFitError(f"the runs cover none of the years {FIT_YEARS[0]}-{FIT_YEARS[-1]}; "
                         f"run to {FIT_YEARS[-1]}-12 or later")
    return LAFit(pairs, counts.seeds, source, summary)


@dataclass(frozen=True)
class MeanFit:
    """One measure's fit on each LA's mean over the fit years, and how much LAs move from
    year to year around their own mean.

    Attributes:
        fit: :class:`MeasureFit` of the LA means (``year`` 0), each over the years where
            both model and record are known.
        model_yearly_sd, record_yearly_sd: Pooled standard deviation of an LA's yearly
            values around its own mean (degrees of freedom corrected), in the measure's
            units: the year-to-year movement the means leave out.
    """

    fit: MeasureFit
    model_yearly_sd: float
    record_yearly_sd: float


def mean_fit(la_fit: LAFit, measure: str) -> MeanFit:
    """:class:`MeanFit` of ``measure`` over every fit year of ``la_fit`` (units matched by
    code, since the units of a year may differ)."""
    values: dict[str, list[tuple[float, float]]] = {}
    for year in la_fit.years():
        p = la_fit.pairs[(measure, year)]
        for code, a, b in zip(p.codes, p.model, p.record, strict=True):
            if np.isfinite(a) and np.isfinite(b):
                values.setdefault(code, []).append((float(a), float(b)))
    both = [np.array(v) for v in values.values()]
    means = np.array([v.mean(axis=0) for v in both]) if both else np.empty((0, 2))
    spread = measure_fit(measure, 0, means[:, 0], means[:, 1])
    return MeanFit(spread, *(_yearly_sd([v[:, k] for v in both]) for k in (0, 1)))


def _yearly_sd(series: Sequence[np.ndarray]) -> float:
    """Pooled SD of each series around its own mean (series of one value add nothing)."""
    squares = sum(float(np.sum((x - x.mean()) ** 2)) for x in series)
    dof = sum(x.size - 1 for x in series)
    return float(np.sqrt(squares / dof)) if dof > 0 else float("nan")


RELATIONS = (("refusal_share", "appeal_rate"),)
"""Pairs of measures whose relation across LAs the report compares, model against record
(issue 14: LAs that refuse more should see more appeals, as in the record, or not)."""


def relation(la_fit: LAFit, first: str, second: str, year: int) -> tuple[float, float]:
    """Rank correlation across LAs of ``first`` with ``second`` in ``year``: (model,
    record), each over the LAs where both measures are known on that side."""
    a, b = la_fit.pairs[(first, year)], la_fit.pairs[(second, year)]
    return rank_correlation(a.model, b.model), rank_correlation(a.record, b.record)


def fit_folders(folders: Sequence[str | os.PathLike[str]]) -> LAFit:
    """The LA fit of run folders (one per seed) of the same scenario."""
    return fit(read_counts(folders), f"{len(folders)} run folder(s)")


# --------------------------------------------------------------------------- writing


def _pct(value: float, decimals: int) -> str:
    return "–" if not np.isfinite(value) else f"{100.0 * value:.{decimals}f}%"


def _number(value: float, decimals: int = 2) -> str:
    return "–" if not np.isfinite(value) else f"{value:.{decimals}f}"


def _verdict(m: FitMeasure, s: MeasureFit) -> str:
    parts = []
    bound = RHO_BOUNDS.get(m.name)
    if bound is not None:
        met = np.isfinite(s.rho) and s.rho >= bound
        parts.append(f"rank correlation ≥ {bound:g}: " + ("met" if met else "**missed**"))
    spread = s.spread_within()
    if spread is not None:
        parts.append(f"10th/50th/90th percentiles within {SPREAD_TOLERANCE:.0%}: "
                     + ("met" if spread else "**missed**"))
    return "; ".join(parts)


def report(la_fit: LAFit, command: str = "") -> str:
    """``LA_FIT.md``: how each measure is read, the 2022 tables, a line per other year."""
    years = la_fit.years()
    shown = REPORT_YEAR if REPORT_YEAR in years else years[-1]
    n_units = len(next(iter(la_fit.pairs.values())).codes)
    lines = ["# LA fit: the model against the record, local authority by local authority", ""]
    if command:
        lines.append(f"- Command: `{command}`")
    lines += [f"- Runs: {la_fit.seeds} seed(s){', ' + la_fit.source if la_fit.source else ''};"
              f" each LA's model value is the mean over seeds",
              f"- Units: {n_units} ({la_record.GROUP_NAMES[la_record.DORSET_GROUP]} counted "
              f"as one from {la_record.REORGANISED_FROM}, as the record is); years "
              f"{years[0]}-{years[-1]}",
              "- Statistics over the units with both values: Spearman rank correlation "
              "(ρ), median absolute error (MAE, percentage points) and relative to the "
              "record, and the cross-LA deciles of model and record",
              "- Bounds: issue 13's acceptance (ρ ≥ 0.8 for plans per pupil, ≥ 0.5 for the "
              "appeal rate, refusal share and 20-week share; 10th, 50th and 90th "
              f"percentiles within {SPREAD_TOLERANCE:.0%} of the record's)", "",
              "| measure | how it is read |", "|---|---|"]
    lines += [f"| {m.label} | {m.definition} |" for m in FIT_MEASURES]
    for m in FIT_MEASURES:
        s = la_fit.summary[(m.name, shown)]
        lines += ["", f"## {m.label}, {shown}", "",
                  f"ρ = {_number(s.rho)} over {s.n} LAs; MAE {_number(100 * s.mae, m.decimals)} "
                  f"points ({_pct(s.relative_mae, 0)} of the record). {_verdict(m, s)}", "",
                  "| | " + " | ".join(f"p{p}" for p in DECILES) + " |",
                  "|---|" + "---|" * len(DECILES)]
        for side, values in (("model", s.model_deciles), ("record", s.record_deciles)):
            lines.append(f"| {side} | " + " | ".join(_pct(v, m.decimals) for v in values) + " |")
        others = [y for y in years if y != shown]
        if others:
            lines += ["", "Other years: " + "; ".join(
                f"{y}: ρ = {_number(la_fit.summary[(m.name, y)].rho)}, MAE "
                f"{_number(100 * la_fit.summary[(m.name, y)].mae, m.decimals)} points, median "
                f"{_pct(la_fit.summary[(m.name, y)].model_deciles[4], m.decimals)} against "
                f"{_pct(la_fit.summary[(m.name, y)].record_deciles[4], m.decimals)}"
                for y in others) + "."]
    lines += _mean_lines(la_fit, years)
    lines += _relation_lines(la_fit, years)
    lines += ["", f"Table: `{LA_FIT_CSV}` (`code, name, year, measure, model, record`, shares "
              f"0-1). Figure: `{LA_FIT_PNG}` ({shown}, one point per LA).", ""]
    return "\n".join(lines)


def _mean_lines(la_fit: LAFit, years: Sequence[int]) -> list[str]:
    """The report's section on each LA's mean over the years, and its yearly movement."""
    if len(years) < 2:
        return []
    lines = ["", f"## Each LA's mean over {years[0]}-{years[-1]}", "",
             "The cross-LA spread of each LA's mean over the years (where model and record "
             "are both known), and how far an LA's yearly values move around its own mean "
             "(pooled SD, points): the LA offsets are fitted to these means, so a single "
             "year's spread also carries the record's year-to-year movement.", "",
             "| measure | ρ | model p10 / p50 / p90 | record p10 / p50 / p90 | "
             f"within {SPREAD_TOLERANCE:.0%} | yearly SD, model | yearly SD, record |",
             "|---|---|---|---|---|---|---|"]
    picks = [DECILES.index(p) for p in (10, 50, 90)]
    for m in FIT_MEASURES:
        f = mean_fit(la_fit, m.name)
        s = f.fit
        spread = s.spread_within()
        cells = [" / ".join(_pct(np.array(d)[k], m.decimals) for k in picks)
                 for d in (s.model_deciles, s.record_deciles)]
        lines.append(f"| {m.label} | {_number(s.rho)} | {cells[0]} | {cells[1]} | "
                     + ("–" if spread is None else "yes" if spread else "**no**")
                     + f" | {_number(100 * f.model_yearly_sd, m.decimals)} | "
                     f"{_number(100 * f.record_yearly_sd, m.decimals)} |")
    return lines


def _relation_lines(la_fit: LAFit, years: Sequence[int]) -> list[str]:
    """The report's section on relations between measures across LAs."""
    label = {m.name: m.label for m in FIT_MEASURES}
    lines = []
    for first, second in RELATIONS:
        lines += ["", f"## {label[first]} against {label[second]}, across LAs", "",
                  "Rank correlation across LAs of one measure with the other, within the "
                  "model and within the record: the sign says whether LAs that refuse more "
                  "see more appeals.", "", "| year | model ρ | record ρ | same sign |",
                  "|---|---|---|---|"]
        for year in years:
            model, record = relation(la_fit, first, second, year)
            same = ("–" if not (np.isfinite(model) and np.isfinite(record))
                    else "yes" if np.sign(model) == np.sign(record) else "**no**")
            lines.append(f"| {year} | {_number(model)} | {_number(record)} | {same} |")
    return lines


def write_csv(la_fit: LAFit, path: Path) -> None:
    """``la_fit.csv``: the tidy rows, values to 6 significant figures, NaN left empty."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "name", "year", "measure", "model", "record"])
        for row in la_fit.rows():
            writer.writerow([row["code"], row["name"], row["year"], row["measure"],
                             *("" if not np.isfinite(row[k]) else f"{row[k]:.6g}"
                               for k in ("model", "record"))])


def write_files(la_fit: LAFit, folder: Path, command: str = "",
                figure: Callable[[LAFit, Path], Any] | None = None) -> list[str]:
    """Write ``la_fit.csv``, ``LA_FIT.md`` and (if ``figure``) ``la_fit.png`` into ``folder``."""
    folder = Path(folder)
    write_csv(la_fit, folder / LA_FIT_CSV)
    (folder / LA_FIT_MD).write_text(report(la_fit, command), encoding="utf-8")
    names = [LA_FIT_CSV, LA_FIT_MD]
    if figure is not None:
        figure(la_fit, folder / LA_FIT_PNG)
        names.append(LA_FIT_PNG)
    return names


def write_la_fit(la_fit: LAFit, out: str | os.PathLike[str], command: str = "",
                 figure: Callable[[LAFit, Path], Any] | None = None) -> list[Path]:
    """Write the LA fit's files into ``out`` (created if missing; other files are kept).

    Every file is built before any is moved into place, so a failure leaves the previous
    ones untouched (:func:`sendabm.experiments.results.replace_files`).

    Args:
        la_fit: The fit.
        out: Output folder.
        command: The command line, for ``LA_FIT.md``.
        figure: Draws ``la_fit.png`` (e.g.
            :func:`sendabm.presentation.validation_figures.la_fit_figure`); none if None.

    Returns:
        The files written.
    """
    return replace_files(Path(out), lambda stage: write_files(la_fit, stage, command, figure))
