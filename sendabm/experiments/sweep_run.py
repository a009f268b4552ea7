"""Running a sweep (``sendabm sweep``): every run of a specification not yet in its store.

The specification, its design and its runs are :mod:`sendabm.experiments.sweep`; where
the runs execute is :mod:`sendabm.experiments.engines`; the store they are written to as
they arrive is :mod:`sendabm.experiments.store`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sendabm.experiments import engines, store
from sendabm.experiments.evaluate import evaluate_scenario
from sendabm.experiments.sweep import RunTask, SweepSpec, execution_order, make_design, plan


def run_model(task: RunTask) -> dict[str, float]:
    """The default run function: :func:`sendabm.experiments.evaluate.evaluate_scenario`."""
    return evaluate_scenario(task.base, task.inputs, task.outcomes, fork=task.fork)


@dataclass
class SweepSummary:
    """What :func:`run_sweep` did (``repaired``: damaged parts found and run again)."""

    store: Path
    total: int
    skipped: int
    done: int
    failed: int
    wall_seconds: float
    engine: str
    workers: int
    repaired: int = 0


def run_sweep(spec: SweepSpec, store_dir: str | os.PathLike, engine: str = "local",
              workers: int | None = None, scheduler: str | None = None,
              progress: bool = False,
              run_function: Callable[[RunTask], dict[str, float]] = run_model,
              fork: bool = True) -> SweepSummary:
    """Run every run of ``spec`` not already in the store at ``store_dir``.

    Finished runs (a valid part in ``runs/``) are skipped; failed ones are retried, and
    damaged parts removed and run again. Each result is written to the store as it
    arrives, so memory does not grow with the number of runs. Nothing is written before
    the engine has started (a scheduler that cannot be reached leaves no store).

    Args:
        spec: The validated specification.
        store_dir: Store folder (created if absent; must hold this same sweep if not).
        engine: ``local`` (process pool; 1 worker runs in this process) or ``dask``.
        workers: Worker processes (default: all cores). Results do not depend on it.
        scheduler: Address of an existing Dask scheduler (implies ``engine="dask"``).
        progress: Show a progress bar on stderr.
        run_function: Module-level function of a :class:`RunTask` returning outcomes
            (a hook for tests; the default runs the model).
        fork: With ``common_seeds``, simulate the past each replication's runs share
            once per worker (:func:`~sendabm.experiments.sweep.execution_order`); the
            store is identical bit for bit either way.

    Raises:
        SweepError: The store holds a different sweep, an engine option is invalid, or
            the scheduler cannot be reached.
    """
    engines.check_options(engine, workers, scheduler)
    design = make_design(spec)
    store.check_store(Path(store_dir), spec)
    with engines.connect(engine, workers, scheduler) as runner:
        handle = store.open_store(store_dir, spec, design, plan(spec, design))
        total = design.n_points * spec.replications
        skipped = handle.count_done()
        started = time.perf_counter()
        counts = {"done": 0, "failed": 0}
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, initial=skipped, unit="run", desc=spec.name,
                       dynamic_ncols=True)

        def on_result(result: engines.RunResult) -> None:
            if result.error is None:
                handle.write_run(result.task, result.outcomes)
                counts["done"] += 1
            else:
                handle.write_failure(result.task, result.error)
                counts["failed"] += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(failed=counts["failed"], refresh=False)

        try:
            runner.run(execution_order(spec, design, fork), run_function, on_result,
                       done=lambda task: handle.has(task.run_id))
        finally:
            if bar is not None:
                bar.close()
    return SweepSummary(store=Path(store_dir), total=total, skipped=skipped,
                        done=counts["done"], failed=counts["failed"],
                        wall_seconds=round(time.perf_counter() - started, 3),
                        engine="dask" if scheduler else engine, workers=runner.workers,
                        repaired=len(handle.repaired))
