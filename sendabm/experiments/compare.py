"""Paired comparison of policy scenarios against a base, over replications (``sendabm compare``).

Replication ``r`` runs the base and every policy scenario with the same seed (the
base scenario's seed + r), so each policy run shares its random draws with its base
run (common random numbers, DESIGN §6): the two are identical until the policy
starts, and the difference between them is the policy's effect plus far less noise
than two independent runs would carry. Every run uses the base scenario's start,
end and scale (or ``scale`` / ``end`` if given); the policy files' own ``[run]``
settings are overridden.

**Comparison window.** From the first month in which any policy scenario can differ
from the base — the earliest start of a policy it adds to the base's (the run start
if it changes a parameter or adds no dated policy) — to the end of the run. Each run
is reduced to one number per outcome:

- flows are summed over the window (e.g. ``appeals_registered``);
- stocks are taken at the last month (e.g. ``ehc_plans``, ``cumulative_deficit_gbp``);
- means and rates are averaged over the last 12 months (or the whole window if it is
  shorter), e.g. ``adversarial_index``;
- **equity**, by family-resources quintile q1 (least) to q5 (most), from the panel
  summed over LAs: each quintile's share of EHC plans and its independent placements
  at the end, appeals registered and hearings won by the family over the window, and
  mean unmet need over the last 12 months (LA x quintile means weighted by the
  number of children with a need); plus a ``gap`` row, q5 minus q1, for each.

**Statistics** (one row per policy x outcome): base and policy means over the
replications, the mean paired difference (policy - base) with its 95% interval
(Student t, N - 1 degrees of freedom), the difference relative to the base mean, and
the share of replications in which the policy does better. "Better" is lower for
disputes, refusals, spend, deficits and unmet need; higher for trust, progress and
timeliness; nearer zero for the q5 - q1 gaps (more equal); for neutral outcomes
(plan counts, placements, equity shares) ``share_better`` is the share of
replications in which the policy is higher.

:func:`compare` runs everything (in a process pool; the results do not depend on the
number of workers) and :func:`write_comparison` writes the folder: ``comparison.csv``,
``comparison.md``, ``replications.csv`` (every run's outcomes), ``series.parquet``
(every run's series over time, :mod:`sendabm.experiments.ensemble`), ``compare.json`` and the
figures ``compare_national.png`` and ``compare_equity.png``.
"""

from __future__ import annotations

import csv
import datetime
import json
import math
import os
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import sendabm
from sendabm.core import calendar
from sendabm.core.scenario import Scenario, ScenarioError
from sendabm.experiments.results import RunOutput, _format_value, check_folder, write_folder

COMPARE_MANIFEST = "compare.json"
COMPARISON_CSV = "comparison.csv"
COMPARISON_MD = "comparison.md"
REPLICATIONS_CSV = "replications.csv"
NATIONAL_FIGURE = "compare_national.png"
EQUITY_FIGURE = "compare_equity.png"

LOWER, HIGHER, NEUTRAL, NEARER_ZERO = "lower", "higher", "neutral", "nearer_zero"
"""Directions: which way is better for an outcome (neutral: no judgement)."""

MEAN_MONTHS = 12
"""Months at the end of the run over which means and rates are averaged."""

TABLE_COLUMNS = ("policy", "outcome", "group", "direction", "base_mean", "policy_mean",
                 "diff_mean", "diff_low95", "diff_high95", "diff_pct", "share_better", "n")
"""Columns of ``comparison.csv`` and keys of each row of :attr:`Comparison.table`."""


@dataclass(frozen=True)
class Outcome:
    """One scalar outcome of a run.

    Attributes:
        name: Column-safe name, e.g. ``appeals_registered`` or ``mean_unmet_need_q1``.
        label: Plain-words label for ``comparison.md``.
        group: ``headline`` (national) or ``equity`` (by quintile).
        direction: ``lower``, ``higher``, ``neutral`` or ``nearer_zero``.
        kind: How to format it: ``count``, ``gbp``, ``share``, ``index``, ``mean``, ``las``.
        how: ``sum`` over the window, ``last`` month, or ``mean`` over the last 12 months.
    """

    name: str
    label: str
    group: str
    direction: str
    kind: str
    how: str


def _national(name: str, label: str, direction: str, kind: str, how: str) -> Outcome:
    return Outcome(name, label, "headline", direction, kind, how)


KEY_OUTCOMES = ("adversarial_index", "appeals_registered", "hearings", "ehc_plans",
                "placements_independent", "cumulative_deficit_gbp", "mean_unmet_need",
                "mean_trust_in_la", "mean_trust_in_school")
"""Headline outcomes listed first, in this order."""

NATIONAL_OUTCOMES: tuple[Outcome, ...] = (
    _national("adversarial_index", "Adversarial index (2014/15 = 100)", LOWER, "index", "mean"),
    _national("appeals_registered", "Appeals registered", LOWER, "count", "sum"),
    _national("hearings", "Tribunal hearings", LOWER, "count", "sum"),
    _national("ehc_plans", "Children with EHC plans", NEUTRAL, "count", "last"),
    _national("placements_independent", "Placed in independent schools", NEUTRAL, "count",
              "last"),
    _national("cumulative_deficit_gbp", "Cumulative high-needs deficit", LOWER, "gbp", "last"),
    _national("mean_unmet_need", "Mean unmet need", LOWER, "mean", "mean"),
    _national("mean_trust_in_la", "Mean trust in the LA", HIGHER, "mean", "mean"),
    _national("mean_trust_in_school", "Mean trust in the school", HIGHER, "mean", "mean"),
    _national("assessment_requests", "Assessment requests", NEUTRAL, "count", "sum"),
    _national("assessments_refused", "Assessments refused", LOWER, "count", "sum"),
    _national("plans_issued", "Plans issued", NEUTRAL, "count", "sum"),
    _national("share_within_20_weeks", "Plans issued within 20 weeks", HIGHER, "share", "mean"),
    _national("mediations", "Mediations", LOWER, "count", "sum"),
    _national("appeals_conceded", "Appeals conceded by the LA", LOWER, "count", "sum"),
    _national("hearings_won_by_family", "Hearings won by the family", LOWER, "count", "sum"),
    _national("appeal_rate", "Appeal rate (appeals a year per EHC plan)", LOWER, "share",
              "mean"),
    _national("high_needs_spend_gbp", "High-needs spend", LOWER, "gbp", "sum"),
    _national("las_deficit_over_reserves", "LAs with a deficit over their reserves", LOWER,
              "las", "last"),
    _national("sen_support", "Children on SEN support", NEUTRAL, "count", "last"),
    _national("placements_mainstream", "Children with plans in mainstream", NEUTRAL, "count",
              "last"),
    _national("placements_special", "Children with plans in special schools", NEUTRAL, "count",
              "last"),
    _national("mean_progress", "Mean progress", HIGHER, "mean", "mean"),
)
"""National outcomes: key outcomes first (:data:`KEY_OUTCOMES`), then the others."""

EQUITY_MEASURES: tuple[tuple[str, str, str, str, str], ...] = (
    ("ehc_plan_share", "Share of EHC plans", NEUTRAL, "share", "last"),
    ("appeals_registered", "Appeals registered", LOWER, "count", "sum"),
    ("hearings_won_by_family", "Hearings won by the family", LOWER, "count", "sum"),
    ("placements_independent", "Placed in independent schools", NEUTRAL, "count", "last"),
    ("mean_unmet_need", "Mean unmet need", LOWER, "mean", "mean"),
)
"""Equity measures: name, label, direction, kind, how (per quintile q1..q5 and gap)."""

QUINTILE_COUNTS = ("ehc_plans", "appeals_registered", "hearings_won_by_family",
                   "placements_independent", "with_need")
"""Panel counts kept from each run, summed over LAs, per quintile."""


def _equity_outcomes() -> tuple[Outcome, ...]:
    out = []
    for name, label, direction, kind, how in EQUITY_MEASURES:
        for q in range(1, 6):
            out.append(Outcome(f"{name}_q{q}", f"{label}, quintile {q}", "equity", direction,
                               kind, how))
        out.append(Outcome(f"{name}_gap", f"{label}, gap q5 − q1", "equity", NEARER_ZERO,
                           kind, how))
    return tuple(out)


OUTCOMES: tuple[Outcome, ...] = NATIONAL_OUTCOMES + _equity_outcomes()
"""Every outcome, in table order."""


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
            for ``mean_unmet_need`` the mean weighted by children with a need.
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
    means, weights = output.panel.get("mean_unmet_need"), output.panel.get("with_need")
    if means is None or weights is None:
        quintiles["mean_unmet_need"] = np.full((n_months, 5), np.nan)
    else:
        m = np.asarray(means, dtype=np.float64)[:, :, 1:]
        w = np.asarray(weights, dtype=np.float64)[:, :, 1:]
        ok = np.isfinite(m) & np.isfinite(w) & (w > 0)
        num = np.where(ok, m * np.where(ok, w, 0.0), 0.0).sum(axis=1)
        den = np.where(ok, w, 0.0).sum(axis=1)
        quintiles["mean_unmet_need"] = _divide(num, den)
    national = {k: np.asarray(v, dtype=np.float64).copy() for k, v in output.national.items()}
    return RunRecord(scenario=str(output.manifest.get("scenario_name", "")),
                     seed=int(output.manifest.get("seed", -1)), dates=list(output.dates),
                     national=national, quintiles=quintiles,
                     wall_seconds=float(output.manifest.get("wall_time_seconds", 0.0)))


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _run_one(scenario: Scenario) -> RunRecord:
    """Run one scenario (already carrying its seed) and summarise it; used by workers."""
    from sendabm.experiments.run import run_scenario

    return summarise(run_scenario(scenario, out=None, progress=False, figures=False))


@dataclass(frozen=True)
class Window:
    """The comparison window, as indices into the run's months.

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


def _scalar(series: np.ndarray, how: str, window: Window) -> float:
    """Reduce a series (T,) or (T, k) along time to a float or (k,) array."""
    if how == "sum":
        part = series[window.first:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = np.nansum(part, axis=0)
            return np.where(np.all(np.isnan(part), axis=0), np.nan, out)
    if how == "last":
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
        values[outcome.name] = float(_scalar(series, outcome.how, window))
    for name, _label, _direction, _kind, how in EQUITY_MEASURES:
        if name == "ehc_plan_share":
            plans = record.quintiles["ehc_plans"][-1]
            total = np.sum(plans)
            by_q = plans / total if total > 0 else np.full(5, np.nan)
        else:
            by_q = np.asarray(_scalar(record.quintiles[name], how, window), dtype=np.float64)
        for q in range(5):
            values[f"{name}_q{q + 1}"] = float(by_q[q])
        values[f"{name}_gap"] = float(by_q[4] - by_q[0])
    return values


# --------------------------------------------------------------------------- statistics


_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
"""Two-sided 95% Student t quantiles for 1..30 degrees of freedom (fallback table)."""


def t_quantile(df: int) -> float:
    """The 97.5th percentile of Student's t with ``df`` degrees of freedom (NaN if df < 1)."""
    if df < 1:
        return math.nan
    try:
        from scipy.stats import t as student_t
    except ImportError:  # pragma: no cover - scipy comes with mesa
        if df <= len(_T975):
            return _T975[df - 1]
        return 1.959964 + 2.4 / df  # close to the exact value beyond 30 df
    return float(student_t.ppf(0.975, df))


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t interval of the mean of ``values`` (NaNs dropped)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, math.nan, math.nan
    half = t_quantile(values.size - 1) * float(values.std(ddof=1)) / math.sqrt(values.size)
    return mean, mean - half, mean + half


def paired_row(policy: str, outcome: Outcome, base: np.ndarray,
               treated: np.ndarray) -> dict[str, Any]:
    """The table row of one policy x outcome from paired per-replication values."""
    base = np.asarray(base, dtype=np.float64)
    treated = np.asarray(treated, dtype=np.float64)
    ok = np.isfinite(base) & np.isfinite(treated)
    n = int(ok.sum())
    b, p = base[ok], treated[ok]
    diff = p - b
    diff_mean, low, high = mean_interval(diff)
    base_mean = float(b.mean()) if n else math.nan
    policy_mean = float(p.mean()) if n else math.nan
    pct = 100.0 * diff_mean / abs(base_mean) if n and base_mean != 0 else math.nan
    if n == 0:
        better = math.nan
    elif outcome.direction == LOWER:
        better = float(np.mean(diff < 0))
    elif outcome.direction == HIGHER:
        better = float(np.mean(diff > 0))
    elif outcome.direction == NEARER_ZERO:
        better = float(np.mean(np.abs(p) < np.abs(b)))
    else:
        better = float(np.mean(diff > 0))
    return {"policy": policy, "outcome": outcome.name, "group": outcome.group,
            "direction": outcome.direction, "base_mean": base_mean, "policy_mean": policy_mean,
            "diff_mean": diff_mean, "diff_low95": low, "diff_high95": high, "diff_pct": pct,
            "share_better": better, "n": n}


# --------------------------------------------------------------------------- comparison


@dataclass(eq=False)
class Comparison:
    """A finished comparison.

    Attributes:
        base: Name of the base scenario.
        policies: Names of the policy scenarios, in the order given.
        scenarios: The scenarios as given (before the seed, scale and end overrides),
            base first, by name.
        seeds: The seed of each replication.
        scale: Share of England simulated.
        start: First month of every run, 'YYYY-MM'.
        end: Last month of every run, 'YYYY-MM'.
        window: The comparison window.
        dates: First day of each month of the runs.
        values: Scenario name -> outcome name -> array (n_seeds,) of per-run values.
        series: Scenario name -> national measure -> array (n_seeds, T).
        quintiles: Scenario name -> measure -> array (n_seeds, T, 5).
        table: One dict per policy x outcome with the keys of :data:`TABLE_COLUMNS`.
        policy_starts: Policy name -> first month it can differ from the base.
        wall_time_seconds: Wall time of all the runs.
        workers: Worker processes used (results do not depend on it).
    """

    base: str
    policies: list[str]
    scenarios: dict[str, Scenario]
    seeds: list[int]
    scale: float
    start: str
    end: str
    window: Window
    dates: list[datetime.date]
    values: dict[str, dict[str, np.ndarray]]
    series: dict[str, dict[str, np.ndarray]]
    quintiles: dict[str, dict[str, np.ndarray]]
    table: list[dict[str, Any]]
    policy_starts: dict[str, str] = field(default_factory=dict)
    wall_time_seconds: float = 0.0
    workers: int = 1

    def rows(self, policy: str, group: str | None = None) -> list[dict[str, Any]]:
        """The table rows of one policy (optionally of one group), in table order."""
        return [r for r in self.table
                if r["policy"] == policy and (group is None or r["group"] == group)]


def divergence_start(base: Scenario, policy: Scenario) -> str:
    """First month in which ``policy`` can differ from ``base`` ('YYYY-MM').

    The run start if the two differ in any parameter (or in nothing dated), else the
    earliest start of the policies ``policy`` has and ``base`` does not.
    """
    start = policy.run["start"]
    if policy.parameters != base.parameters:
        return start
    base_policies = [dict(p) for p in base.policies]
    added = [p for p in policy.policies if dict(p) not in base_policies]
    removed = [p for p in base.policies if dict(p) not in [dict(q) for q in policy.policies]]
    starts = [str(p["start"]) for p in added + removed]
    return max(start, min(starts)) if starts else start


def _default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def plan_runs(base: Scenario, policies: Sequence[Scenario], seeds: int,
              scale: float | None = None, end: str | None = None,
              ) -> tuple[list[Scenario], list[int], Window, dict[str, str]]:
    """Validate a comparison and build its run list, without running anything.

    Returns:
        The scenarios with the shared run settings (seed left at the first seed),
        the seeds, the window and each policy's first month of difference.

    Raises:
        ScenarioError: One line naming the problem (no policies, seeds < 1, duplicate
            scenario names, an invalid scale or end, a policy starting after the end).
    """
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ScenarioError(f"--seeds must be a whole number of at least 1, got {seeds!r}")
    if not policies:
        raise ScenarioError("give at least one policy scenario to compare with the base")
    names = [base.name, *(p.name for p in policies)]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise ScenarioError(
            f"two scenarios are both named '{duplicate}'; give each scenario file a "
            "different [scenario] name")
    run = {"start": base.run["start"], "end": end or base.run["end"],
           "scale": base.run["scale"] if scale is None else scale, "seed": base.run["seed"]}
    shared = [s.with_overrides(run=run) for s in (base, *policies)]
    seed_list = [int(base.run["seed"]) + r for r in range(int(seeds))]
    starts = {p.name: divergence_start(shared[0], p) for p in shared[1:]}
    first = min(starts.values())
    last = run["end"]
    if first > last:
        raise ScenarioError(
            f"the policies start in {first}, after the runs end in {last}; give a later "
            "--end")
    n_months = calendar.tick_of(last) - calendar.tick_of(run["start"]) + 1
    first_index = calendar.tick_of(first) - calendar.tick_of(run["start"])
    months = n_months - first_index
    window = Window(start=first, end=last, first=first_index, months=months,
                    mean_months=min(MEAN_MONTHS, months))
    return shared, seed_list, window, starts


def compare(base: Scenario, policies: list[Scenario], seeds: int, scale: float | None = None,
            end: str | None = None, workers: int | None = None,
            progress: bool = False) -> Comparison:
    """Run the base and each policy scenario over ``seeds`` paired replications.

    Args:
        base: The base scenario.
        policies: One or more policy scenarios (names must differ from each other and
            from the base).
        seeds: Number of replications N; replication r uses seed base seed + r for every
            scenario (common random numbers).
        scale: Share of England to simulate; default the base scenario's.
        end: Last month, 'YYYY-MM'; default the base scenario's.
        workers: Worker processes (default: all cores; 1 runs in this process). The
            results are identical for any number.
        progress: Show a progress bar (runs done / total) on stderr.

    Returns:
        The :class:`Comparison`.

    Raises:
        ScenarioError: Invalid input (checked before anything runs).
    """
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ScenarioError(f"--workers must be at least 1, got {workers!r}")
    shared, seed_list, window, starts = plan_runs(base, policies, seeds, scale, end)
    jobs = [(i, j, s.with_overrides(run={"seed": seed}))
            for i, s in enumerate(shared) for j, seed in enumerate(seed_list)]
    n_workers = min(workers or _default_workers(), len(jobs))
    started = time.perf_counter()
    records = _execute(jobs, n_workers, progress)
    wall = time.perf_counter() - started

    names = [s.name for s in shared]
    dates = records[0][0].dates
    values: dict[str, dict[str, np.ndarray]] = {}
    series: dict[str, dict[str, np.ndarray]] = {}
    quintiles: dict[str, dict[str, np.ndarray]] = {}
    for i, name in enumerate(names):
        runs = records[i]
        per_run = [outcome_values(r, window) for r in runs]
        values[name] = {o.name: np.array([v[o.name] for v in per_run]) for o in OUTCOMES}
        measures = list(dict.fromkeys(k for r in runs for k in r.national))
        series[name] = {k: np.stack([r.national.get(k, np.full(len(dates), np.nan))
                                     for r in runs]) for k in measures}
        quintiles[name] = {k: np.stack([r.quintiles[k] for r in runs])
                           for k in runs[0].quintiles}
    table = [paired_row(p, o, values[names[0]][o.name], values[p][o.name])
             for p in names[1:] for o in OUTCOMES]
    given = {s.name: s for s in (base, *policies)}
    return Comparison(base=names[0], policies=names[1:], scenarios=given, seeds=seed_list,
                      scale=float(shared[0].run["scale"]), start=shared[0].run["start"],
                      end=shared[0].run["end"], window=window, dates=dates, values=values,
                      series=series, quintiles=quintiles, table=table, policy_starts=starts,
                      wall_time_seconds=round(wall, 3), workers=n_workers)


def _execute(jobs: list[tuple[int, int, Scenario]], n_workers: int,
             progress: bool) -> list[list[RunRecord]]:
    """Run every job; return records indexed [scenario][seed], whatever the finishing order."""
    n_scen = 1 + max(i for i, _, _ in jobs)
    n_seeds = 1 + max(j for _, j, _ in jobs)
    slots: list[list[RunRecord | None]] = [[None] * n_seeds for _ in range(n_scen)]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), unit="run", desc="compare", dynamic_ncols=True)
    try:
        if n_workers <= 1:
            for i, j, scenario in jobs:
                slots[i][j] = _run_one(scenario)
                if bar is not None:
                    bar.update(1)
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            from sendabm.experiments.workers import start_worker

            threads = max(1, _default_workers() // n_workers)
            # 'spawn': numba's thread pool is not safe to fork once it has started.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=n_workers, mp_context=context,
                                     initializer=start_worker,
                                     initargs=(threads, os.getpid())) as pool:
                futures = {pool.submit(_run_one, s): (i, j) for i, j, s in jobs}
                try:
                    for future in as_completed(futures):
                        i, j = futures[future]
                        slots[i][j] = future.result()
                        if bar is not None:
                            bar.update(1)
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
    finally:
        if bar is not None:
            bar.close()
    return [[r for r in row if r is not None] for row in slots]


# --------------------------------------------------------------------------- writing


def default_out_dir(base: str, policies: Sequence[str]) -> Path:
    """``results/compare-<base>-vs-<policy>[-<policy>...]`` with unsafe characters replaced."""
    def safe(name: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.+-]+", "_", name).strip("._") or "scenario"

    return Path("results") / f"compare-{safe(base)}-vs-{'-'.join(safe(p) for p in policies)}"


def check_compare_out_dir(out_dir: Path) -> None:
    """Raise :class:`ResultsError` unless ``out_dir`` is absent, empty or a comparison folder.

    Called before any run starts, so a bad ``--out`` fails at once, and again before
    writing.
    """
    check_folder(out_dir, COMPARE_MANIFEST, "comparison")


def write_comparison(comparison: Comparison, out_dir: str | os.PathLike,
                     figures: bool = True) -> Path:
    """Write a comparison folder atomically (temporary sibling folder, then rename).

    Args:
        comparison: The finished comparison.
        out_dir: Folder to create; it may be absent, empty, or hold an earlier comparison
            (replaced only once the new folder is complete).
        figures: Also draw ``compare_national.png`` and ``compare_equity.png``.

    Returns:
        ``out_dir`` as a Path.

    Raises:
        ResultsError: ``out_dir`` holds something else (nothing is written).
    """
    return write_folder(Path(out_dir), check_compare_out_dir,
                        lambda folder: _write_files(comparison, folder, figures))


def _write_files(comparison: Comparison, folder: Path, figures: bool) -> None:
    from sendabm.experiments.ensemble import SERIES, write_series

    files = [COMPARISON_CSV, COMPARISON_MD, REPLICATIONS_CSV, SERIES]
    write_table_csv(comparison, folder / COMPARISON_CSV)
    (folder / COMPARISON_MD).write_text(comparison_markdown(comparison), encoding="utf-8")
    write_replications_csv(comparison, folder / REPLICATIONS_CSV)
    write_series(ensemble_of(comparison), folder / SERIES)
    if figures:
        national_figure(comparison, folder / NATIONAL_FIGURE)
        equity_figure(comparison, folder / EQUITY_FIGURE)
        files += [NATIONAL_FIGURE, EQUITY_FIGURE]
    files.append(COMPARE_MANIFEST)
    text = json.dumps(comparison_manifest(comparison, files), indent=2, sort_keys=True)
    (folder / COMPARE_MANIFEST).write_text(text + "\n", encoding="utf-8")


def ensemble_of(comparison: Comparison) -> Any:
    """Every run's series as an :class:`~sendabm.experiments.ensemble.Ensemble`
    (for ``series.parquet``)."""
    from sendabm.experiments.ensemble import Ensemble

    names = [comparison.base, *comparison.policies]
    return Ensemble(scenarios=names, seeds=list(comparison.seeds), dates=list(comparison.dates),
                    national={n: comparison.series[n] for n in names},
                    quintiles={n: comparison.quintiles[n] for n in names})


def comparison_manifest(comparison: Comparison, files: list[str]) -> dict[str, Any]:
    """The JSON-able content of ``compare.json``."""
    from sendabm.experiments.run import git_commit

    def describe(name: str) -> dict[str, Any]:
        scen = comparison.scenarios[name]
        return {"name": name, "hash": scen.hash(),
                "path": None if scen.path is None else str(scen.path),
                "policies": [dict(p) for p in scen.policies]}

    window = comparison.window
    return {
        "package": "sendabm",
        "version": sendabm.__version__,
        "git_commit": git_commit(),
        "kind": "comparison",
        "base": describe(comparison.base),
        "policies": [{**describe(p), "differs_from": comparison.policy_starts.get(p)}
                     for p in comparison.policies],
        "seeds": list(comparison.seeds),
        "scale": comparison.scale,
        "start": comparison.start,
        "end": comparison.end,
        "window": {"start": window.start, "end": window.end, "months": window.months,
                   "mean_months": window.mean_months},
        "runs": (1 + len(comparison.policies)) * len(comparison.seeds),
        "workers": comparison.workers,
        "wall_time_seconds": comparison.wall_time_seconds,
        "outcomes": [o.name for o in OUTCOMES],
        "files": files,
    }


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return _format_value(value)
    return str(value)


def write_table_csv(comparison: Comparison, path: Path) -> None:
    """Write ``comparison.csv``: one tidy row per policy x outcome (:data:`TABLE_COLUMNS`)."""
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(TABLE_COLUMNS)
        for row in comparison.table:
            writer.writerow([_cell(row[k]) for k in TABLE_COLUMNS])


def write_replications_csv(comparison: Comparison, path: Path) -> None:
    """Write ``replications.csv``: ``scenario, seed, outcome, value`` for every run."""
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["scenario", "seed", "outcome", "value"])
        for name in [comparison.base, *comparison.policies]:
            for o in OUTCOMES:
                for seed, value in zip(comparison.seeds, comparison.values[name][o.name],
                                       strict=True):
                    writer.writerow([name, seed, o.name, _cell(float(value))])


# --------------------------------------------------------------------------- markdown

_BY_NAME = {o.name: o for o in OUTCOMES}
_DIRECTION_WORDS = {LOWER: "lower", HIGHER: "higher", NEARER_ZERO: "nearer 0", NEUTRAL: "—"}


def format_value(value: float, kind: str, signed: bool = False, decimals: int | None = None,
                 magnitude: float | None = None) -> str:
    """Format a number for ``comparison.md``: thousands separators, £bn/£m, %, decimals.

    Args:
        value: The number.
        kind: ``count``, ``gbp``, ``share``, ``index``, ``las`` or ``mean``.
        signed: Show '+' on positive numbers; shares become percentage points.
        decimals: Decimals for ``mean`` (default 3).
        magnitude: For money, choose £bn or £m from this size instead of ``value``'s
            (so the numbers of one interval share a unit).
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    if kind == "gbp":
        size = abs(value) if magnitude is None else magnitude
        if size >= 1e9 or size == 0:
            return f"{sign}£{value / 1e9:,.2f}bn".replace("£-", "-£")
        return f"{sign}£{value / 1e6:,.1f}m".replace("£-", "-£")
    if kind == "share":
        text = f"{sign}{100 * value:,.2f}"
        return text + (" pp" if signed else "%")
    if kind == "count":
        return f"{sign}{value:,.0f}"
    if kind in ("index", "las"):
        return f"{sign}{value:,.1f}"
    return f"{sign}{value:,.{3 if decimals is None else decimals}f}"


def _decimals(*values: float) -> int:
    """Decimals that show small mean differences with two significant digits (3 to 6)."""
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
    if not finite:
        return 3
    return min(6, max(3, 1 - math.floor(math.log10(max(finite)))))


def _interval(row: dict[str, Any], kind: str) -> str:
    values = (row["diff_mean"], row["diff_low95"], row["diff_high95"])
    if all(v == 0 for v in values):
        return "0 (identical)"
    decimals = _decimals(*values)
    size = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    diff = format_value(row["diff_mean"], kind, signed=True, decimals=decimals, magnitude=size)
    if not (math.isfinite(row["diff_low95"]) and math.isfinite(row["diff_high95"])):
        return diff
    low = format_value(row["diff_low95"], kind, signed=True, decimals=decimals, magnitude=size)
    high = format_value(row["diff_high95"], kind, signed=True, decimals=decimals,
                        magnitude=size)
    return f"{diff} ({low} to {high})"


def _pct(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return "0.0%" if round(value, 1) == 0 else f"{value:+,.1f}%"


def _better(row: dict[str, Any]) -> str:
    share = row["share_better"]
    if not math.isfinite(share):
        return "n/a"
    if row["direction"] == NEUTRAL:
        return f"higher in {100 * share:.0f}%"
    return f"{100 * share:.0f}%"


def _table(rows: list[dict[str, Any]], base: str, policy: str) -> list[str]:
    lines = [f"| Outcome | {base} | {policy} | Difference (95% CI) | Change | Better is "
             "| Policy better in |",
             "|---|---:|---:|---:|---:|:---:|---:|"]
    for row in rows:
        o = _BY_NAME[row["outcome"]]
        lines.append(
            f"| {o.label} | {format_value(row['base_mean'], o.kind)} "
            f"| {format_value(row['policy_mean'], o.kind)} | {_interval(row, o.kind)} "
            f"| {_pct(row['diff_pct'])} | {_DIRECTION_WORDS[o.direction]} | {_better(row)} |")
    return lines


def _month_label(month: str, back: int = 0) -> str:
    """'2015-03' -> 'Mar 2015' (``back`` months earlier)."""
    return f"{calendar.date_of(calendar.tick_of(month) - back):%b %Y}"


def _window_text(comparison: Comparison) -> str:
    w = comparison.window
    first, last = _month_label(w.start), _month_label(w.end)
    mean_first = _month_label(w.end, back=w.mean_months - 1)
    return (f"{first} to {last} ({w.months} months): flows are summed over it, "
            f"stocks taken at {last}, means and rates averaged over {mean_first} to {last}")


def comparison_markdown(comparison: Comparison) -> str:
    """The readable report ``comparison.md``: one set of tables per policy."""
    c = comparison
    n = len(c.seeds)
    seeds = f"{c.seeds[0]}" if n == 1 else f"{c.seeds[0]} to {c.seeds[-1]}"
    lines = [
        f"# Comparison: {', '.join(c.policies)} vs {c.base}",
        "",
        f"- **Replications:** {n} paired runs per scenario (seeds {seeds}); each policy run "
        "uses the same seed, and so the same random draws, as its base run.",
        f"- **Runs:** {c.start} to {c.end} at scale {c.scale:g}; counts and money at England "
        "scale.",
        f"- **Window:** {_window_text(c)}.",
        "- **Difference** is policy − base, averaged over the replications, with a 95% "
        f"Student t interval ({n - 1} df). **Change** is relative to the base mean. "
        "**Policy better in** is the share of replications in which the policy does better "
        "(for outcomes with no better direction, the share in which it is higher).",
        "",
    ]
    for policy in c.policies:
        rows = c.rows(policy, "headline")
        key = [r for r in rows if r["outcome"] in KEY_OUTCOMES]
        other = [r for r in rows if r["outcome"] not in KEY_OUTCOMES]
        start = c.policy_starts.get(policy, c.window.start)
        lines += [f"## {policy} vs {c.base}", "", f"The policy differs from the base from {start}.",
                  "", "### Key outcomes", "", *_table(key, c.base, policy), "",
                  "### Other outcomes", "", *_table(other, c.base, policy), "",
                  "### Equity by family-resources quintile (1 = least, 5 = most)", "",
                  *_table(c.rows(policy, "equity"), c.base, policy), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- figures

NATIONAL_PANELS: tuple[tuple[str, str, str], ...] = (
    ("ehc_plans", "Children with EHC plans", "count"),
    ("appeals_registered", "Appeals registered", "flow"),
    ("adversarial_index", "Adversarial index (2014/15 = 100)", "index"),
    ("cumulative_deficit_gbp", "Cumulative high-needs deficit (£bn)", "gbp"),
    ("placements_independent", "Children placed in independent schools", "count"),
    ("mean_unmet_need", "Mean unmet need (need units)", "mean"),
)
"""National measure, panel title and kind of each panel of ``compare_national.png``."""

EQUITY_PANELS: tuple[tuple[str, str], ...] = (
    ("ehc_plan_share", "Share of EHC plans (%), {last}"),
    ("appeals_registered", "Appeals registered, {first} to {last}"),
    ("placements_independent", "Placed in independent schools, {last}"),
    ("mean_unmet_need", "Mean unmet need, mean of {mean_first} to {last}"),
)
"""Equity measure and panel title (filled with the window's months) of ``compare_equity.png``."""

BAND = (5.0, 95.0)
"""Percentiles over replications shaded around the median in ``compare_national.png``."""


def scenario_colours(comparison: Comparison) -> dict[str, str]:
    """Base in grey, policies in Okabe–Ito colours (the figures' palette)."""
    from sendabm.presentation.style import OKABE_ITO

    cycle = [OKABE_ITO[k] for k in ("vermillion", "blue", "green", "orange", "purple", "sky")]
    colours = {comparison.base: "#5a5a5a"}
    for k, name in enumerate(comparison.policies):
        colours[name] = cycle[k % len(cycle)]
    return colours


def _title(comparison: Comparison, what: str, width: int, dates: bool = True) -> str:
    """Figure title in the house style of :mod:`sendabm.presentation.figures`, wrapped
    at ``width``."""
    c = comparison
    n = len(c.seeds)
    parts = [f"{what}: {', '.join(c.policies)} vs {c.base}",
             f"{n} paired replication{'s' if n != 1 else ''}", f"scale {c.scale:g}"]
    if dates:
        parts.append(f"{c.dates[0]:%b %Y} to {c.dates[-1]:%b %Y}")
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 5 + len(part) > width:
            lines.append(part)
        else:
            lines[-1] += "  ·  " + part
    return "\n".join(lines)


def _legend_columns(n: int) -> int:
    return n if n <= 5 else math.ceil(n / 2)


def _money_formatter() -> Any:
    """Tick labels like '£1.5' and '-£0.2' (sign before the pound sign)."""
    from sendabm.presentation.style import MoneyFormatter

    return MoneyFormatter()


def _diverges_from(base: np.ndarray, runs: np.ndarray) -> int:
    """First month index at which ``runs`` differs from ``base`` in any replication."""
    same = np.all((base == runs) | (np.isnan(base) & np.isnan(runs)), axis=0)
    differ = np.flatnonzero(~same)
    return int(differ[0]) if differ.size else runs.shape[1]


def national_figure(comparison: Comparison, path: Path) -> Path:
    """Key national series: median and 5–95% band over replications, per scenario.

    A policy's line and band start where it first differs from the base (before
    that, common random numbers make the two identical), so the base's history is
    drawn once and each policy branches off it.
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from sendabm.presentation import style as figs

    c = comparison
    x = np.array(c.dates, dtype="datetime64[D]")
    colours = scenario_colours(c)
    run_start = calendar.tick_of(c.start)
    starts = {p: m for p, m in c.policy_starts.items() if calendar.tick_of(m) > run_start}
    one_start = len(set(starts.values())) == 1
    start_lines = {(np.datetime64(calendar.date_of(calendar.tick_of(m)), "D"),
                    figs.MUTED if one_start else colours[p]) for p, m in starts.items()}
    yearly = len(c.dates) >= 2 * MEAN_MONTHS
    with mpl.rc_context(figs.STYLE), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = Figure(figsize=(13.0, 7.2), dpi=figs.DPI, layout="constrained")
        axes = fig.subplots(2, 3, sharex=True)
        figs.setup_time_axis(axes[0, 0], x)
        for ax, (name, title, kind) in zip(axes.flat, NATIONAL_PANELS, strict=True):
            if kind == "flow":
                title += " (12 months to date)" if yearly else " (per month)"
            ax.set_title(title)
            drawn: list[np.ndarray] = []
            base_runs: np.ndarray | None = None
            for scen in [c.base, *c.policies]:
                runs = c.series[scen].get(name)
                if runs is None or not np.isfinite(runs).any():
                    continue
                runs = np.asarray(runs, dtype=np.float64)
                if kind == "flow" and yearly:
                    runs = np.stack([figs.rolling_sum(r) for r in runs])
                if kind == "gbp":
                    runs = runs / 1e9
                first = 0
                if scen == c.base:
                    base_runs = runs
                elif base_runs is not None:
                    first = max(0, _diverges_from(base_runs, runs) - 1)
                low, mid, high = np.nanpercentile(runs[:, first:], [BAND[0], 50.0, BAND[1]],
                                                  axis=0)
                ax.fill_between(x[first:], low, high, color=colours[scen], alpha=0.18,
                                linewidth=0)
                ax.plot(x[first:], mid, color=colours[scen], linewidth=1.8)
                drawn.append(runs)
            if not drawn:
                figs.not_available(ax)
                continue
            for when, colour in sorted(start_lines):
                ax.axvline(when, color=colour, linestyle=(0, (4, 3)), linewidth=0.9, zorder=1)
            figs.floor_at_zero(ax, *[d.ravel() for d in drawn])
            ax.yaxis.set_major_formatter(_money_formatter() if kind == "gbp"
                                         else figs.ThousandsFormatter())
        handles: list[Any] = [Line2D([], [], color=colours[s], linewidth=2.0,
                                     label=f"{s} (base)" if s == c.base else s)
                              for s in [c.base, *c.policies]]
        handles.append(Patch(facecolor="#8a8a8a", alpha=0.3,
                             label=f"{BAND[0]:g}–{BAND[1]:g}th percentile over replications "
                                   "(lines: median)"))
        if starts:
            label = (f"policy starts ({next(iter(starts.values()))})" if one_start
                     else "policy starts (dashed, in the policy's colour)")
            handles.append(Line2D([], [], color=figs.MUTED, linestyle=(0, (4, 3)),
                                  linewidth=0.9, label=label))
        fig.legend(handles=handles, loc="outside lower center",
                   ncols=_legend_columns(len(handles)))
        fig.suptitle(_title(c, "sendabm compare", width=130), x=0.01, ha="left", fontsize=12,
                     fontweight="bold")
        fig.get_layout_engine().set(w_pad=0.08, h_pad=0.08, wspace=0.04, hspace=0.06)
        return figs.save(fig, path)


def equity_figure(comparison: Comparison, path: Path) -> Path:
    """Equity measures by quintile: mean over replications, 95% interval of the mean."""
    import matplotlib as mpl
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from sendabm.presentation import style as figs

    c = comparison
    colours = scenario_colours(c)
    names = [c.base, *c.policies]
    width = 0.8 / len(names)
    quintiles = np.arange(1, 6)
    w = c.window
    months = {"first": _month_label(w.start), "last": _month_label(w.end),
              "mean_first": _month_label(w.end, back=w.mean_months - 1)}
    with mpl.rc_context(figs.STYLE):
        fig = Figure(figsize=(11.0, 7.4), dpi=figs.DPI, layout="constrained")
        axes = fig.subplots(2, 2)
        for ax, (measure, title) in zip(axes.flat, EQUITY_PANELS, strict=True):
            ax.set_title(title.format(**months))
            factor = 100.0 if measure == "ehc_plan_share" else 1.0
            tops = []
            for k, scen in enumerate(names):
                stats = [mean_interval(c.values[scen][f"{measure}_q{q}"] * factor)
                         for q in quintiles]
                mean = np.array([s[0] for s in stats])
                low = np.array([s[1] for s in stats])
                high = np.array([s[2] for s in stats])
                err = np.vstack([np.where(np.isfinite(low), mean - low, 0.0),
                                 np.where(np.isfinite(high), high - mean, 0.0)])
                offset = (k - (len(names) - 1) / 2) * width
                ax.bar(quintiles + offset, np.nan_to_num(mean), width=width * 0.92,
                       color=colours[scen], alpha=0.9 if scen != c.base else 0.75,
                       yerr=err, error_kw={"elinewidth": 0.9, "capsize": 2.0,
                                           "ecolor": figs.INK})
                tops.append(np.nan_to_num(mean + err[1]))
                for q, value in zip(quintiles, mean, strict=True):
                    if value == 0:  # label empty bars so they do not look missing
                        ax.annotate("0", (q + offset, 0), xytext=(0, 2),
                                    textcoords="offset points", ha="center", va="bottom",
                                    fontsize=7, color=colours[scen])
            if not np.any(np.concatenate(tops) > 0):
                ax.set_ylim(0, 1)
            elif all(np.all(np.nan_to_num(c.values[s][f"{measure}_q{q}"]) >= 0)
                     for s in names for q in quintiles):
                ax.set_ylim(bottom=0)  # intervals below zero are cut at the axis
            ax.set_xticks(quintiles, ["1\nleast", "2", "3", "4", "5\nmost"])
            ax.set_xlim(0.45, 5.55)
            ax.grid(axis="x", visible=False)
            ax.yaxis.set_major_formatter(figs.ThousandsFormatter())
        for ax in axes[1]:
            ax.set_xlabel("Family-resources quintile", color=figs.MUTED)
        handles = [Patch(facecolor=colours[s], label=f"{s} (base)" if s == c.base else s)
                   for s in names]
        fig.legend(handles=handles, loc="outside lower center",
                   ncols=_legend_columns(len(handles)),
                   title="Bars: mean over replications; whiskers: 95% interval of the mean")
        fig.suptitle(_title(c, "By family resources", width=110, dates=False), x=0.01,
                     ha="left", fontsize=12, fontweight="bold")
        return figs.save(fig, path)
