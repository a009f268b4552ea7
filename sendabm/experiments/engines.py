"""Where a sweep's runs execute: this process, a local process pool, or Dask.

- ``local`` (the default): the package's process pool
  (:class:`~sendabm.experiments.pool.WorkerPool`: spawned workers on all cores);
  ``workers=1`` runs in this process.
- ``dask``: a ``dask.distributed.LocalCluster`` of single-threaded worker processes,
  or an existing cluster at ``scheduler`` (e.g. one started with ``dask scheduler`` and
  ``dask worker`` on several machines). A worker that dies is replaced and its run
  rescheduled by Dask.

:func:`connect` starts the engine (or reaches the scheduler) and hands back a
:class:`Runner`, so the caller writes nothing until the engine is there: an unreachable
scheduler fails before the store exists.

Each run is a pure function of its task (inputs, seed), and results come back to the
calling process, which writes each one to the store as it arrives, so the store is
identical bit for bit whatever the engine or the number of workers. At most a few
runs per worker are in flight at once, so memory does not grow with the number of
runs.
"""

from __future__ import annotations

import contextlib
import functools
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sendabm.experiments.extras import require
from sendabm.experiments.pool import IN_FLIGHT_PER_WORKER, WorkerPool, available_cores
from sendabm.experiments.sweep import RunTask, SweepError

ENGINES = ("local", "dask")
SCHEDULER_TIMEOUT = "20s"
"""How long to try to reach a ``--scheduler`` before giving up."""


@dataclass
class RunResult:
    """The outcome of one run: its outcomes, or the traceback of the error it raised."""

    task: RunTask
    outcomes: dict[str, float] | None
    error: str | None


def check_options(engine: str, workers: int | None, scheduler: str | None) -> None:
    """Raise :class:`SweepError` (one line) for an invalid engine option, or
    :class:`~sendabm.experiments.extras.MissingExtra` if Dask is asked for and missing."""
    if engine not in ENGINES:
        raise SweepError(f"--engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise SweepError(f"--workers must be at least 1, got {workers!r}")
    if scheduler is not None and engine != "dask":
        raise SweepError("--scheduler needs --engine dask")
    if engine == "dask":
        require("dask", "the dask engine (sendabm sweep --engine dask)")


def perform(run_function: Callable[[RunTask], dict[str, float]], threads: int,
            task: RunTask) -> RunResult:
    """Run one task in a worker; an exception becomes a failed result, not a crash."""
    if threads:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        return RunResult(task, dict(run_function(task)), None)
    except Exception:  # noqa: BLE001 - every failure is recorded, none stops the sweep
        return RunResult(task, None, traceback.format_exc())


class Runner:
    """A started engine (see :func:`connect`): runs tasks and reports each result."""

    def __init__(self, workers: int, pool: WorkerPool | None = None, client: Any = None) -> None:
        self.workers = workers
        self._pool = pool
        self._client = client

    def run(self, tasks: Iterable[RunTask], run_function: Callable[[RunTask], dict[str, float]],
            on_result: Callable[[RunResult], None],
            done: Callable[[RunTask], bool] | None = None) -> None:
        """Run every task not ``done``, calling ``on_result`` in this process as each
        finishes."""
        if self._client is not None:
            pending = (t for t in tasks if done is None or not done(t))
            _dask(self._client, self.workers, pending, run_function, on_result)
            return
        assert self._pool is not None
        # Pool workers got their threads when they started: tasks leave them alone (0).
        run = functools.partial(perform, run_function, 0)
        for _, result in self._pool.as_completed(run, tasks, done=done):
            on_result(result)


@contextlib.contextmanager
def connect(engine: str = "local", workers: int | None = None,
            scheduler: str | None = None) -> Iterator[Runner]:
    """Start the engine (a process pool, a local Dask cluster, or a client of the Dask
    scheduler at ``scheduler``) and stop it on exit.

    Raises:
        SweepError: An invalid option, or a scheduler that cannot be reached.
    """
    check_options(engine, workers, scheduler)
    if engine == "local":
        with WorkerPool(workers) as pool:
            yield Runner(pool.workers, pool=pool)
        return
    import logging

    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or available_cores(), threads_per_worker=1,
                               processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as error:
            reason = str(error).strip().splitlines()
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler} "
                             f"({reason[0] if reason else type(error).__name__}); check the "
                             "address and that the scheduler is running") from None
    try:
        yield Runner(max(1, len(client.scheduler_info().get("workers", {}))), client=client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _dask(client: Any, n_workers: int, tasks: Iterable[RunTask], run_function: Callable,
          on_result: Callable) -> None:
    from distributed import as_completed

    limit = n_workers * IN_FLIGHT_PER_WORKER
    source = iter(tasks)
    futures = as_completed()
    for task in islice(source, limit):
        futures.add(client.submit(perform, run_function, 1, task, pure=False))
    for future in futures:
        on_result(future.result())
        future.release()
        for task in islice(source, 1):
            futures.add(client.submit(perform, run_function, 1, task, pure=False))
