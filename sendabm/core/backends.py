"""How the model's phases are computed: by the numba kernels, or by the Python reference.

``SendModel(engine=...)`` picks one backend from :data:`BACKENDS` and calls it for every
phase that works family by family; both backends have the same methods, arguments
and results, so the rest of the model is the same for both. The kernels' threads are
guarded here too: :data:`KERNEL_LOCK` for models in threads of one process, and
:func:`check_fork_safe` for processes forked from one that used GNU OpenMP.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import numba
import numpy as np

from sendabm.core import cohorts, compile_ahead, rng
from sendabm.core.kernels import aggregate, onset_schedule, onsets, parameter_record, school_year
from sendabm.core.kernels import cases as case_kernels
from sendabm.core.kernels import family_month as family_month_kernels
from sendabm.core.kernels.aggregate import count, count_static
from sendabm.core.kernels.family_month import family_month
from sendabm.core.kernels.onsets import schedule_onsets
from sendabm.core.reference.engine import ReferenceBackend

KERNEL_MODULES = (rng, onsets, onset_schedule, family_month_kernels, case_kernels, aggregate,
                  school_year)
"""The modules whose numba kernels a run of the numba engine compiles (or loads from
numba's cache folder)."""

CASE_KERNELS = (case_kernels.la_decides_requests, case_kernels.la_assesses, case_kernels.mediate,
                case_kernels.appeals, case_kernels.redress, case_kernels.place)
"""Phases 5-7, each over the open cases, in the order they run."""

AHEAD_CASE_KERNELS = CASE_KERNELS[3:]
"""The case kernels the compile helper compiles on an empty cache (appeals, redress and
placements, about 12 s on one core), while the run compiles the rest itself: with all
six in the helper the run waited for it (benchmarks/COMPILE_PROFILE.md)."""

KERNEL_LOCK = threading.RLock()
"""Held while a model (:class:`~sendabm.core.model.SendModel`) sets up or steps. The
kernels' default threading layer (numba's workqueue, :data:`sendabm.FORK_SAFE_LAYER`)
ends the process if two threads launch parallel kernels at once, so models run in
threads of one process take turns."""

_forked_from_gnu_openmp = False


def _uses_gnu_openmp() -> bool:
    """Whether this process has run numba's parallel kernels on GNU OpenMP threads."""
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        return False
    if layer != "omp":
        return False
    from numba.np.ufunc import omppool

    return omppool.openmp_vendor == "GNU"


def _after_fork_in_child() -> None:
    global KERNEL_LOCK, _forked_from_gnu_openmp
    # A lock another thread held at the fork would never be released in the child.
    KERNEL_LOCK = threading.RLock()
    _forked_from_gnu_openmp = _forked_from_gnu_openmp or _uses_gnu_openmp()


os.register_at_fork(after_in_child=_after_fork_in_child)


def check_fork_safe() -> None:
    """Raise a one-line RuntimeError in a process forked from one that ran the kernels on
    GNU OpenMP, instead of letting numba end the process (or hang its pool)."""
    if _forked_from_gnu_openmp:
        raise RuntimeError(
            "this process was forked from one that had run the model on numba's GNU OpenMP "
            "threads, which do not survive fork(); start the process pool with spawn, or "
            "leave NUMBA_THREADING_LAYER unset so that sendabm picks a fork-safe layer")


class KernelBackend:
    """Every phase by the numba kernels and the vectorised set-up code (the fast path).

    Args:
        key: The run's key (unused: the kernels are given it with each call).
        family: Row -> family view (unused: the kernels work on the columns).
    """

    name = "numba"

    def __init__(self, key: np.uint64, family: Callable):
        self.branches = None
        # With an empty cache, a helper process compiles these on the second core
        # (sendabm.core.compile_ahead); the first call of each waits for it.
        compile_ahead.start(sum(not _is_cached(kernel)
                                for kernel in (*AHEAD_CASE_KERNELS, school_year._age_chunk)))

    init_rows = staticmethod(cohorts.init_rows)

    @staticmethod
    def age_and_transfer(*args, **kwargs) -> dict[str, float]:
        """Phase 1's move up a year (:func:`~sendabm.core.cohorts.age_and_transfer`)."""
        compile_ahead.ready("age_and_transfer")
        return cohorts.age_and_transfer(*args, **kwargs)
    schedule_onsets = staticmethod(schedule_onsets)

    @staticmethod
    def families_month(fam, world, p, last_busy, onsets):
        """Phases 2-4 (:func:`~sendabm.core.kernels.family_month.family_month`)."""
        return family_month(fam, world, p, last_busy, onsets)

    @staticmethod
    def decide_cases(fam, cases, cw, p) -> None:
        """Phases 5-7 for the open cases (:mod:`sendabm.core.kernels.cases`)."""
        p = parameter_record(p)[0]
        for kernel in CASE_KERNELS:
            if kernel is AHEAD_CASE_KERNELS[0]:
                compile_ahead.ready("decide_cases")
            kernel(fam, cases, cw, p)

    @staticmethod
    def count(fam, rows, p, sizes, money, fees, outcomes: bool, partials=None):
        """Phase 8 (with ``outcomes``, in the same pass) and the month's totals
        (:func:`~sendabm.core.kernels.aggregate.count`).

        Args:
            money: (special place, transport, appeal cost, GBP; notional threshold,
                need units; cost level relative to 2014).
        """
        special_gbp, transport_gbp, tribunal_gbp, threshold_units, cost_factor = money
        return count(fam, rows, *sizes, special_gbp, transport_gbp, tribunal_gbp,
                     threshold_units, fees, cost_factor,
                     progress_gain=p.progress_gain if outcomes else None, partials=partials)

    @staticmethod
    def count_static(fam, sizes):
        """Pupils and rolls (:func:`~sendabm.core.kernels.aggregate.count_static`)."""
        return count_static(fam, *sizes)


BACKENDS = {"numba": KernelBackend, "python": ReferenceBackend}
"""Backend of each ``SendModel`` engine."""
ENGINES = tuple(BACKENDS)
"""The engines a model can run: the numba kernels over all families, or the per-family
Python reference (for testing; slow)."""


def backend_of(engine: str, key: np.uint64, family: Callable):
    """The backend that computes the phases under ``engine``.

    Args:
        engine: One of :data:`ENGINES`.
        key: The run's key.
        family: Row -> :class:`~sendabm.core.actors.family.Family` view.

    Raises:
        ValueError: ``engine`` is not one of :data:`ENGINES` (one line, naming them).
    """
    if engine not in BACKENDS:
        raise ValueError(f"unknown engine '{engine}'; choose one of: {', '.join(ENGINES)}")
    return BACKENDS[engine](key, family)


def kernel_cache() -> tuple[int, int]:
    """How many of the run's kernels have machine code in numba's cache folder.

    A kernel counts once per function (its first call compiles every specialisation a
    run needs); kernels inlined into others are not compiled on their own and are not
    counted. Where numba's cache cannot be inspected every kernel counts as cached.

    Returns:
        (cached, total) kernels.
    """
    from numba.core.dispatcher import Dispatcher

    kernels = {id(obj): obj for module in KERNEL_MODULES for obj in vars(module).values()
               if isinstance(obj, Dispatcher) and obj.py_func.__module__ == module.__name__
               and obj.targetoptions.get("inline", "never") == "never"}
    return sum(map(_is_cached, kernels.values())), len(kernels)


def _is_cached(kernel) -> bool:
    """Whether ``kernel`` (a numba dispatcher) has machine code in numba's cache folder;
    True where the cache cannot be inspected (no cache, or numba's internals changed)."""
    index = getattr(getattr(getattr(kernel, "_cache", None), "_cache_file", None),
                    "_index_path", None)
    return index is None or os.path.exists(index)
