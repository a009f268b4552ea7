"""Numba kernels: the fused row loops that run the actors' monthly rules over every
busy family and open case. Their readable twin is the plain-Python reference
(:mod:`sendabm.core.reference`, with :meth:`sendabm.core.actors.family.Family.month`),
which must give the same results bit for bit (``tests/test_kernel_equivalence.py``)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=4)
def _record_dtype(fields: tuple[str, ...]) -> np.dtype:
    return np.dtype([(name, np.float64) for name in fields])


def parameter_record(p) -> np.ndarray:
    """The parameters as the kernels take them: a one-element structured array whose
    float64 fields are those of ``p`` (a
    :data:`~sendabm.core.parameters.ParamVector`), so ``parameter_record(p)[0].name``
    reads what ``p.name`` does.

    Numba passes a record by reference but a namedtuple as all its floats, through every
    call and into every parallel loop, which lengthened the first run's compiling
    (``benchmarks/paired.py --cold``). An array, not the record alone, goes into parallel
    loops: numba 0.68 fails to pass a bare record into one.
    """
    return np.array([tuple(p)], dtype=_record_dtype(p._fields))
