"""The school year (ODD §3 step 1, each September): children move up a year, move
from early years into Reception, transfer at Year 7 and post-16, leave after Year 13
(or, with a plan, by age 25), and a new cohort of two-year-olds arrives in early years
(:mod:`sendabm.core.actors.early_years`).

New children are set up by :func:`init_rows`, the same code that builds the
starting population (:func:`starting_layout`, :func:`init_population`), so a child
entering in 2030 is drawn exactly as one in 2014.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.actors.family import (
    INITIAL_IDENTIFIED,
    INITIAL_WELLBEING,
    NEED_CAP,
    NEET_BASE_LOGIT,
    early_years_onset_per_year,
)
from sendabm.core.actors.mainstream import PRIMARY, SECONDARY
from sendabm.core.kernels.school_year import age_rows
from sendabm.core.param import NEED_UNIT_GBP
from sendabm.core.population import INIT_SLICE, NEVER, Families, free_rows

NEED_CUMULATIVE = np.cumsum(S.NEED_SHARES)


def prevalence(year: np.ndarray, p) -> np.ndarray:
    """Share of children with a need by year group in 2014 (cumulative onset hazard):
    ``need_at_entry`` at Reception entry, ``early_years_need_share`` of it at age 2
    (year group ``FIRST_YEAR``) and the early-years hazard in between."""
    ages = np.arange(S.SCHOOL_YEARS + 1)
    yearly = p.need_onset_per_year * (1.0 + p.need_onset_age_slope * ages)
    early = early_years_onset_per_year(p) * np.arange(S.FIRST_YEAR, 0)
    cumulative = -math.log(1.0 - p.need_at_entry) + np.concatenate(
        [early, [0.0], np.cumsum(yearly)])
    return 1.0 - np.exp(-cumulative[np.minimum(year, S.SCHOOL_YEARS) - S.FIRST_YEAR])


def identified_share(year: np.ndarray, p) -> np.ndarray:
    """Share of the needs of a starting or arriving child recorded as SEN support:
    ``INITIAL_IDENTIFIED`` at school age; before Reception, as if identified at the
    early-years rate since the middle of the year the child entered at age 2."""
    months = 12.0 * (np.asarray(year, dtype=np.float64) - S.FIRST_YEAR) + 6.0
    early = -np.expm1(-p.early_years_identification_per_month * months)
    return np.where(np.asarray(year) < 0, early, INITIAL_IDENTIFIED)


def starting_layout(la_pupils: np.ndarray, early_years: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """LA and year group of each starting child: each LA's pupils spread evenly over
    Reception to Year 13 (earlier years get the remainder), then, after every pupil, each
    LA's children in the early years, ``early_years[la, k]`` in year group
    ``FIRST_YEAR + k``. The pupils come first so they keep their rows and uids."""
    n_la = la_pupils.size
    base, extra = la_pupils // S.SCHOOL_YEARS, la_pupils % S.SCHOOL_YEARS
    counts = base[:, None] + (np.arange(S.SCHOOL_YEARS)[None, :] < extra[:, None])
    la = np.repeat(np.repeat(np.arange(n_la), S.SCHOOL_YEARS), counts.ravel())
    year = np.repeat(np.tile(np.arange(S.SCHOOL_YEARS), n_la), counts.ravel())
    early_years = np.asarray(early_years, dtype=np.int64)
    early_la = np.repeat(np.arange(n_la), early_years.sum(axis=1))
    early_year = np.repeat(np.tile(np.arange(S.FIRST_YEAR, 0), n_la), early_years.ravel())
    return (np.concatenate([la, early_la]).astype(np.int16),
            np.concatenate([year, early_year]).astype(np.int8))


def init_population(fam: Families, la: np.ndarray, year: np.ndarray, tick: int, p, key,
                    bars, init_rows: Callable) -> None:
    """Set up the starting children in rows ``0 .. la.size - 1`` by ``init_rows``
    (uid = row), in slices so the set-up's temporary arrays stay small at full scale.

    Args:
        fam: Family columns (modified in place).
        la, year: Each starting child's LA and year group (:func:`starting_layout`).
        tick: The first tick.
        p: Parameter vector.
        key: Run key.
        bars: Each LA's starting bars, need units
            (:class:`sendabm.core.starting_state.StartingBars`).
        init_rows: The backend's :func:`init_rows` (this module's, or the Python
            reference's).
    """
    n = la.size
    for first in range(0, n, INIT_SLICE):
        rows = np.arange(first, min(n, first + INIT_SLICE))
        init_rows(fam, rows, la[rows], year[rows], rows.astype(np.int32), tick, p, key,
                  bars.plan, bars.special, initial=True, independent_need=bars.independent)


def intake(fam: Families, la_counts: np.ndarray, first_uid: int, tick: int, p, key,
           plan_threshold: np.ndarray, special_threshold: np.ndarray,
           init_rows: Callable) -> tuple[Families, np.ndarray]:
    """A new cohort of two-year-olds (year group ``FIRST_YEAR``, in early years) of
    ``la_counts[k]`` children in each LA ``k``, in free rows
    (the columns grow if needed), with uids from ``first_uid``, set up by ``init_rows``
    (the backend's :func:`init_rows`) as an intake.

    Returns:
        The family columns (a new object if they grew) and the cohort's rows.
    """
    total = int(la_counts.sum())
    fam, rows = free_rows(fam, total)
    la = np.repeat(np.arange(la_counts.size), la_counts)
    uid = np.arange(first_uid, first_uid + total, dtype=np.int32)
    init_rows(fam, rows, la, np.full(total, S.FIRST_YEAR, np.int8), uid, tick, p, key,
              plan_threshold, special_threshold, initial=False)
    return fam, rows


def onset_multipliers(trend_per_year: float, months: int, decay_per_year: float = 0.0
                      ) -> np.ndarray:
    """The identification trend's factor on the onset hazard in each of the first
    ``months`` months, computed once (Python floats).

    The hazard grows at a yearly log rate ``log(1 + trend)`` that fades at
    ``decay_per_year``, so after ``y = t / 12`` years the factor is
    ``(1 + trend)^((1 - e^(-decay × y)) / decay)``: ``(1 + trend)^y`` without decay, and
    bounded by ``(1 + trend)^(1 / decay)`` with it (the identification trend levels off
    instead of compounding for ever).

    A run needs only its own months: onsets are scheduled up to its end and no later (a
    child whose need would emerge after the run keeps ``NEVER``), which spares the
    intakes of later years drawing months that are never simulated.
    """
    if decay_per_year <= 0.0:
        return np.array([(1.0 + trend_per_year) ** (t / 12.0) for t in range(months)])
    return np.array([(1.0 + trend_per_year) ** (-math.expm1(-decay_per_year * t / 12.0)
                                                / decay_per_year) for t in range(months)])


def init_rows(fam: Families, rows: np.ndarray, la: np.ndarray, year: np.ndarray,
              uid: np.ndarray, tick: int, p, key, plan_threshold: np.ndarray,
              special_threshold: np.ndarray, initial: bool,
              independent_need: np.ndarray | None = None) -> None:
    """Set up children in ``rows``: needs, SEN status, family resources and trust.

    Args:
        fam: Family columns (modified in place).
        rows: Row indices to fill.
        la, year, uid: Each new child's LA, year group and identity.
        tick: Current tick (keys the draws).
        p: Parameter vector.
        key: Run key.
        plan_threshold: Each LA's current plan threshold, need units.
        special_threshold: Each LA's special-setting threshold, need units.
        initial: True for the 2014 population (settings assigned directly); False for
            an intake (which arrives at age 2, in early years, with no plan yet). Children
            before Reception are in early years either way; a school-age child of an
            intake (none is, since early years) would start in mainstream.
        independent_need: Each LA's need at or above which a plan-holder of the 2014
            population is in an independent special school (``initial`` only).
    """
    u = lambda stream: rng.uniforms(key, stream, uid, tick)  # noqa: E731
    z = lambda stream: rng.normals(key, stream, uid, tick)  # noqa: E731
    fam.active[rows] = 1
    fam.uid[rows] = uid
    fam.la[rows] = la
    fam.year[rows] = year
    resources = u(rng.INIT_RESOURCES)
    fam.resources[rows] = resources
    fam.quintile[rows] = np.minimum(4, (resources * 5).astype(np.int64)) + 1
    early = np.asarray(year) < 0
    has_need = u(rng.INIT_NEED) < prevalence(year, p)
    need = np.where(has_need, p.need_severity_median * np.exp(p.need_severity_sigma
                                                              * z(rng.INIT_SEVERITY)), 0.0)
    need = np.minimum(need, NEED_CAP)
    fam.need[rows] = need
    types = np.searchsorted(NEED_CUMULATIVE, u(rng.INIT_NEED_TYPE), side="right")
    types = np.minimum(types, len(S.NEED_SHARES) - 1)
    fam.need_type[rows] = np.where(has_need, types, -1)
    identified = has_need & (u(rng.INIT_IDENTIFY) < identified_share(year, p))
    view = need * np.exp(p.la_observation_sd * z(rng.INIT_STATUS))
    # A child arriving before Reception holds no plan yet: its plan, if any, comes from a
    # request (the 2014 population's plans are its stock).
    ehcp = identified & (view >= plan_threshold[la]) & (initial | ~early)
    fam.sen[rows] = np.where(ehcp, S.EHCP, np.where(identified, S.SEN_SUPPORT, S.SEN_NONE))
    threshold_units = p.notional_threshold_gbp / NEED_UNIT_GBP
    topup = np.maximum(0.0, need - threshold_units - p.ordinarily_available_units) * p.topup_rate
    fam.topup[rows] = np.where(ehcp, topup, 0.0)
    setting = np.where(early, S.EARLY_YEARS, S.MAINSTREAM).astype(np.int8)
    stage = np.full(rows.size, S.IDLE, dtype=np.int8)
    # Before Reception a plan names the early-years setting (the move into Reception
    # settles a special place).
    specialist = ehcp & (need >= special_threshold[la]) & ~early
    if initial:
        setting[specialist] = S.SPECIAL
        setting[ehcp & ~early & (need >= independent_need[la])] = S.INDEPENDENT
        post16 = ehcp & (setting == S.MAINSTREAM) & (year >= 12)
        setting[post16 & (u(rng.POST16_FE) < p.post16_fe_share)] = S.FURTHER_EDUCATION
    fam.setting[rows] = setting
    fam.stage[rows] = stage
    fam.kind[rows] = np.where(stage == S.AWAITING_PLACE, S.KIND_PLACEMENT, S.KIND_NONE)
    fam.place_wait[rows] = np.where(stage == S.AWAITING_PLACE, S.PLACE_SPECIAL, 0)
    fam.stage_tick[rows] = np.where(stage == S.AWAITING_PLACE, tick, NEVER)
    fam.request_tick[rows] = NEVER
    fam.last_request_tick[rows] = NEVER
    fam.school[rows] = -1
    fam.provider[rows] = -1
    fam.trust_school[rows] = p.trust_initial
    fam.trust_la[rows] = p.trust_initial
    fam.provision[rows] = 0.0
    fam.unmet[rows] = 0.0
    fam.private[rows] = 0.0
    fam.progress[rows] = 0.0
    # Wellbeing is tracked while a child has a need; without one it is 1.
    fam.wellbeing[rows] = np.where(need > 0, INITIAL_WELLBEING, 1.0)
    fam.events[rows] = 0


def leave(fam: Families, rows: np.ndarray) -> None:
    """Children in ``rows`` leave the model; their rows become free for reuse."""
    fam.active[rows] = 0
    fam.stage[rows] = S.IDLE


def _chance(key, stream: int, fam: Families, rows: np.ndarray, tick: int,
            probability) -> np.ndarray:
    """Rows of ``rows`` whose draw on ``stream`` falls below ``probability``."""
    if rows.size == 0:
        return rows
    return rows[rng.uniforms(key, stream, fam.uid[rows], tick) < probability]


def age_and_transfer(fam: Families, p, key, tick: int, schools, special_threshold: np.ndarray,
                     neet_logit_shift: float = 0.0) -> dict[str, float]:
    """Move everyone up a year; the move into Reception; transfers at Year 7 and
    post-16; leavers.

    ``special_threshold`` is each LA's need at which a plan names a special setting: a
    plan-holder moving into Reception with such a need waits for a special place.

    Draws are made only for the children a decision concerns (each keyed by its uid,
    so the subset does not change anyone's draw). The move itself is one pass over
    the rows (:func:`sendabm.core.kernels.school_year.age_rows`).

    Returns:
        Counts of this September's leavers and destinations (sample scale).
    """
    leaving = np.empty(fam.active.size, dtype=np.bool_)
    shares = np.array([p.post16_fe_share, p.post16_plan_continue, p.post19_cease_per_year])
    age_rows(fam, key, tick, shares, schools.first[PRIMARY], schools.count[PRIMARY],
             schools.first[SECONDARY], schools.count[SECONDARY],
             np.asarray(special_threshold, dtype=np.float64), leaving)
    leaving = np.flatnonzero(leaving)
    progress = fam.progress[leaving].astype(np.float64)
    # A destinations service (policy R5) supports leavers with SEN only.
    shift = np.where(fam.sen[leaving] != S.SEN_NONE, neet_logit_shift, 0.0)
    neet_chance = 1.0 / (1.0 + np.exp(-(NEET_BASE_LOGIT + shift - progress)))
    neet = _chance(key, rng.DESTINATION, fam, leaving, tick, neet_chance)
    leave(fam, leaving)
    return {"leavers": float(leaving.size), "leavers_neet": float(neet.size)}
