"""The September move up a year (ODD §3 step 1) as one pass over the rows.

Twin of the vectorised description in :func:`sendabm.core.cohorts.age_and_transfer`, which
calls it: every child moves up a year; children moving from early years into Reception
are given a primary school (a plan-holder whose need reaches the LA's special threshold,
with no case open, waits for a special place); mainstream pupils entering Year 7 are given a
secondary school; plan holders entering Year 12 in mainstream may move to further
education; after Year 13 plan holders may continue in further education and
everyone else leaves; school cases close at 19; post-19 plans cease at a yearly rate
and everyone leaves after the final year. Each draw is keyed by the child's uid and
made only for the children a decision concerns, so the order of rows does not matter.
Readable twin: :func:`sendabm.core.reference.school_year.age_and_transfer`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.kernels.threads import over_row_chunks, row_chunks


@njit(cache=True, nogil=True)
def _age_chunk(fam, key, tick, shares, first_primary, n_primary, first_secondary, n_secondary,
               special_threshold, start, stop, leaving):
    active, uid, la, year_col = fam.active, fam.uid, fam.la, fam.year
    setting_col, sen = fam.setting, fam.sen
    fe_share, continue_share, cease_share = shares[0], shares[1], shares[2]
    for i in range(start, stop):
        if active[i] == 0:
            leaving[i] = False
            continue
        year = np.int64(year_col[i]) + 1
        year_col[i] = year
        plan = sen[i] == S.EHCP
        if year == 0 and setting_col[i] == S.EARLY_YEARS:
            setting_col[i] = S.MAINSTREAM
            u = rng.uniform(key, rng.SCHOOL_CHOICE, uid[i], tick)
            count = n_primary[la[i]]
            fam.school[i] = first_primary[la[i]] + min(np.int64(u * count), count - 1)
            if plan and fam.stage[i] == S.IDLE and (
                    np.float64(fam.need[i]) >= special_threshold[la[i]]):
                fam.stage[i] = S.AWAITING_PLACE
                fam.stage_tick[i] = tick
                fam.kind[i] = S.KIND_PLACEMENT
                fam.place_wait[i] = S.PLACE_SPECIAL
        mainstream = setting_col[i] == S.MAINSTREAM
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


def age_rows(fam, key: np.uint64, tick: int, shares: np.ndarray, first_primary: np.ndarray,
             n_primary: np.ndarray, first_secondary: np.ndarray, n_secondary: np.ndarray,
             special_threshold: np.ndarray, leaving: np.ndarray) -> None:
    """Move every active child up a year and mark who leaves (rows in parallel chunks).

    Args:
        fam: The family columns (year, school, setting and case columns are updated).
        key: Run key.
        tick: Current tick (a September).
        shares: float64[3]: chance a plan holder entering Year 12 in mainstream moves
            to further education; chance a plan continues after Year 13; yearly chance
            a post-19 plan ceases.
        first_primary, n_primary: Each LA's first primary school and number of them (a
            child moving into Reception is given one uniformly among them).
        first_secondary, n_secondary: Each LA's first secondary school and number of
            them (a Year 7 pupil's school is drawn uniformly among them).
        special_threshold: Each LA's need at which a plan names a special setting.
        leaving: bool[rows], set to whether each child leaves this September.
    """
    over_row_chunks(fam.active.shape[0], row_chunks(), lambda c, start, stop: _age_chunk(
        fam, key, tick, shares, first_primary, n_primary, first_secondary, n_secondary,
        special_threshold, start, stop, leaving))
