"""Paired comparison of policy scenarios against a base, over replications (``sendabm compare``).

Replication ``r`` runs the base and every policy scenario with the same seed (the
base scenario's seed + r), so each policy run shares its random draws with its base
run (common random numbers, ODD §4.9): the two are identical until the policy
starts, and the difference between them is the policy's effect plus far less noise
than two independent runs would carry. Every run uses the base scenario's start and
scale and the latest end among the scenarios (or ``scale`` / ``end`` if given), so a
policy file that runs to 2030 is compared to 2030 and the base runs on with it; the
files' other ``[run]`` settings are overridden.

**Comparison window.** From the first month in which any policy scenario can differ
from the base — the earliest start of a policy it adds to the base's (the run start
if it changes a parameter or adds no dated policy) — to the end of the run. Each run
is reduced to its outcomes over the window (:mod:`sendabm.experiments.outcomes`), and
each policy x outcome to a row of paired statistics (:mod:`sendabm.experiments.paired`).

:func:`compare` runs everything (in a process pool; the results do not depend on the
number of workers); :mod:`sendabm.experiments.compare_folder` writes the folder.

**Forking.** Before the window every scenario of a replication simulates the same
months, so by default each seed's past runs once, to the window's first month
(:func:`fork_month`), is saved as a snapshot (:mod:`sendabm.core.snapshot`, in a
temporary folder the workers read), and every scenario continues from it. The results
are identical bit for bit to running each from the start (``fork=False``).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sendabm.core.rng import SEED_MAX
from sendabm.core.scenario import Scenario, ScenarioError, load_scenario
from sendabm.core.snapshot import Snapshot
from sendabm.experiments.outcomes import (
    OUTCOMES,
    RunRecord,
    Window,
    outcome_values,
    summarise,
)
from sendabm.experiments.paired import paired_row
from sendabm.experiments.pool import WorkerPool, available_cores
from sendabm.experiments.run import compile_note, run_past, run_scenario
from sendabm.experiments.snapshots import load_snapshot, save_snapshot

MAX_SEEDS = 10_000
"""Most paired replications a comparison may have (every run's record is kept in memory)."""


def _run_one(scenario: Scenario) -> RunRecord:
    """Run one scenario (already carrying its seed) and summarise it; used by workers."""
    return summarise(run_scenario(scenario, out=None, progress=False, figures=False))


def _save_past(task: tuple[Scenario, str, str]) -> str:
    """Run a scenario's past to the fork month and save its snapshot; used by workers.

    Args:
        task: (scenario carrying its seed, fork month 'YYYY-MM', snapshot folder).
    """
    scenario, month, folder = task
    save_snapshot(run_past(scenario, month), folder, durable=False)
    return folder


_LOADED: dict[str, Snapshot] = {}
"""The snapshot a worker read last, by folder (arms of one seed run one after another)."""


def _run_forked(task: tuple[Scenario, str]) -> RunRecord:
    """Continue one scenario (carrying its seed) from the snapshot folder of its seed's
    past, and summarise it; used by workers."""
    scenario, folder = task
    if folder not in _LOADED:
        _LOADED.clear()
        _LOADED[folder] = load_snapshot(folder)
    return summarise(run_scenario(scenario, snapshot=_LOADED[folder]))


def fork_month(shared: Sequence[Scenario], starts: dict[str, str]) -> str | None:
    """The month a comparison's runs can fork from one shared past per seed: the
    earliest month any policy scenario differs from the base, or None if that is the
    run start (nothing is shared)."""
    first = min(starts.values())
    return first if first > shared[0].run["start"] else None


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
        table: One dict per policy x outcome with the keys of
            :data:`~sendabm.experiments.paired.TABLE_COLUMNS`.
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


def shared_end(scenarios: Sequence[Scenario]) -> str:
    """The last month every run of a comparison simulates: the latest of the scenarios'
    ends ('YYYY-MM'), so no scenario is cut short of the end its file asks for."""
    return max(str(s.run["end"]) for s in scenarios)


def plan_runs(base: Scenario, policies: Sequence[Scenario], seeds: int,
              scale: float | None = None, end: str | None = None,
              ) -> tuple[list[Scenario], list[int], Window, dict[str, str]]:
    """Validate a comparison and build its run list, without running anything.

    Every run starts at the base's start, at ``scale`` (default the base's) and ends at
    ``end`` (default :func:`shared_end`).

    Returns:
        The scenarios with the shared run settings (seed left at the first seed),
        the seeds, the window and each policy's first month of difference.

    Raises:
        ScenarioError: One line naming the problem (no policies, seeds < 1, duplicate
            scenario names, an invalid scale or end, a policy starting after the end).
    """
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ScenarioError(f"--seeds must be a whole number of at least 1, got {seeds!r}")
    if seeds > MAX_SEEDS:
        raise ScenarioError(f"--seeds {seeds} is more than the {MAX_SEEDS:,} replications a "
                            "comparison may have; give fewer --seeds")
    if not policies:
        raise ScenarioError("give at least one policy scenario to compare with the base")
    names = [base.name, *(p.name for p in policies)]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise ScenarioError(
            f"two scenarios are both named '{duplicate}'; give each scenario file a "
            "different [scenario] name")
    run = {"start": base.run["start"], "end": shared_end([base, *policies]) if end is None else end,
           "scale": base.run["scale"] if scale is None else scale, "seed": base.run["seed"]}
    shared = [s.with_overrides(run=run) for s in (base, *policies)]
    seed_list = [int(base.run["seed"]) + r for r in range(int(seeds))]
    if seed_list[-1] > SEED_MAX:
        raise ScenarioError(
            f"the last replication's seed {seed_list[-1]} (base seed + {int(seeds) - 1}) is "
            "above 2**64 - 1; give a smaller [run] seed or fewer --seeds")
    # with_overrides has checked that every policy starts within the runs
    starts = {p.name: divergence_start(shared[0], p) for p in shared[1:]}
    window = Window.of(run["start"], min(starts.values()), run["end"])
    return shared, seed_list, window, starts


ScenarioLike = Scenario | str | os.PathLike
"""A scenario, or the path of its TOML file."""


def _scenario(scenario: ScenarioLike) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def compare(base: ScenarioLike, policies: Sequence[ScenarioLike], seeds: int,
            scale: float | None = None, end: str | None = None, workers: int | None = None,
            progress: bool = False, fork: bool = True) -> Comparison:
    """Run the base and each policy scenario over ``seeds`` paired replications.

    With more than one worker, the workers are spawned processes that import the
    calling script again, so a script calling this at its top level must do so under
    ``if __name__ == "__main__":`` (or pass ``workers=1``); see
    :class:`~sendabm.experiments.pool.WorkerPool`.

    Args:
        base: The base scenario, or its TOML file.
        policies: One or more policy scenarios or their files (names must differ from
            each other and from the base).
        seeds: Number of replications N; replication r uses seed base seed + r for every
            scenario (common random numbers).
        scale: Share of England to simulate; default the base scenario's.
        end: Last month, 'YYYY-MM'; default the latest end among the scenarios.
        workers: Worker processes (default: all cores; 1 runs in this process). The
            results are identical for any number.
        progress: Show a progress bar (runs done / total) on stderr.
        fork: Simulate each seed's shared past once, to the first month a policy
            scenario differs from the base (:func:`fork_month`), and continue every
            scenario from its snapshot; the results are identical bit for bit to
            running each from the start (False), only faster.

    Returns:
        The :class:`Comparison`.

    Raises:
        ScenarioError: Invalid input (checked before anything runs).
    """
    base = _scenario(base)
    policies = [_scenario(p) for p in policies]
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ScenarioError(f"--workers must be at least 1, got {workers!r}")
    shared, seed_list, window, starts = plan_runs(base, policies, seeds, scale, end)
    jobs = [(i, j, s.with_overrides(run={"seed": seed}))
            for i, s in enumerate(shared) for j, seed in enumerate(seed_list)]
    n_workers = min(workers or available_cores(), len(jobs))
    started = time.perf_counter()
    month = fork_month(shared, starts) if fork else None
    past = shared[0] if month is not None else None
    records = _execute(jobs, n_workers, progress, past, month)
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


def _execute(jobs: list[tuple[int, int, Scenario]], n_workers: int, progress: bool,
             past: Scenario | None = None, month: str | None = None,
             ) -> list[list[RunRecord]]:
    """Run every job; return records indexed [scenario][seed], whatever the finishing order.

    With ``past`` and ``month``, each seed's past (``past`` to ``month``) runs once and
    is saved to a temporary snapshot folder, and every job continues from its seed's.
    """
    n_scen = 1 + max(i for i, _, _ in jobs)
    n_seeds = 1 + max(j for _, j, _ in jobs)
    slots: list[list[RunRecord | None]] = [[None] * n_seeds for _ in range(n_scen)]
    bar = None
    if progress:
        from tqdm import tqdm

        note = compile_note()  # every worker compiles them, at the same time
        if note is not None:
            print(note, file=sys.stderr, flush=True)

        bar = tqdm(total=len(jobs), unit="run", desc="compare", dynamic_ncols=True)
    try:
        with WorkerPool(n_workers) as pool, contextlib.ExitStack() as stack:
            function, tasks = _run_one, [s for _, _, s in jobs]
            folders: list[str] = []
            if past is not None and month is not None:
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sendabm-")))
                folders = _save_pasts(pool, past, month, jobs, tmp)
                # Seed by seed, so a worker reads each past once.
                jobs = sorted(jobs, key=lambda job: (job[1], job[0]))
                function, tasks = _run_forked, [(s, folders[j]) for _, j, s in jobs]
            left = [n_scen] * n_seeds
            for k, record in pool.as_completed(function, tasks):
                i, j, _ = jobs[k]
                slots[i][j] = record
                left[j] -= 1
                if folders and not left[j]:  # the seed's past is no longer needed
                    shutil.rmtree(folders[j], ignore_errors=True)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return [[r for r in row if r is not None] for row in slots]


def _save_pasts(pool: WorkerPool, past: Scenario, month: str,
                jobs: list[tuple[int, int, Scenario]], folder: Path) -> list[str]:
    """Run ``past`` to ``month`` once for each seed of ``jobs`` and save the snapshots
    under ``folder``; their folders, by seed index."""
    seeds = {j: s.run["seed"] for _, j, s in jobs}
    tasks = [(past.with_overrides(run={"seed": seeds[j]}), month, str(folder / f"seed-{j}"))
             for j in range(len(seeds))]
    return [done for _, done in sorted(pool.as_completed(_save_past, tasks))]
