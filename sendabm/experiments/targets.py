"""Calibration targets: the national record and the model's matching values.

The record lives in ``sendabm/data/national_series.csv`` (rows of kind ``target``, each
with its source), except the setting mix of plans, which is read from the England rows
of the LA record (:mod:`sendabm.core.la_record`, SEN2 January 2019-2022), so nobody
types or rounds it (:attr:`Target.from_la_record`). Publications count things on
different calendars, so each target series says how the model's monthly national series
is reduced to one value per period: a January stock (SEN2 and the school census), a sum
over an academic year (tribunal statistics, September to August) or over a calendar year
(SEN2 flows), a ratio of two such sums, or a stock at the end of a financial year
(March: LAs' high-needs accounts).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sendabm.core import exogenous, la_record


@dataclass(frozen=True)
class Target:
    """How one published series is read off the model.

    Attributes:
        name: Series name in the data file.
        label: Title for figures and reports.
        measure: National measure (numerator for ratios), or several summed.
        period: ``january`` (stock in January of the year), ``academic`` (sum over
            September of the year to August of the next), ``calendar`` (sum over
            January to December of the year) or ``march`` (stock at the end of the
            financial year that starts in April of the year, read in March of the next).
        denominator: For a ratio of sums, the measure summed as denominator.
        unit: Unit for display.
        fitted: Whether a calibration spec without weights fits it (weight 1); the
            money targets are only reported, because the model's deficit is high needs
            alone from September 2014 while the record's is the whole grant.
        from_la_record: Where the record is the England rows of the LA record instead of
            the national data file: (count, denominator) for a ratio of two counts, or
            (percentage, None) for a published percentage; None for the data file.
    """

    name: str
    label: str
    measure: str | tuple[str, ...]
    period: str
    denominator: str | None = None
    unit: str = ""
    fitted: bool = True
    from_la_record: tuple[str, str | None] | None = None

    @property
    def measures(self) -> tuple[str, ...]:
        """The national measures summed as the numerator."""
        return (self.measure,) if isinstance(self.measure, str) else tuple(self.measure)


TARGETS: tuple[Target, ...] = (
    Target("ehc_plans", "EHC plans (January)", "ehc_plans", "january", unit="plans"),
    Target("appeals_registered", "Tribunal appeals registered", "appeals_registered",
           "academic", unit="appeals/year"),
    Target("share_ehcp_school_age", "Pupils with an EHC plan (January)",
           "ehc_plans_school_age", "january", "pupils", unit="share of pupils"),
    Target("share_sen_support", "Pupils on SEN support (January)", "sen_support",
           "january", "pupils", unit="share of pupils"),
    Target("hearings", "Appeals decided at a hearing", "hearings", "academic",
           unit="hearings/year"),
    Target("share_hearings_won_by_family", "Appeals decided for the family",
           "hearings_won_by_family", "academic", "hearings", unit="share of hearings"),
    Target("plans_issued", "New EHC plans", "plans_issued", "calendar", unit="plans/year"),
    Target("assessment_requests", "Requests for assessment", "assessment_requests",
           "calendar", unit="requests/year"),
    Target("refusal_share", "Requests refused assessment", "assessments_refused",
           "calendar", "assessment_requests", unit="share of requests"),
    Target("share_within_20_weeks", "New plans within 20 weeks",
           "plans_issued_within_20_weeks", "calendar", "plans_issued",
           unit="share of new plans"),
    # The setting mix (SEN2's "placed in" columns, England rows of the LA record): the
    # model's mainstream is mainstream schools; its special schools, state and
    # independent, are the record's special schools of all types.
    Target("share_mainstream", "EHC plans in mainstream schools (January)",
           "placements_mainstream", "january", "ehc_plans", unit="share of plans",
           from_la_record=("ehc_mainstream_pct", None)),
    Target("share_special", "EHC plans in special schools, all types (January)",
           ("placements_special", "placements_independent"), "january", "ehc_plans",
           unit="share of plans", from_la_record=("ehc_special_pct", None)),
    Target("share_independent", "EHC plans in independent special schools (January)",
           "placements_independent", "january", "ehc_plans", unit="share of plans",
           from_la_record=("ehc_special_independent", "ehc_plans")),
    Target("share_appeals_assess", "Appeals against a refusal to assess", "appeals_assess",
           "academic", "appeals_registered", unit="share of appeals"),
    Target("share_appeals_placement", "Appeals against a plan's contents (incl. placement)",
           "appeals_placement", "academic", "appeals_registered", unit="share of appeals"),
    Target("share_plans_issued_early_years", "New EHC plans for children before Reception",
           "plans_issued_early_years", "calendar", "plans_issued", unit="share of new plans"),
    Target("cumulative_deficit_gbp", "Cumulative high-needs deficit (March)",
           "cumulative_deficit_gbp", "march", unit="£", fitted=False),
    Target("share_las_overspending", "LAs overspending their high-needs budget",
           "share_las_overspending", "march", unit="share of LAs", fitted=False),
)
BY_NAME = {t.name: t for t in TARGETS}
SINGLE_MONTH = ("january", "march")
"""Periods read off one month (stocks) rather than summed over twelve."""
FIT_YEARS = (2014, 2022)
"""Periods (first and last year label) of the record the calibration fits: 2015-2022."""


@functools.cache
def record() -> dict[str, dict[int, float]]:
    """The published values: {series: {period year: value}} for every target."""
    return {t.name: (_la_record_series(t) if t.from_la_record else exogenous.series(t.name))
            for t in TARGETS}


def _la_record_series(target: Target) -> dict[int, float]:
    """A January target's values from the LA record's England rows, as a share."""
    top, bottom = target.from_la_record
    out: dict[int, float] = {}
    for period in la_record.PROMISED[top]:
        if bottom is None:  # a published percentage
            value, below = la_record.value(la_record.ENGLAND, top, period), 100.0
        else:
            value = la_record.england_total(top, period)
            below = la_record.england_total(bottom, period)
        if value is not None and below:
            out[int(period[:4])] = value / below
    if not out:
        raise KeyError(f"no England rows of '{top}' in the LA record")
    return out


def window(period: str, year: int) -> tuple[dt.date, dt.date]:
    """First and last month (inclusive) a period year covers: a flow's total is the
    trailing 12-month sum at the last, a stock is read there."""
    if period == "january":
        return dt.date(year, 1, 1), dt.date(year, 1, 1)
    if period == "academic":
        return dt.date(year, 9, 1), dt.date(year + 1, 8, 1)
    if period == "march":
        return dt.date(year + 1, 3, 1), dt.date(year + 1, 3, 1)
    return dt.date(year, 1, 1), dt.date(year, 12, 1)


def middle(period: str, year: int) -> dt.date:
    """The month at the middle of a period year (:func:`window`; the later of two middle
    months): where a figure draws the period's value on a time axis."""
    first, last = window(period, year)
    months = (last.year - first.year) * 12 + last.month - first.month
    index = first.month - 1 + (months + 1) // 2
    return dt.date(first.year + index // 12, index % 12 + 1, 1)


def years_within(period: str, start: dt.date, end: dt.date) -> list[int]:
    """The period years whose whole window (:func:`window`) lies from ``start`` to
    ``end`` (first days of months, inclusive)."""
    return [y for y in range(start.year - 1, end.year + 1)
            if window(period, y)[0] >= start and window(period, y)[1] <= end]


def model_value(target: Target, dates: Sequence[dt.date],
                national: Mapping[str, np.ndarray], year: int) -> float:
    """The model's value of ``target`` for period ``year``, or NaN if not simulated.

    Args:
        target: The series definition.
        dates: First day of each simulated month.
        national: National measures (England scale), one value per month.
        year: Period year as in the data file.
    """
    first, last = window(target.period, year)
    months = np.array([first <= d <= last for d in dates])
    expected = 1 if target.period in SINGLE_MONTH else 12
    if months.sum() < expected:
        return float("nan")
    top = float(sum(np.sum(np.asarray(national[m])[months]) for m in target.measures))
    if target.denominator is None:
        return top
    bottom = float(np.sum(np.asarray(national[target.denominator])[months]))
    return top / bottom if bottom > 0 else float("nan")


def model_series(target: Target, dates: Sequence[dt.date],
                 national: Mapping[str, np.ndarray], years: Sequence[int]) -> np.ndarray:
    """The model's values of ``target`` for each of ``years``."""
    return np.array([model_value(target, dates, national, y) for y in years])


def fit_years(name: str) -> list[int]:
    """Years of the record of ``name`` inside the fitting window."""
    lo, hi = FIT_YEARS
    return sorted(y for y in record()[name] if lo <= y <= hi)


def mape(model: np.ndarray, data: np.ndarray) -> float:
    """Mean absolute percentage error of ``model`` against ``data``, percent."""
    model, data = np.asarray(model, float), np.asarray(data, float)
    return float(np.mean(np.abs(model - data) / np.abs(data)) * 100.0)
