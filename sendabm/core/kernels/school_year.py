"""The September move up a year (ODD §3 step 1) as one pass over the rows.

Twin of the vectorised description in :func:`sendabm.core.cohorts.age_and_transfer`, which
calls it: every child moves up a year; mainstream pupils entering Year 7 are given a
secondary school; plan holders entering Year 12 in mainstream may move to further
education; after Year 13 plan holders may continue in further education and
everyone else leaves; school cases close at 19; post-19 plans cease at a yearly rate
and everyone leaves after the final year. Each draw is keyed by the child's uid and
made only for the children a decision concerns, so the order of rows does not matter.
Readable twin: :func:`sendabm.core.reference.school_year.age_and_transfer`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.kernels.family_month import N_CHUNKS


@njit(cache=True)
def _age_chunk(fam, key, tick, shares, first_secondary, n_secondary, start, stop, leaving):
    active, uid, la, year_col = fam.active, fam.uid, fam.la, fam.year
    setting_col, sen = fam.setting, fam.sen
    fe_share, continue_share, cease_share = shares[0], shares[1], shares[2]
    for i in range(start, stop):
        if active[i] == 0:
            leaving[i] = False
            continue
        year = np.int64(year_col[i]) + 1
        year_col[i] = year
        mainstream = setting_col[i] == S.MAINSTREAM
        plan = sen[i] == S.EHCP
        if mainstream and year == 7:
            u = rng.uniform(key, rng.SCHOOL_CHOICE, uid[i], tick)
            count = n_secondary[la[i]]
            fam.school[i] = first_secondary[la[i]] + min(np.int64(u * count), count - 1)
        if plan and mainstream and year == 12:
            if rng.uniform(key, rng.POST16_FE, uid[i], tick) < fe_share:
                setting_col[i] = S.FURTHER_EDUCATION
        completed = year == S.SCHOOL_YEARS
        continues = False
        if completed and plan:
            continues = rng.uniform(key, rng.POST16, uid[i], tick) < continue_share
            if continues:
                setting_col[i] = S.FURTHER_EDUCATION
        if year >= S.SCHOOL_YEARS:
            # Young people past Year 13 continue in further education: school cases close.
            fam.stage[i] = S.IDLE
            fam.kind[i] = S.KIND_NONE
            fam.place_wait[i] = 0
        ceased = year > S.SCHOOL_YEARS and rng.uniform(
            key, rng.POST19_CEASE, uid[i], tick) < cease_share
        leaving[i] = (completed and not continues) or ceased or year > S.FINAL_YEAR


@njit(cache=True, parallel=True)
def age_rows(fam, key, tick, shares, first_secondary, n_secondary, leaving):
    """Move every active child up a year and mark who leaves (rows in parallel chunks).

    Args:
        fam: The family columns (year, school, setting and case columns are updated).
        key: Run key.
        tick: Current tick (a September).
        shares: float64[3]: chance a plan holder entering Year 12 in mainstream moves
            to further education; chance a plan continues after Year 13; yearly chance
            a post-19 plan ceases.
        first_secondary, n_secondary: Each LA's first secondary school and number of
            them (a Year 7 pupil's school is drawn uniformly among them).
        leaving: bool[rows], set to whether each child leaves this September.
    """
    n = fam.active.shape[0]
    size = (n + N_CHUNKS - 1) // N_CHUNKS
    for c in prange(N_CHUNKS):
        _age_chunk(fam, key, tick, shares, first_secondary, n_secondary, c * size,
                   min(n, (c + 1) * size), leaving)
