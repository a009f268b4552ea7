"""Outcomes: a run reduced to one number per measure over a window of months.

The outcomes of ``sendabm compare`` (:data:`OUTCOMES`) and of
:func:`sendabm.experiments.evaluate.evaluate` come from the measure registry
(:mod:`sendabm.core.measures`), and each is reduced as its kind says
(:attr:`~sendabm.core.measures.Measure.reducer`):

- flows are summed over the window (e.g. ``appeals_registered``);
- stocks are taken at the last month (e.g. ``ehc_plans``, ``cumulative_deficit_gbp``);
- means, rates, shares and indices are averaged over the last 12 months (or the whole
  window if it is shorter), e.g. ``adversarial_index``;
- **equity**, by family-resources quintile q1 (least) to q5 (most), from the panel
  summed over LAs: each equity measure per quintile (EHC plans as each quintile's
  share of all plans at the end; means weighted by the children they are a mean
  over), plus a ``gap`` row, q5 minus q1, for each.

A run is first kept as a :class:`RunRecord` (:func:`summarise`): its national series
and its per-quintile panel totals, without the LA panel.
"""

from __future__ import annotations

import datetime
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendabm.core import calendar
from sendabm.core.measures import (
    COMPARE_OUTCOMES,
    CONTESTED,
    EQUITY_OUTCOMES,
    GBP,
    HIGHER,
    INDEX,
    LAS,
    LAST,
    LOWER,
    MEAN,
    RATE,
    SHARE,
    SHARE_OF_TOTAL,
    SUM,
    Measure,
)

if TYPE_CHECKING:
    from sendabm.experiments.results import RunOutput

NEUTRAL, NEARER_ZERO = "neutral", "nearer_zero"
"""Directions besides lower, higher and contested: no judgement (a descriptive measure),
and nearer zero (the equity gaps)."""
DIRECTIONS = (LOWER, HIGHER, CONTESTED, NEUTRAL, NEARER_ZERO)

MEAN_MONTHS = 12
"""Months at the end of the window over which means and rates are averaged."""

HEADLINE, EQUITY = "headline", "equity"
"""Outcome groups: national measures, and measures by quintile."""


@dataclass(frozen=True)
class Outcome:
    """One scalar outcome of a run.

    Attributes:
        name: Column-safe name, e.g. ``appeals_registered`` or ``mean_unmet_need_q1``.
        label: Plain-words label for ``comparison.md``.
        group: ``headline`` (national) or ``equity`` (by quintile).
        direction: ``lower``, ``higher``, ``contested`` (the better direction is in
            dispute: never scored), ``neutral`` or ``nearer_zero``.
        kind: How to format it: ``count``, ``gbp``, ``share``, ``index``, ``mean``, ``las``.
        how: ``sum`` over the window, ``last`` month, ``mean`` over the last 12 months,
            or ``share_of_total`` (each quintile's share at the last month).
        measure: The registered measure it reduces ("" if none).
    """

    name: str
    label: str
    group: str
    direction: str
    kind: str
    how: str
    measure: str = ""


def number_format(m: Measure) -> str:
    """How tables format a measure: ``gbp``, ``las``, ``share``, ``index``, ``mean`` or
    ``count``."""
    if m.unit == GBP:
        return "gbp"
    if m.unit == LAS:
        return "las"
    if m.kind in (SHARE, RATE):
        return "share"
    if m.kind == INDEX:
        return "index"
    if m.kind == MEAN:
        return "mean"
    return "count"


def _national(m: Measure) -> Outcome:
    return Outcome(m.name, m.label, HEADLINE, m.direction or NEUTRAL, number_format(m),
                   m.reducer, m.name)


def _equity(m: Measure) -> tuple[Outcome, ...]:
    """The outcomes of one equity measure: quintiles 1 to 5 and the q5 - q1 gap."""
    if m.equity_share:
        stem, label, direction = m.equity_share, f"Share of {m.legend}", NEUTRAL
        kind, how = "share", SHARE_OF_TOTAL
    else:
        stem, label, direction = m.name, m.label, m.direction or NEUTRAL
        kind, how = number_format(m), m.reducer
    quintiles = tuple(Outcome(f"{stem}_q{q}", f"{label}, quintile {q}", EQUITY, direction, kind,
                              how, m.name) for q in range(1, 6))
    return quintiles + (Outcome(f"{stem}_gap", f"{label}, gap q5 − q1", EQUITY, NEARER_ZERO,
                                kind, how, m.name),)


NATIONAL_OUTCOMES: tuple[Outcome, ...] = tuple(_national(m) for m in COMPARE_OUTCOMES)
"""National outcomes of comparisons: key outcomes first, then the others."""

EQUITY_GROUP: tuple[Outcome, ...] = tuple(o for m in EQUITY_OUTCOMES for o in _equity(m))
"""Equity outcomes: each equity measure per quintile, then its gap (six per measure)."""

OUTCOMES: tuple[Outcome, ...] = NATIONAL_OUTCOMES + EQUITY_GROUP
"""Every outcome of a comparison, in table order."""

_MEANS = tuple(m for m in EQUITY_OUTCOMES if m.kind == MEAN)
QUINTILE_COUNTS: tuple[str, ...] = tuple(m.name for m in EQUITY_OUTCOMES if m.kind != MEAN) \
    + tuple(dict.fromkeys(m.formula.denominator for m in _MEANS))
"""Panel counts kept from each run, summed over LAs, per quintile: the equity counts,
then the children each equity mean is a mean over (its weights)."""


# --------------------------------------------------------------------------- per run


@dataclass
class RunRecord:
    """What is kept of one run: the national series and per-quintile panel totals.

    Attributes:
        scenario: Scenario name.
        seed: Seed of the run.
        dates: First day of each month.
        national: National measure -> array (T,), England scale.
        quintiles: Measure -> array (T, 5), quintiles 1..5 summed over LAs (counts), or
            for the equity means (e.g. ``mean_unmet_need``) the mean weighted by the
            children it is a mean over.
        wall_seconds: Time the run took.
    """

    scenario: str
    seed: int
    dates: list[datetime.date]
    national: dict[str, np.ndarray]
    quintiles: dict[str, np.ndarray]
    wall_seconds: float = 0.0


def summarise(output: RunOutput) -> RunRecord:
    """Reduce a finished run to a :class:`RunRecord` (drops the LA panel)."""
    n_months = output.n_months
    quintiles: dict[str, np.ndarray] = {}
    for name in QUINTILE_COUNTS:
        values = output.panel.get(name)
        if values is None:
            quintiles[name] = np.full((n_months, 5), np.nan)
            continue
        cells = np.asarray(values, dtype=np.float64)[:, :, 1:]
        totals = np.nansum(cells, axis=1)
        totals[np.all(np.isnan(cells), axis=1)] = np.nan
        quintiles[name] = totals
    for m in _MEANS:
        quintiles[m.name] = _weighted_mean(output.panel.get(m.name),
                                           output.panel.get(m.formula.denominator), n_months)
    national = {k: np.asarray(v, dtype=np.float64).copy() for k, v in output.national.items()}
    return RunRecord(scenario=str(output.manifest.get("scenario_name", "")),
                     seed=int(output.manifest.get("seed", -1)), dates=list(output.dates),
                     national=national, quintiles=quintiles,
                     wall_seconds=float(output.manifest.get("wall_time_seconds", 0.0)))


def _weighted_mean(means, weights, n_months: int) -> np.ndarray:
    """LA x quintile means (T, n_la, 6) -> quintile means (T, 5) weighted by ``weights``."""
    if means is None or weights is None:
        return np.full((n_months, 5), np.nan)
    m = np.asarray(means, dtype=np.float64)[:, :, 1:]
    w = np.asarray(weights, dtype=np.float64)[:, :, 1:]
    ok = np.isfinite(m) & np.isfinite(w) & (w > 0)
    num = np.where(ok, m * np.where(ok, w, 0.0), 0.0).sum(axis=1)
    den = np.where(ok, w, 0.0).sum(axis=1)
    return divide(num, den)


def divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, else NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


# --------------------------------------------------------------------------- reducing


@dataclass(frozen=True)
class Window:
    """The window of months outcomes are reduced over, as indices into the run's months.

    Attributes:
        start: First month of the window, 'YYYY-MM'.
        end: Last month, 'YYYY-MM'.
        first: Index of the first month of the window.
        months: Months in the window.
        mean_months: Months at the end over which means are taken.
    """

    start: str
    end: str
    first: int
    months: int
    mean_months: int

    @classmethod
    def of(cls, run_start: str, start: str, end: str) -> Window:
        """The window from ``start`` to ``end`` of a run that starts in ``run_start``."""
        first = calendar.tick_of(start) - calendar.tick_of(run_start)
        months = calendar.tick_of(end) - calendar.tick_of(start) + 1
        return cls(start=start, end=end, first=first, months=months,
                   mean_months=min(MEAN_MONTHS, months))


def reduce_series(series: np.ndarray, how: str, window: Window) -> np.ndarray:
    """Reduce a series (T,) or (T, k) along time to a value or (k,) array.

    Args:
        series: One value a month from the run's start (a column per quintile).
        how: ``sum`` over the window, ``last`` month (also for ``share_of_total``), or
            ``mean`` of its last ``window.mean_months`` months.
        window: The window.

    Returns:
        The reduced value(s); NaN where every month of the window is NaN.
    """
    if how == SUM:
        part = series[window.first:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = np.nansum(part, axis=0)
            return np.where(np.all(np.isnan(part), axis=0), np.nan, out)
    if how in (LAST, SHARE_OF_TOTAL):
        return series[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(series[-window.mean_months:], axis=0)


def outcome_values(record: RunRecord, window: Window) -> dict[str, float]:
    """Every outcome of :data:`OUTCOMES` for one run."""
    values: dict[str, float] = {}
    n_months = len(record.dates)
    for outcome in NATIONAL_OUTCOMES:
        series = record.national.get(outcome.name)
        if series is None:
            series = np.full(n_months, np.nan)
        values[outcome.name] = float(reduce_series(series, outcome.how, window))
    for gap in EQUITY_GROUP[5::6]:
        by_q = np.asarray(reduce_series(record.quintiles[gap.measure], gap.how, window),
                          dtype=np.float64)
        if gap.how == SHARE_OF_TOTAL:
            total = np.sum(by_q)
            by_q = by_q / total if total > 0 else np.full(5, np.nan)
        stem = gap.name.removesuffix("_gap")
        for q in range(5):
            values[f"{stem}_q{q + 1}"] = float(by_q[q])
        values[f"{stem}_gap"] = float(by_q[4] - by_q[0])
    return values
