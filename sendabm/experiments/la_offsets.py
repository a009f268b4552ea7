"""Estimating each LA's dispositions from its own 2019-2022 record.

The national parameters (:mod:`sendabm.experiments.calibrate`) say how England's LAs
behave on average; each LA's offsets (:mod:`sendabm.core.dispositions`) say how it
differs. They are fitted in turn (block coordinate descent): ``sendabm calibrate``
searches the national parameters with the packaged offsets, then :func:`fit` re-estimates
the offsets under the chosen national set, so each calibration round refines both.

:func:`fit` is a damped fixed-point iteration, run on the model itself: run the model
(``seeds`` runs at the scenario's scale, to December 2022) with the current offsets; for
every LA, compare seven of the measures of the LA fit (:mod:`sendabm.experiments.la_fit`,
which defines them for model and record alike), averaged over 2019-2022, with its record;
move each offset by a gain times the gap on a logit (shares) or log (plans per request
agreed, which can exceed 1) scale; repeat. Each step is shrunk by
``n / (n + SHRINK_EVENTS)``, ``n`` being the events behind the LA's measure in the sample
(a small LA's refusal share from a dozen requests moves its offset little). The offsets
are not centred: each LA is fitted to its own level, so together they also carry
England's, and the national parameters are what the LAs share. Which measure moves which
offset:

=========================  ======================================  ===========================
offset                     measure                                 direction
=========================  ======================================  ===========================
``plan``                   new plans per request agreed            lower bar, more plans
``assess``                 share of requests refused assessment    higher bar, more refusals
``capacity``               share of new plans within 20 weeks      more capacity, faster
``special``                share of plans in special schools       lower bar, more special
``independent``            share of plans in independent schools   higher, more independent
``appeal``                 appeals / appealable decisions          higher, more appeals
``request``                requests for assessment per pupil       higher, more requests
``start_plans`` (asked)    EHC plans per pupil (January)           higher, more plans
``assess_<year>`` (asked)  share refused that year, less its mean  higher bar, more refusals
``capacity_<year>``        share within 20 weeks that year, less   more staff, faster
(asked)                    its mean
=========================  ======================================  ===========================

The yearly deviations (``fit_yearly``, the spec's ``[las] yearly``; :func:`step_yearly`;
the shipped calibration fits ``assess``'s only, results/calibration/README.md says why)
carry what is particular to an LA in a year, centred on their factor both ways
(:func:`centred`). The fit returns the mean of its iterates over the second half of its
steps (Polyak-Ruppert averaging), not the last, which keeps the last step's seed noise.

The bar to issue a plan is fitted to what it decides, the share of agreed requests that
become plans, not to the LA's plans per pupil. Fitted to the stock, it had to absorb
everything else that sets the stock (the plans each LA held in 2014, how long plans are
kept): the offsets split to both limits (37 of 152 LAs at +-3), England's mean bar was
about nine times the national parameter, and LAs turned 71% of the requests they agreed
in 2019-2022 into plans (refusing to issue after 39% of completed assessments), against
85% in the record (242,882 new plans from 284,818 requests agreed), so new plans fell
17-24% short. An LA's plans per pupil follows from the plans it held in 2014
(:mod:`sendabm.core.starting_state`) and from its flows, above all its requests: its
``request`` offset is fitted to its requests per pupil (with the plan bar on
conversion alone, plans per pupil across LAs fell to a rank correlation of 0.28 with
the record in 2022, from 0.82). With the flows fitted, the LAs still reach 2019
compressed towards England (rank correlation 0.72 in 2022, the log error -0.67
correlated with the record's level), because the back-cast keeps each LA's 2019 position
in 2014 and its own flows then move it. ``fit_start`` (the spec's ``[las] start_plans``)
also fits ``start_plans``, the correction of the back-cast starting stock, to plans per
pupil (:data:`START_TARGETS`); it is off by default (results/calibration/README.md).

The members of a merged unit of the record (Bournemouth, Poole and Dorset after 2019)
share one record, so they move together.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sendabm.core.areas import Areas, synthetic_england
from sendabm.core.dispositions import FIELDS, OFFSET_LIMIT, YEARLY_FIELDS, Dispositions
from sendabm.experiments import la_fit as F
from sendabm.experiments.pool import WorkerPool

YEARS = F.FIT_YEARS
"""Record years the offsets are fitted on (the backtest fits on fewer)."""

SHRINK_EVENTS = 20.0
"""Events (requests, plans issued, plans, appeals) in the sample at which an LA's step is
half its full size."""


@dataclass(frozen=True)
class Target:
    """How one measure of the LA fit moves one offset.

    Attributes:
        offset: The offset it moves (a name of :data:`FIELDS`).
        gain: Offset change per unit of gap (log offset per logit or log unit).
        sign: +1 if a higher offset raises the measure, -1 if it lowers it.
        logit: Compare on the logit scale (a share) rather than the log scale.
        events: The counts behind the measure in a year, (seed, unit), England-scaled.
        centred: Keep the offset's mean over LAs at 0 after each step: it moves only each
            LA's position against England's, not England's level, so a shift common to
            all LAs changes nothing and would otherwise drift to the limits.
    """

    offset: str
    gain: float
    sign: float
    logit: bool
    events: Callable[[F.UnitYear], np.ndarray]
    centred: bool = False


TARGETS: dict[str, Target] = {
    "plans_per_agreed_request": Target("plan", 0.6, -1.0, False,
                                       lambda u: u.calendar("plans_issued")),
    "refusal_share": Target("assess", 0.5, +1.0, True,
                            lambda u: u.calendar("assessment_requests")),
    "share_within_20_weeks": Target("capacity", 0.6, +1.0, True,
                                    lambda u: u.calendar("plans_issued")),
    "special_share": Target("special", 0.4, -1.0, True, lambda u: u.january("ehc_plans")),
    "independent_share": Target("independent", 0.4, +1.0, True,
                                lambda u: u.january("ehc_plans")),
    "requests_per_pupil": Target("request", 0.6, +1.0, False,
                                 lambda u: u.calendar("assessment_requests")),
    "appeal_rate": Target("appeal", 0.7, +1.0, True,
                          lambda u: u.calendar("appeals_registered")),
}
"""Measure of :data:`sendabm.experiments.la_fit.FIT_MEASURES` -> the decision offset it
moves."""

START_TARGETS: dict[str, Target] = {
    # The plans held in 2014 are only part of the 2019-2022 stock, so a log step on them
    # moves plans per pupil by less than itself: a gain above 1.
    "plans_per_pupil": Target("start_plans", 1.2, +1.0, False,
                              lambda u: u.january("ehc_plans"), centred=True),
}
"""The starting-stock correction's target, fitted only when asked (``fit_start``): with
it the fit meets plans per pupil LA by LA but the national stock overshoots
(results/calibration/README.md)."""

ALL_TARGETS = {**TARGETS, **START_TARGETS}

YEARLY_TARGETS: dict[str, Target] = {
    "refusal_share": Target("assess", 0.5, +1.0, True,
                            lambda u: u.calendar("assessment_requests")),
    # Half the standing gain: a year's 20-week share also carries the queue the year
    # before left, so a full step overshoots and the years alternate.
    "share_within_20_weeks": Target("capacity", 0.3, +1.0, True,
                                    lambda u: u.calendar("plans_issued")),
}
"""Measure -> the yearly field (:data:`sendabm.core.dispositions.YEARLY_FIELDS`) its
year-by-year gap moves; events as its :data:`TARGETS` entry's."""


@dataclass(frozen=True)
class Measured:
    """The model's measures of the record's units, averaged over years and seeds.

    Attributes:
        units: The units (:func:`sendabm.experiments.la_fit.units`).
        values: Each measure of the LA fit -> (unit,) mean over the years and seeds that
            have a value.
        events: Each measure the offsets are fitted on -> (unit,) events per year and
            seed, England-scaled.
        by_year: Each measure of the LA fit -> (year, unit) mean over the seeds.
    """

    units: tuple[F.Unit, ...]
    values: dict[str, np.ndarray]
    events: dict[str, np.ndarray]
    by_year: dict[str, np.ndarray]


def measure(counts: F.LACounts, years: Sequence[int]) -> Measured:
    """The model's measures of stacked runs (:func:`sendabm.experiments.la_fit.stack`)."""
    unit_list = tuple(F.units(counts.la_names, years[-1]))
    by_year = [F.unit_year(counts, unit_list, y) for y in years]
    values, events, yearly = {}, {}, {}
    with warnings.catch_warnings():  # a unit with no value in any year stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        for m in F.FIT_MEASURES:
            stacked = np.stack([m.model(u) for u in by_year])  # (year, seed, unit)
            values[m.name] = np.nanmean(stacked, axis=(0, 1))
            yearly[m.name] = np.nanmean(stacked, axis=1)
        for name, target in ALL_TARGETS.items():
            events[name] = np.nanmean(np.stack([target.events(u) for u in by_year]),
                                      axis=(0, 1))
    return Measured(unit_list, values, events, yearly)


def record_by_year(unit_list: Sequence[F.Unit], la_names: Sequence[str],
                   years: Sequence[int]) -> dict[str, np.ndarray]:
    """Measure of the LA fit -> (year, unit) the record's value (NaN where it has none)."""
    rows = [[F.record_values(unit, y, la_names) for unit in unit_list] for y in years]
    return {m.name: np.array([[v[m.name] for v in per_year] for per_year in rows])
            for m in F.FIT_MEASURES}


def record_measures(unit_list: Sequence[F.Unit], la_names: Sequence[str],
                    years: Sequence[int]) -> dict[str, np.ndarray]:
    """Measure of the LA fit -> (unit,) the record's mean over ``years`` (NaN where it has none)."""
    return pooled(record_by_year(unit_list, la_names, years))


def pooled(by_year: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Measure -> (unit,) the mean over the years of :func:`record_by_year`'s values."""
    with warnings.catch_warnings():  # a unit with no value in any year stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return {name: np.nanmean(values, axis=0) for name, values in by_year.items()}


def _gap(want: np.ndarray, have: np.ndarray, logit: bool) -> np.ndarray:
    """Record less model on the fit's scale (:func:`_transform`), NaN where either is."""
    usable = np.isfinite(want) & np.isfinite(have)
    return np.where(usable, _transform(np.where(usable, want, 0.5), logit)
                    - _transform(np.where(usable, have, 0.5), logit), np.nan)


def _transform(value: np.ndarray, logit: bool) -> np.ndarray:
    eps = 1e-3
    if logit:
        v = np.clip(value, eps, 1.0 - eps)
        return np.log(v / (1.0 - v))
    return np.log(np.maximum(value, eps * 1e-3))


def step(offsets: np.ndarray, model: Measured, record: dict[str, np.ndarray],
         scale: float, targets: dict[str, Target] = TARGETS) -> np.ndarray:
    """One fixed-point step: offsets moved towards each unit's record (not centred).

    Args:
        offsets: Current offsets (areas, len(FIELDS)).
        model: :func:`measure` of runs with these offsets.
        record: :func:`record_measures` of the same units.
        scale: Share of England the runs modelled (events are counted in the sample).
        targets: The measures fitted and the offsets they move (default: the decision
            offsets', as :func:`fit` without ``fit_start``).
    """
    new = offsets.copy()
    for name, target in targets.items():
        col = FIELDS.index(target.offset)
        gap = np.nan_to_num(_gap(record[name], model.values[name], target.logit))
        events = np.nan_to_num(model.events[name]) * scale
        move = target.sign * target.gain * events / (events + SHRINK_EVENTS) * gap
        for k, unit in enumerate(model.units):
            new[list(unit.members), col] += move[k]
        if target.centred:
            new[:, col] -= new[:, col].mean()
    # The decision offsets are not centred: each LA is fitted to its own level, so the
    # LAs' sum follows England's record too, and the national search (run next with these
    # offsets) fits the rest.
    return np.clip(new, -OFFSET_LIMIT, OFFSET_LIMIT)


def step_yearly(yearly: np.ndarray, model: Measured, record: dict[str, np.ndarray],
                scale: float, fields: Sequence[str] = YEARLY_FIELDS) -> np.ndarray:
    """One fixed-point step of the yearly deviations (:data:`YEARLY_TARGETS`).

    Each unit's gap in a year, less its mean gap over the years (which its standing
    offset takes, :func:`step`), moves its deviation in that year, shrunk as in
    :func:`step`. The deviations are then centred over years within each LA and over
    LAs each year (:func:`centred`), so they carry neither the LA's own level (its
    standing offset's) nor England's yearly level (the national parameters' work).

    Args:
        yearly: Current deviations (areas, len(YEARLY_FIELDS), years).
        model: :func:`measure` of runs with these offsets.
        record: :func:`record_by_year` of the same units and years.
        scale: Share of England the runs modelled.
        fields: The yearly fields fitted (the others are left as they are).
    """
    new = yearly.copy()
    for name, target in YEARLY_TARGETS.items():
        if target.offset not in fields:
            continue
        col = YEARLY_FIELDS.index(target.offset)
        gap = _gap(record[name], model.by_year[name], target.logit)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            residual = np.nan_to_num(gap - np.nanmean(gap, axis=0))
        events = np.nan_to_num(model.events[name]) * scale
        move = target.sign * target.gain * events / (events + SHRINK_EVENTS) * residual
        weight = np.zeros(new.shape[0])
        for k, unit in enumerate(model.units):
            new[list(unit.members), col, :] += move[:, k]
            weight[list(unit.members)] = events[k] / len(unit.members)
        new[:, col] = centred(np.clip(new[:, col], -OFFSET_LIMIT, OFFSET_LIMIT), weight)
    # A record share of 0 or 1 in some LA-year can take its deviation to the limit; the
    # clip leaves the centring off by that LA-year's excess over the limit alone.
    return np.clip(new, -OFFSET_LIMIT, OFFSET_LIMIT)


def centred(deviation: np.ndarray, weight: np.ndarray, passes: int = 20) -> np.ndarray:
    """Yearly deviations (area, year) centred both ways on the factor ``e^d`` they
    apply: its mean over years is 1 for each LA, and each year its events-weighted mean
    over LAs is 1, so England's year keeps the national parameters' bar and staffing.
    (Centred in logs instead, deviations with an SD of 0.8 would raise England's
    assessment staffing by about e^(0.8^2 / 2) - 1 = 38%; and the two log centrings
    cannot both hold with the factor's.) The two are alternated ``passes`` times
    (Sinkhorn's scaling of a positive matrix, which converges to both)."""
    factor = np.exp(deviation)
    total = weight.sum()
    for _ in range(passes):
        factor /= factor.mean(axis=1, keepdims=True)
        if total > 0:
            factor /= weight @ factor / total
    return np.log(factor)


def gap_summary(model: Measured, record: dict[str, np.ndarray]) -> dict[str, float]:
    """Per measure: the rank correlation of model and record over the units with both."""
    return {name: F.rank_correlation(model.values[name], record[name]) for name in ALL_TARGETS}


def run_counts(task: tuple) -> F.LACounts:
    """Run one model (scenario, dispositions, years read) to its end; its per-LA counts
    over those years. A module-level function so a worker pool can run it."""
    import datetime as dt

    from sendabm.core.model import SendModel

    scenario, dispositions, years = task
    model = SendModel(scenario, dispositions=dispositions)
    model.run()
    return F.panel_counts(model.dates, model.areas.names, model.panel,
                          dt.date(years[0], 1, 1), dt.date(years[-1] + 1, 1, 1))


def model_measures(scenario, dispositions: Dispositions, seeds: Sequence[int],
                   years: Sequence[int], pool: WorkerPool) -> Measured:
    """The measures of ``seeds`` runs of ``scenario`` with ``dispositions``."""
    tasks = [(scenario.with_overrides(run={"seed": s}), dispositions, tuple(years))
             for s in seeds]
    return measure(F.stack(list(pool.ordered(run_counts, tasks))), years)


def fit(scenario, seeds: Sequence[int], iterations: int, pool: WorkerPool,
        start: Dispositions | None = None, areas: Areas | None = None,
        progress: Callable[[int, dict[str, float]], None] | None = None,
        years: Sequence[int] = YEARS, fit_start: bool = False,
        fit_yearly: Sequence[str] = (), fit_standing: bool = True) -> Dispositions:
    """Estimate every LA's offsets under ``scenario``'s national parameters.

    Args:
        scenario: The scenario (its scale and an end in or after December of the last
            year).
        seeds: Seeds of the runs each iteration averages over.
        iterations: Fixed-point steps.
        pool: Where the runs run.
        start: Offsets to start from (default: the national practice, all zeros).
        areas: The areas (default: the built-in 152 LAs).
        progress: Called after each step with (iteration, rank correlation by measure
            before the step).
        years: Record years fitted on (the backtest fits on 2019-2021).
        fit_start: Also fit each LA's ``start_plans`` correction (:data:`START_TARGETS`);
            otherwise it stays as ``start`` has it.
        fit_yearly: The yearly fields (of :data:`YEARLY_FIELDS`) whose deviations over
            ``years`` are fitted too (:data:`YEARLY_TARGETS`), starting from ``start``'s if
            it has the same years; with none, ``start``'s are kept as they are.
        fit_standing: Fit the standing offsets (:data:`TARGETS`); without, they stay as
            ``start`` has them and only the yearly deviations are fitted (a block of the
            descent on its own, as the shipped calibration's last stage).

    Returns:
        The fitted :class:`Dispositions`, for ``areas.codes``: the mean of the iterates
        after the steps of the second half (Polyak-Ruppert averaging), since each step
        also moves with its runs' seed noise and a last iterate keeps that noise.
    """
    areas = areas or synthetic_england()
    start = start or Dispositions.none(areas.codes)
    offsets = start.for_codes(areas.codes)
    kept_years = tuple(years) if fit_yearly else start.years
    yearly = (start.yearly_for_codes(areas.codes) if start.years == kept_years
              else np.zeros((areas.n, len(YEARLY_FIELDS), len(kept_years))))
    scale = float(scenario.run["scale"])
    record = by_year = None
    averaged: list[tuple[np.ndarray, np.ndarray]] = []
    for it in range(iterations):
        table = Dispositions(areas.codes, offsets, kept_years, yearly)
        model = model_measures(scenario, table, seeds, years, pool)
        if record is None:
            by_year = record_by_year(model.units, areas.names, years)
            record = pooled(by_year)
        if progress is not None:
            progress(it, gap_summary(model, record))
        if fit_standing:
            offsets = step(offsets, model, record, scale,
                           ALL_TARGETS if fit_start else TARGETS)
        if fit_yearly:
            yearly = step_yearly(yearly, model, by_year, scale, fit_yearly)
        if it >= iterations // 2:
            averaged.append((offsets, yearly))
    if averaged:
        offsets = np.mean([a for a, _ in averaged], axis=0)
        yearly = np.mean([b for _, b in averaged], axis=0)
    return Dispositions(areas.codes, offsets, kept_years, yearly)

