"""Outcomes (ODD §3 step 8): progress and wellbeing follow met need.

Twin: :meth:`sendabm.core.actors.family.Family.outcomes`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sendabm.core import states as S
from sendabm.core.actors.family import CASE_STRAIN, WELLBEING_RATE
from sendabm.core.kernels.threads import over_row_chunks, row_chunks


@njit(cache=True, inline="always")
def outcome_row(i, need_col, unmet_col, progress_col, wellbeing_col, stage_col, progress_gain):
    """Progress falls with the unmet share of need; wellbeing tracks met need (row ``i``).

    Only children with a need change (wellbeing is 1 without one). Inlined, so it
    can run inside other row loops (the counting pass) at no call cost.
    """
    need = np.float64(need_col[i])
    if need <= 0.0:
        return
    wellbeing = np.float64(wellbeing_col[i])
    unmet_share = np.float64(unmet_col[i]) / need
    progress_col[i] = np.float64(progress_col[i]) - progress_gain * unmet_share
    target = 1.0 - unmet_share
    if stage_col[i] != S.IDLE:
        target -= CASE_STRAIN
    wellbeing_col[i] = wellbeing + WELLBEING_RATE * (target - wellbeing)


@njit(cache=True, nogil=True)
def outcomes_rows(fam, progress_gain, rows, start, stop):
    """:func:`outcome_row` for ``rows[start:stop]``."""
    need_col, unmet_col = fam.need, fam.unmet
    progress_col, wellbeing_col, stage_col = fam.progress, fam.wellbeing, fam.stage
    for k in range(start, stop):
        outcome_row(rows[k], need_col, unmet_col, progress_col, wellbeing_col, stage_col,
                    progress_gain)


def outcomes(fam, p, rows) -> None:
    """Run :func:`outcome_row` over ``rows`` (the month's busy rows), chunks in parallel.

    The model applies outcomes inside the counting pass instead
    (:func:`sendabm.core.kernels.aggregate.count` with ``progress_gain``), which reads the
    same rows anyway; this stand-alone kernel serves benchmarks and tests.
    """
    progress_gain = float(p.progress_gain)  # the one parameter the chunks read
    over_row_chunks(rows.shape[0], row_chunks(), lambda c, start, stop: outcomes_rows(
        fam, progress_gain, rows, start, stop))
