"""Which children develop a need in each month of the school year, listed in advance.

A child without a need or a case is visited only in the month its need emerges
(``onset_tick``, see :mod:`sendabm.core.kernels.onsets`). Finding those rows by comparing
the whole ``onset_tick`` column every month cost about 10 ms a month at full scale;
the schedule reads the column once a year instead, after the September intake, and
hands the family kernel each month's rows. Onset months set during the year (when a
need resolves, the child's next onset is drawn) are added as they are made.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sendabm.core.kernels.threads import over_row_chunks, row_chunks

MONTHS = 12
"""Months a schedule covers: from a September to the next August."""



@njit(cache=True, nogil=True)
def _month_counts(onset_tick, start, months, lo, hi, counts):
    for i in range(lo, hi):
        offset = np.int64(onset_tick[i]) - start
        if 0 <= offset < months:
            counts[offset] += 1


@njit(cache=True, nogil=True)
def _month_fill(onset_tick, start, months, lo, hi, fill, rows):
    for i in range(lo, hi):
        offset = np.int64(onset_tick[i]) - start
        if 0 <= offset < months:
            rows[fill[offset]] = i
            fill[offset] += 1


def _bucket(onset_tick: np.ndarray, start: int, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose onset falls in [start, start + months), ascending within each month,
    as (CSR pointers by month offset, rows)."""
    n, chunks = onset_tick.shape[0], row_chunks()
    counts = np.zeros((chunks, months), dtype=np.int64)
    over_row_chunks(n, chunks, lambda c, lo, hi: _month_counts(onset_tick, start, months, lo,
                                                               hi, counts[c]))
    # Month by month, then chunk by chunk: each month's rows come out ascending, so any
    # chunking gives the same lists.
    at = np.zeros(months * chunks + 1, dtype=np.int64)
    at[1:] = np.cumsum(counts.T.ravel())
    rows = np.empty(at[-1], dtype=np.int32)
    firsts = np.arange(months) * chunks
    over_row_chunks(n, chunks, lambda c, lo, hi: _month_fill(onset_tick, start, months, lo,
                                                             hi, at[firsts + c], rows))
    return at[::chunks].copy(), rows


class OnsetSchedule:
    """Rows whose need is scheduled to emerge in each month of the current school year.

    Args:
        onset_tick: The family column of onset months (read, not kept).
        start: First month covered, tick (a September, or the run's first month).
    """

    def __init__(self, onset_tick: np.ndarray, start: int):
        self.rebuild(onset_tick, start)

    def rebuild(self, onset_tick: np.ndarray, start: int) -> None:
        """List the onsets in the twelve months from ``start`` (call after an intake)."""
        ptr, rows = _bucket(onset_tick, np.int64(start), MONTHS)
        self.start = start
        self._months = [rows[ptr[k]:ptr[k + 1]] for k in range(MONTHS)]

    def take(self, tick: int) -> np.ndarray:
        """This month's onset rows, ascending int32 (empty outside the covered year)."""
        offset = tick - self.start
        if 0 <= offset < MONTHS:
            return self._months[offset]
        return np.empty(0, dtype=np.int32)

    def add(self, rows: np.ndarray, onset_tick: np.ndarray) -> None:
        """Schedule ``rows`` by their (newly drawn) onset months.

        Rows whose onset falls outside the covered year are left to the next
        :meth:`rebuild`, which reads the column.
        """
        if rows.size == 0:
            return
        offsets = onset_tick[rows].astype(np.int64) - self.start
        for offset in np.unique(offsets[(offsets >= 0) & (offsets < MONTHS)]):
            self._months[offset] = np.union1d(self._months[offset],
                                              rows[offsets == offset]).astype(np.int32)
