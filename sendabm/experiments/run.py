"""One simulation from scenario to results folder: the engine behind ``sendabm run``."""

from __future__ import annotations

import datetime
import gc
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import sendabm
from sendabm.core import calendar, compile_ahead
from sendabm.core.areas import Areas
from sendabm.core.backends import kernel_cache
from sendabm.core.measures import NATIONAL, PANEL
from sendabm.core.model import SendModel
from sendabm.core.scenario import Scenario
from sendabm.core.snapshot import Snapshot, SnapshotError
from sendabm.experiments.results import FigureDrawer, RunOutput, write_run

COLD_COMPILE_SECONDS = 33.0
"""CPU seconds to compile every kernel on one core with an empty cache (30.5 and 35.9 s
measured by ``benchmarks/compile_profile.py`` at 14ee154, benchmarks/COMPILE_PROFILE.md). Numba
compiles one kernel at a time in a process, so on a busy machine it takes as many times
longer as there are runnable processes per core."""

TWO_CORE_SHARE = 0.63
"""Share of :data:`COLD_COMPILE_SECONDS` a first run spends compiling or waiting when
a helper process compiles its late kernels on a second core
(:mod:`sendabm.core.compile_ahead`): 19.9-22.3 s of compiling wall time measured by
``benchmarks/paired.py --cold`` on a 2-core machine at load average about 1
(benchmarks/COLD_START.md)."""


LEVELS_MIN_SCALE = 0.03
"""Below this scale most LAs see no contested decision in a year and do not learn from
reversals, so levels are off (docs/calibration.md); LA by LA, below 0.05."""


def scale_warning(scale: float) -> str | None:
    """One line warning that a run at ``scale`` is not to be read for levels, or None."""
    if scale >= LEVELS_MIN_SCALE:
        return None
    return (f"scale {scale:g} is below {LEVELS_MIN_SCALE:g}: LAs see too few disputes to "
            "learn, so read the run for its mechanics and differences, not for levels "
            "(docs/calibration.md)")


def compile_note() -> str | None:
    """One line saying the kernels are about to compile, or None if they are all cached.

    The estimate scales :data:`COLD_COMPILE_SECONDS` by the share of kernels missing
    from the cache, by :data:`TWO_CORE_SHARE` when the compile helper will run, and by
    how busy the machine is (its load average per core).
    """
    cached, total = kernel_cache()
    if cached >= total:
        return None
    import numba

    from sendabm.experiments.pool import available_cores

    try:
        busy = max(1.0, (os.getloadavg()[0] + 1.0) / available_cores())
    except OSError:  # pragma: no cover - no load average on this system
        busy = 1.0
    two_cores = compile_ahead.will_start()
    seconds = (COLD_COMPILE_SECONDS * (total - cached) / total * busy
               * (TWO_CORE_SHARE if two_cores else 1.0))
    about = f"about {seconds:.0f} s" if seconds < 90 else f"about {seconds / 60:.0f} min"
    where = " on two cores" if two_cores else ""
    if busy > 1.5:
        where += " of this busy machine" if two_cores else " on this busy machine"
    return (f"compiling {total - cached} of {total} numba kernels before the first month: a "
            f"one-off of {about}{where}, cached in {numba.config.CACHE_DIR} for later runs")


class CompileClock:
    """Seconds numba has spent compiling since this clock was started (a context manager
    that listens to numba's compile events; nested compiles count once), and the run
    has waited for the compile helper (:func:`sendabm.core.compile_ahead.seconds_waited`)."""

    def __init__(self) -> None:
        self._compiled = 0.0
        self._waited_before = compile_ahead.seconds_waited()
        self._depth = 0
        self._since = 0.0

    @property
    def seconds(self) -> float:
        """Compiling and waiting for compiled kernels, s."""
        return self._compiled + compile_ahead.seconds_waited() - self._waited_before

    def __enter__(self) -> CompileClock:
        from numba.core import event

        clock = self
        self._waited_before = compile_ahead.seconds_waited()

        class Listener(event.Listener):
            def on_start(self, ev: event.Event) -> None:
                if clock._depth == 0:
                    clock._since = time.perf_counter()
                clock._depth += 1

            def on_end(self, ev: event.Event) -> None:
                clock._depth -= 1
                if clock._depth == 0:
                    clock._compiled += time.perf_counter() - clock._since

        self._listener = Listener()
        event.register("numba:compile", self._listener)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        from numba.core import event

        event.unregister("numba:compile", self._listener)


def git_commit() -> str:
    """Commit of the source tree the package runs from, ending in ``-dirty`` when the
    package's tracked source differs from that commit (so a result made from edited code
    is not credited to the commit), or 'unknown'."""
    package = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=package, capture_output=True,
                             text=True, timeout=5, check=False)
        if out.returncode != 0:
            return "unknown"
        diff = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "."], cwd=package,
                              capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() + ("-dirty" if diff.returncode == 1 else "")


def output_of(model: SendModel, wall_seconds: float) -> RunOutput:
    """Package a finished model's measures as a :class:`RunOutput`."""
    _check_registered("national", model.national, NATIONAL)
    _check_registered("panel", model.panel, PANEL)
    national = {name: np.asarray(model.national[name], dtype=np.float64) for name in NATIONAL}
    panel = {name: np.stack(model.panel[name]) for name in PANEL}
    scen = model.scenario
    manifest: dict[str, Any] = {
        "package": "sendabm",
        "version": sendabm.__version__,
        "git_commit": git_commit(),
        "scenario_name": scen.name,
        "scenario_hash": scen.hash(),
        "scenario": scen.to_dict(),
        "seed": model.seed_value,
        "scale": model.scale,
        "start": scen.run["start"],
        "end": scen.run["end"],
        "months": len(model.dates),
        "engine": model.engine,
        "wall_time_seconds": round(wall_seconds, 3),
        "areas": len(model.areas.names),
    }
    return RunOutput(dates=list(model.dates), national=national, panel=panel,
                     la_names=list(model.areas.names), manifest=manifest)


def _check_registered(what: str, produced: dict, registered: tuple[str, ...]) -> None:
    """Raise ValueError unless the model produced exactly the registered measures."""
    extra = [name for name in produced if name not in registered]
    missing = [name for name in registered if name not in produced]
    if extra:
        raise ValueError(f"the model's {what} measure '{extra[0]}' is not registered; declare "
                         "it in sendabm.core.measures.REGISTRY")
    if missing:
        raise ValueError(f"the registered {what} measure '{missing[0]}' was not produced by the "
                         "model; count it, or remove it from sendabm.core.measures.REGISTRY")


def release(model: SendModel) -> None:
    """Let a finished model be freed.

    Mesa 3's ``Agent._ids`` is a class-level dict keyed by model (it numbers agents per
    model) and is never cleared, so without this every model a process runs stays in
    memory: about 55 MB per run at scale 0.01, which a calibration or sweep worker
    running hundreds of runs cannot afford.
    """
    import mesa

    mesa.Agent._ids.pop(model, None)


def run_scenario(scenario: Scenario, out: str | os.PathLike | None = None,
                 areas: Areas | str | os.PathLike | None = None, progress: bool = False,
                 figures: Mapping[str, FigureDrawer] | None = None,
                 snapshot: Snapshot | None = None,
                 snapshot_to: tuple[str, Callable[[Snapshot], Any]] | None = None,
                 ) -> RunOutput:
    """Run ``scenario`` to its end month; write the results folder if ``out`` is given.

    Args:
        scenario: The validated scenario (with any command-line overrides applied).
        out: Results folder to write (created or replaced atomically), or None.
        areas: Optional local areas: an :class:`~sendabm.core.areas.Areas` or its
            CSV/GraphML file (default: the 152 English LAs).
        progress: Show a progress bar on stderr.
        figures: Figures to draw into ``out``: file name -> drawing function, e.g.
            :data:`sendabm.presentation.figures.RUN_FIGURES`; none if None.
        snapshot: Continue from this snapshot (:meth:`SendModel.from_snapshot`) instead
            of starting in the scenario's first month; the results are the same.
        snapshot_to: (month 'YYYY-MM', function): on reaching the month, the model's
            snapshot is given to the function (e.g. one that saves it with
            :func:`~sendabm.experiments.snapshots.save_snapshot`), then the run goes on.

    Returns:
        The run's :class:`RunOutput`.

    Raises:
        SnapshotError: ``scenario`` cannot continue ``snapshot``, or the month to save
            is not within the run (one line).
    """
    started = time.perf_counter()
    if not progress:
        model = start_model(scenario, areas, snapshot)
        _run_model(model, snapshot_to)
    else:
        note = compile_note()
        if note is not None:
            print(note, file=sys.stderr, flush=True)
        with CompileClock() as compiling:
            model = start_model(scenario, areas, snapshot)
            _run_with_bar(model, compiling, snapshot_to)
    output = output_of(model, time.perf_counter() - started)
    release(model)
    # Agents and model refer to each other, so only the cycle collector frees a model,
    # and it runs on counts of small objects, not on memory: a sweep worker grew by
    # 60-100 MB a run (1.7 GB after 100 runs at scale 0.03) before it ran.
    del model
    gc.collect()
    if out is not None:
        write_run(output, Path(out), figures=figures)
    return output


def _run_model(model: SendModel, snapshot_to: tuple[str, Callable[[Snapshot], Any]] | None,
               advance: Callable[[SendModel], None] | None = None) -> None:
    """Run ``model`` to its end, handing its snapshot to ``snapshot_to`` on the way."""
    if snapshot_to is not None:
        run_until(model, snapshot_tick(snapshot_to[0], model), advance)
        snapshot_to[1](model.snapshot())
    model.run(progress=advance)


def _run_with_bar(model: SendModel, compiling: CompileClock,
                  snapshot_to: tuple[str, Callable[[Snapshot], Any]] | None = None) -> None:
    """Run ``model`` with a progress bar on stderr whose rate and ETA leave out the time
    numba spends compiling (the first months' of a cold cache)."""
    from tqdm import tqdm

    months = model.end_tick - model.tick + 1
    counted = compiling.seconds
    with tqdm(total=months, unit="month", desc=f"{model.scenario.name} (scale {model.scale})",
              dynamic_ncols=True) as bar:
        def advance(m: SendModel) -> None:
            nonlocal counted
            # tqdm's rate is months over the time since its last print: move that mark
            # on by this month's compile time so the rate is the simulation's alone.
            bar.last_print_t += compiling.seconds - counted
            counted = compiling.seconds
            bar.update(1)
            bar.set_postfix_str(calendar.label(m.tick - 1))

        _run_model(model, snapshot_to, advance)


def start_model(scenario: Scenario, areas: Areas | str | os.PathLike | None = None,
                snapshot: Snapshot | None = None) -> SendModel:
    """A model of ``scenario`` at its first month, or continuing ``snapshot``."""
    if snapshot is None:
        return SendModel(scenario, areas=areas)
    return SendModel.from_snapshot(snapshot, scenario=scenario, areas=areas)


def snapshot_tick(month: str, model: SendModel) -> int:
    """Tick of ``month`` for a snapshot of ``model``'s run.

    Raises:
        SnapshotError: ``month`` is not 'YYYY-MM', or not after the model's current
            month and within its run (one line).
    """
    try:
        tick = calendar.tick_of(month)
    except (ValueError, TypeError, AttributeError):
        raise SnapshotError(f"--save-snapshot {month!r} must be a month 'YYYY-MM'") from None
    if not model.tick < tick <= model.end_tick:
        raise SnapshotError(
            f"--save-snapshot {month} is outside the run; give a month from "
            f"{calendar.label(model.tick + 1)} to {calendar.label(model.end_tick)}")
    return tick


def run_until(model: SendModel, tick: int, progress=None) -> None:
    """Step ``model`` until ``tick`` is the next month to simulate."""
    while model.running and model.tick < tick:
        model.step()
        if progress is not None:
            progress(model)


def run_past(scenario: Scenario, month: str,
             areas: Areas | str | os.PathLike | None = None) -> Snapshot:
    """Run ``scenario`` from its start until ``month`` is next; its snapshot there (the
    shared past that forked runs continue)."""
    model = SendModel(scenario, areas=areas)
    run_until(model, snapshot_tick(month, model))
    snapshot = model.snapshot()
    release(model)
    del model
    gc.collect()
    return snapshot


def run_national(scenario: Scenario) -> tuple[list[datetime.date], dict[str, np.ndarray]]:
    """Run ``scenario`` without writing anything; its dates and national measures (the
    task calibration and validation give their worker processes)."""
    output = run_scenario(scenario)
    return output.dates, output.national
