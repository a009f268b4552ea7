"""Outcomes (DESIGN §2 phase 8): progress and wellbeing follow met need.

Twin: :meth:`sendabm.family.Family.outcomes`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sendabm import states as S
from sendabm.kernels.family_month import N_CHUNKS

WELLBEING_RATE = 0.1
"""Monthly adjustment of wellbeing towards its target."""
CASE_STRAIN = 0.2
"""Fall in target wellbeing while a family has an open case (assessment or dispute)."""


@njit(cache=True, inline="always")
def outcomes_row(fam, i, p):
    """Progress falls with the unmet share of need; wellbeing tracks met need."""
    need = np.float64(fam.need[i])
    wellbeing = np.float64(fam.wellbeing[i])
    if need <= 0.0:
        fam.wellbeing[i] = wellbeing + WELLBEING_RATE * (1.0 - wellbeing)
        return
    unmet_share = np.float64(fam.unmet[i]) / need
    fam.progress[i] = np.float64(fam.progress[i]) - p.progress_gain * unmet_share
    target = 1.0 - unmet_share
    if fam.stage[i] != S.IDLE:
        target -= CASE_STRAIN
    fam.wellbeing[i] = wellbeing + WELLBEING_RATE * (target - wellbeing)


@njit(cache=True)
def _outcomes_rows(fam, p, start, stop):
    for i in range(start, stop):
        if fam.active[i]:
            outcomes_row(fam, i, p)


@njit(cache=True, parallel=True)
def outcomes(fam, p):
    """Run :func:`outcomes_row` over every active row (chunks in parallel)."""
    n = fam.active.shape[0]
    size = (n + N_CHUNKS - 1) // N_CHUNKS
    for c in prange(N_CHUNKS):
        _outcomes_rows(fam, p, c * size, min(n, (c + 1) * size))
