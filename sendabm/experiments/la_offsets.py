"""Estimating each LA's dispositions from its own 2019-2022 record.

The national parameters (:mod:`sendabm.experiments.calibrate`) say how England's LAs
behave on average; each LA's offsets (:mod:`sendabm.core.dispositions`) say how it
differs. They are fitted in turn (block coordinate descent): ``sendabm calibrate``
searches the national parameters with the packaged offsets, then :func:`fit` re-estimates
the offsets under the chosen national set, so each calibration round refines both.

:func:`fit` is a damped fixed-point iteration, run on the model itself: run the model
(``seeds`` runs at ``scale``, to December 2022) with the current offsets; for every LA,
compare five measures, pooled over 2019-2022, with its record; move each offset by a
gain times the gap on a logit (shares) or log (counts) scale; repeat. Each step is
shrunk by ``n / (n + SHRINK_EVENTS)``, ``n`` being the events behind the LA's measure in
the runs (a small LA's refusal share from a dozen requests moves its offset little), and
the offsets are centred (median 0) so the national parameters describe the median LA.
Which measure moves which offset:

==============  ======================================  =====================
offset          measure (record, 2019-2022)             direction
==============  ======================================  =====================
``plan``        EHC plans in January                    lower bar, more plans
``assess``      share of requests refused assessment    higher bar, more refusals
``capacity``    share of new plans within 20 weeks      more capacity, faster
``special``     share of plans in special schools       lower bar, more special
``independent`` share of plans in independent schools   shorter wait, more independent
``appeal``      appeals / appealable decisions          higher, more appeals
==============  ======================================  =====================

Appealable decisions are, as in the DfE/MoJ appeal-rate table, about the plans the LA
maintains plus its refusals: in the model, the plans each December plus the year's
refusals to assess and to issue.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sendabm.core import la_record
from sendabm.core.areas import Areas, synthetic_england
from sendabm.core.dispositions import FIELDS, OFFSET_LIMIT, Dispositions
from sendabm.experiments.pool import WorkerPool

YEARS = (2019, 2020, 2021, 2022)
"""Record years the offsets are fitted on."""

SHRINK_EVENTS = 20.0
"""Events (requests, plans issued, plans) at which an LA's step is half its full size."""


@dataclass(frozen=True)
class Target:
    """One offset's measure: a pooled ratio of record counts, and how the offset moves.

    Attributes:
        offset: The offset it moves (a name of :data:`FIELDS`).
        gain: Offset change per unit of gap (log offset per logit or log unit).
        sign: +1 if a higher offset raises the measure, -1 if it lowers it.
        logit: Compare on the logit scale (a share) rather than the log scale (a count).
    """

    offset: str
    gain: float
    sign: float
    logit: bool


TARGETS: dict[str, Target] = {
    "plans": Target("plan", 0.6, -1.0, False),
    "refusal_share": Target("assess", 0.5, +1.0, True),
    "share_within_20_weeks": Target("capacity", 0.6, +1.0, True),
    "special_share": Target("special", 0.4, -1.0, True),
    "independent_share": Target("independent", 0.4, -1.0, False),
    "appeal_rate": Target("appeal", 0.7, +1.0, True),
}
"""The measure each offset is fitted to (see the module docstring)."""

PANEL_NAMES: tuple[str, ...] = (
    "ehc_plans", "assessments_refused", "assessment_requests", "plans_refused",
    "plans_issued_within_20_weeks", "plans_issued", "placements_special",
    "placements_independent", "appeals_registered")
"""The panel measures (LA totals) the five measures are computed from."""


def unit_of(code: str) -> str:
    """The record's unit for a model area from 2019 (the merged Dorset group, or itself)."""
    return la_record.group_of(code) or code


def record_measures(areas: Areas, years: Sequence[int] = YEARS) -> dict[str, dict[str, float]]:
    """Each record unit's measures, pooled over ``years`` (absent if unknown).

    Counts are summed over the years a unit has both parts; shares weight each year by
    its denominator; percentages become shares.
    """
    out: dict[str, dict[str, float]] = {}
    for unit in dict.fromkeys(unit_of(c) for c in areas.codes):
        try:
            rec = la_record.record(unit)
        except la_record.LARecordError:
            continue
        out[unit] = {k: v for k, v in _record_unit(rec, years).items() if v is not None}
    return out


def _record_unit(rec: dict[str, dict[str, float]],
                 record_years: Sequence[int]) -> dict[str, float | None]:
    jan = [f"{y}-01" for y in record_years]
    years = [str(y) for y in record_years]
    plans = rec.get("ehc_plans", {})
    within = rec.get("plans_issued_within_20_weeks_pct", {})
    new = rec.get("new_plans", {})
    special = rec.get("ehc_special_pct", {})
    return {
        "plans": _mean([plans.get(p) for p in jan]),
        "refusal_share": _pooled(rec.get("requests_refused", {}),
                                 rec.get("requests_received", {}), years),
        "share_within_20_weeks": _pooled({y: within[y] * new[y] / 100 for y in years
                                          if y in within and y in new}, new, years),
        "special_share": _pooled({p: special[p] * plans[p] / 100 for p in jan
                                  if p in special and p in plans}, plans, jan),
        "independent_share": _pooled(rec.get("ehc_special_independent", {}), plans, jan),
        "appeal_rate": _pooled(rec.get("appeals_registered", {}),
                               rec.get("appealable_decisions", {}), years),
    }


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _pooled(numerator: dict, denominator: dict, periods: Sequence[str]) -> float | None:
    both = [p for p in periods if p in numerator and p in denominator]
    total = sum(denominator[p] for p in both)
    return sum(numerator[p] for p in both) / total if both and total > 0 else None


def model_measures(dates: Sequence, panel: dict[str, np.ndarray], areas: Areas,
                   years: Sequence[int] = YEARS) -> dict[str, dict[str, tuple[float, float]]]:
    """Each record unit's measures in one run, pooled over ``years``.

    Args:
        dates: The run's months (first days).
        panel: Panel name (:data:`PANEL_NAMES`) -> array (months, LAs) of the LA totals
            (quintile column 0), England-scaled as the panel is.
        areas: The run's areas.
        years: The calendar years pooled.

    Returns:
        unit -> measure -> (value, events behind it), the events being the denominator
        (or the count itself), England-scaled, for shrinkage.
    """
    in_years = np.array([d.year in years for d in dates])
    january = in_years & np.array([d.month == 1 for d in dates])
    december = in_years & np.array([d.month == 12 for d in dates])
    units = [unit_of(c) for c in areas.codes]
    members = {u: [k for k, v in enumerate(units) if v == u] for u in dict.fromkeys(units)}

    def total(name: str, rows: np.ndarray) -> np.ndarray:
        per_la = panel[name][rows].sum(axis=0)
        return np.array([per_la[k].sum() for k in members.values()])

    flow = {n: total(n, in_years) for n in PANEL_NAMES if n != "ehc_plans"}
    jan = {n: total(n, january) for n in ("ehc_plans", "placements_special",
                                          "placements_independent")}
    appealable = (total("ehc_plans", december) + flow["assessments_refused"]
                  + flow["plans_refused"])
    ratios = {
        "plans": (jan["ehc_plans"] / max(1, int(january.sum())), None),
        "refusal_share": (flow["assessments_refused"], flow["assessment_requests"]),
        "share_within_20_weeks": (flow["plans_issued_within_20_weeks"], flow["plans_issued"]),
        "special_share": (jan["placements_special"] + jan["placements_independent"],
                          jan["ehc_plans"]),
        "independent_share": (jan["placements_independent"], jan["ehc_plans"]),
        "appeal_rate": (flow["appeals_registered"], appealable),
    }
    out: dict[str, dict[str, tuple[float, float]]] = {u: {} for u in members}
    for name, (top, bottom) in ratios.items():
        for j, unit in enumerate(members):
            if bottom is None:
                out[unit][name] = (float(top[j]), float(top[j]))
            else:
                b = float(bottom[j])
                events = float(top[j]) if name == "appeal_rate" else b
                out[unit][name] = (float(top[j]) / b if b > 0 else math.nan, events)
    return out


def _transform(value: float, logit: bool) -> float:
    eps = 1e-3
    if logit:
        v = min(max(value, eps), 1.0 - eps)
        return math.log(v / (1.0 - v))
    return math.log(max(value, eps))


def step(offsets: np.ndarray, areas: Areas, record: dict[str, dict[str, float]],
         model: dict[str, dict[str, tuple[float, float]]], scale: float) -> np.ndarray:
    """One fixed-point step: offsets moved towards each unit's record, then centred.

    Args:
        offsets: Current offsets (areas.n, len(FIELDS)).
        areas: The areas.
        record: :func:`record_measures`.
        model: Mean over seeds of :func:`model_measures` (events summed over seeds).
        scale: Share of England the runs modelled (events are counted in the sample).
    """
    new = offsets.copy()
    units = [unit_of(c) for c in areas.codes]
    for name, target in TARGETS.items():
        col = FIELDS.index(target.offset)
        for k, unit in enumerate(units):
            want = record.get(unit, {}).get(name)
            have, events = model.get(unit, {}).get(name, (math.nan, 0.0))
            if want is None or not math.isfinite(have):
                continue
            events *= scale
            gap = _transform(want, target.logit) - _transform(have, target.logit)
            shrink = events / (events + SHRINK_EVENTS)
            new[k, col] += target.sign * target.gain * shrink * gap
    # Centred on the median LA, which the national parameters describe; a mean would be
    # dragged by the few LAs pinned at a limit the model cannot reach.
    return np.clip(new - np.median(new, axis=0), -OFFSET_LIMIT, OFFSET_LIMIT)


def mean_measures(runs: Sequence[dict[str, dict[str, tuple[float, float]]]]):
    """Per unit and measure: the mean value over runs and the events summed."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for unit in runs[0]:
        out[unit] = {}
        for name in runs[0][unit]:
            values = [r[unit][name][0] for r in runs if math.isfinite(r[unit][name][0])]
            events = sum(r[unit][name][1] for r in runs)
            out[unit][name] = (float(np.mean(values)) if values else math.nan, events)
    return out


def gap_summary(record: dict[str, dict[str, float]],
                model: dict[str, dict[str, tuple[float, float]]],
                areas: Areas) -> dict[str, float]:
    """Per measure: the rank correlation of model and record over the units with both
    (plans per pupil of the areas file, not plans, so that size does not rank them)."""
    pupils: dict[str, float] = {}
    for code, n in zip(areas.codes, areas.pupils, strict=True):
        pupils[unit_of(code)] = pupils.get(unit_of(code), 0.0) + float(n)
    out = {}
    for name in TARGETS:
        per = (lambda u: pupils[u]) if name == "plans" else (lambda u: 1.0)
        pairs = [(model[u][name][0] / per(u), record[u][name] / per(u)) for u in record
                 if name in record[u] and u in model and math.isfinite(model[u][name][0])]
        if len(pairs) > 2:
            a, b = (np.array(x) for x in zip(*pairs, strict=True))
            out[name] = rank_correlation(a, b)
    return out


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties)."""
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = math.sqrt(float((ra * ra).sum() * (rb * rb).sum()))
    return float((ra * rb).sum() / denom) if denom > 0 else math.nan


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty(x.size)
    ranks[order] = np.arange(x.size, dtype=np.float64)
    for value in np.unique(x):
        tied = x == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return ranks


def run_measures(task: tuple) -> dict[str, dict[str, tuple[float, float]]]:
    """Run one model (scenario, dispositions, years pooled) to its end; its units'
    measures.

    A module-level function so a worker pool can run it.
    """
    from sendabm.core.model import SendModel

    scenario, dispositions, years = task
    model = SendModel(scenario, dispositions=dispositions)
    model.run()
    panel = {name: np.stack([m[:, 0] for m in model.panel[name]]) for name in PANEL_NAMES}
    return model_measures(model.dates, panel, model.areas, years)


def fit(scenario, seeds: Sequence[int], iterations: int, pool: WorkerPool,
        start: Dispositions | None = None, areas: Areas | None = None,
        progress: Callable[[int, dict[str, float]], None] | None = None,
        years: Sequence[int] = YEARS) -> Dispositions:
    """Estimate every LA's offsets under ``scenario``'s national parameters.

    Args:
        scenario: The scenario (its scale and an end in or after December 2022).
        seeds: Seeds of the runs each iteration averages over.
        iterations: Fixed-point steps.
        pool: Where the runs run.
        start: Offsets to start from (default: the national practice, all zeros).
        areas: The areas (default: the built-in 152 LAs).
        progress: Called after each step with (iteration, rank correlation by measure
            before the step).
        years: Record years fitted on (the backtest fits on 2019-2021).

    Returns:
        The fitted :class:`Dispositions`, for ``areas.codes``.
    """
    areas = areas or synthetic_england()
    record = record_measures(areas, years)
    offsets = (start or Dispositions.none(areas.codes)).for_codes(areas.codes)
    scale = float(scenario.run["scale"])
    for it in range(iterations):
        current = Dispositions(areas.codes, offsets)
        tasks = [(scenario.with_overrides(run={"seed": s}), current, tuple(years))
                 for s in seeds]
        model = mean_measures(list(pool.ordered(run_measures, tasks)))
        if progress is not None:
            progress(it, gap_summary(record, model, areas))
        offsets = step(offsets, areas, record, model, scale)
    return Dispositions(areas.codes, offsets)
