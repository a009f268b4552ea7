"""The school year (ODD §3 step 1) and new children, child by child.

The readable reference for :func:`sendabm.core.cohorts.age_and_transfer` (with its
kernel :func:`sendabm.core.kernels.school_year.age_rows`) and
:func:`sendabm.core.cohorts.init_rows`: each September every child moves up a year,
children moving from early years into Reception are given a primary school (plan-holders
with a specialist need wait for a special place), mainstream pupils entering Year 7 a
secondary school, plan holders may move to further education at 16 and continue after
Year 13, post-19 plans cease at a yearly rate, leavers go (some NEET) and a new cohort of
two-year-olds arrives in early years. Constants come from the actor modules.
"""

from __future__ import annotations

import math

import numpy as np

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.actors.family import (
    INITIAL_IDENTIFIED,
    INITIAL_WELLBEING,
    NEED_CAP,
    NEET_BASE_LOGIT,
    early_years_onset_per_year,
    need_type_of,
)
from sendabm.core.actors.mainstream import PRIMARY, SECONDARY
from sendabm.core.param import NEED_UNIT_GBP
from sendabm.core.population import NEVER

BRANCHES = (
    "secondary_transfer", "post16_further_education", "post16_stays", "plan_continues_post19",
    "plan_ends_at_19", "post19_plan_ceases", "leaves", "leaves_neet",
    "starts_special", "starts_independent", "starts_further_education", "moves_into_reception",
    "reception_awaits_place", "starts_early_years_plan",
)
"""Branches of the school year, counted by :class:`~sendabm.core.reference.branches.Branches`."""


def age_and_transfer(ref, fam, p, key, tick: int, schools, special_threshold,
                     neet_logit_shift: float = 0.0) -> dict[str, float]:
    """Move every child up a year; transfers at Year 7 and post-16; leavers leave.

    Args:
        ref: The reference backend (family views, random numbers, branch counts).
        fam: The family columns.
        p: Parameters.
        key: Run key (the draws are ``ref``'s, made with the same key).
        tick: Current tick (a September).
        schools: The mainstream schools (each LA's primaries and secondaries).
        special_threshold: Each LA's need at which a plan names a special setting.
        neet_logit_shift: Shift of the NEET log-odds of leavers with SEN.

    Returns:
        This September's leavers and those of them NEET (sample scale).
    """
    leavers = neet = 0
    for row in np.flatnonzero(fam.active):
        family = ref.family(row)
        if not _moves_up(ref, family, p, tick, schools, special_threshold):
            continue
        leavers += 1
        # A destinations service (policy R5) supports leavers with SEN only.
        shift = neet_logit_shift if family.sen != S.SEN_NONE else 0.0
        chance = 1.0 / (1.0 + math.exp(-(NEET_BASE_LOGIT + shift - family.progress)))
        if ref.draw.uniform(rng.DESTINATION, family.uid, tick) < chance:
            ref.hit("leaves_neet")
            neet += 1
        ref.hit("leaves")
        family.active = 0
        family.stage = S.IDLE
    return {"leavers": float(leavers), "leavers_neet": float(neet)}


def _moves_up(ref, family, p, tick: int, schools, special_threshold) -> bool:
    """The child moves up a year; returns whether it leaves."""
    year = family.year + 1
    family.year = year
    plan = family.sen == S.EHCP
    if year == 0 and family.setting == S.EARLY_YEARS:
        ref.hit("moves_into_reception")
        family.setting = S.MAINSTREAM
        family.school = pick_school(schools, PRIMARY, family.la,
                                    ref.draw.uniform(rng.SCHOOL_CHOICE, family.uid, tick))
        if plan and family.stage == S.IDLE and family.need >= special_threshold[family.la]:
            ref.hit("reception_awaits_place")
            family.stage = S.AWAITING_PLACE
            family.stage_tick = tick
            family.kind = S.KIND_PLACEMENT
            family.place_wait = S.PLACE_SPECIAL
    mainstream = family.setting == S.MAINSTREAM
    if mainstream and year == 7:
        ref.hit("secondary_transfer")
        family.school = pick_school(schools, SECONDARY, family.la,
                                    ref.draw.uniform(rng.SCHOOL_CHOICE, family.uid, tick))
    if plan and mainstream and year == 12:
        if ref.draw.uniform(rng.POST16_FE, family.uid, tick) < p.post16_fe_share:
            ref.hit("post16_further_education")
            family.setting = S.FURTHER_EDUCATION
        else:
            ref.hit("post16_stays")
    completed = year == S.SCHOOL_YEARS
    continues = False
    if completed and plan:
        continues = ref.draw.uniform(rng.POST16, family.uid, tick) < p.post16_plan_continue
        if continues:
            ref.hit("plan_continues_post19")
            family.setting = S.FURTHER_EDUCATION
        else:
            ref.hit("plan_ends_at_19")
    if year >= S.SCHOOL_YEARS:
        # Young people past Year 13 continue in further education: school cases close.
        family.stage = S.IDLE
        family.kind = S.KIND_NONE
        family.place_wait = 0
    ceased = False
    if year > S.SCHOOL_YEARS:
        ceased = ref.draw.uniform(rng.POST19_CEASE, family.uid, tick) < p.post19_cease_per_year
        if ceased:
            ref.hit("post19_plan_ceases")
    return (completed and not continues) or ceased or year > S.FINAL_YEAR


def pick_school(schools, phase: int, la: int, u: float) -> int:
    """The school of ``phase`` in LA ``la`` a uniform draw ``u`` picks (all equally likely)."""
    count = int(schools.count[phase][la])
    return int(schools.first[phase][la]) + min(int(u * count), count - 1)


def prevalence(year: int, p) -> float:
    """Share of children in year group ``year`` with a need in 2014: the cumulative onset
    hazard from Reception entry (``need_at_entry``) to the start of the year; before
    Reception, less the early-years hazard of the years still to come before it."""
    onset_hazard = 0.0
    for age in range(min(year, S.SCHOOL_YEARS)):
        onset_hazard += p.need_onset_per_year * (1.0 + p.need_onset_age_slope * age)
    if year < 0:
        onset_hazard = early_years_onset_per_year(p) * year
    return 1.0 - math.exp(-(-math.log(1.0 - p.need_at_entry) + onset_hazard))


def identified_share(year: int, p) -> float:
    """Chance a starting or arriving child's need is recorded as SEN support: at school
    age ``INITIAL_IDENTIFIED``; before Reception, that of identification at the
    early-years rate over the months since the middle of its first year (age 2)."""
    if year >= 0:
        return INITIAL_IDENTIFIED
    months = 12.0 * (year - S.FIRST_YEAR) + 6.0
    return -math.expm1(-p.early_years_identification_per_month * months)


def init_rows(ref, fam, rows, la, year, uid, tick: int, p, key, plan_threshold,
              special_threshold, initial: bool, independent_need=None) -> None:
    """Set up a child in each of ``rows``: need, SEN status, resources, setting and trust.

    Args:
        ref: The reference backend (family views, random numbers, branch counts).
        fam: The family columns.
        rows, la, year, uid: Each new child's row, LA, year group and identity.
        tick: Current tick (keys the draws).
        p: Parameters.
        key: Run key (the draws are ``ref``'s, made with the same key).
        plan_threshold: Each LA's plan threshold, need units.
        special_threshold: Each LA's special-setting threshold, need units.
        initial: True for the 2014 population (settings given directly); False for an
            intake (children needing a special place join the queue for one).
        independent_need: Each LA's need at or above which a plan-holder of the 2014
            population is in an independent special school (``initial`` only).
    """
    for k, row in enumerate(rows):
        family = ref.family(row)
        family.active = 1
        family.uid, family.la, family.year = int(uid[k]), int(la[k]), int(year[k])
        independent = float(independent_need[la[k]]) if initial else math.inf
        _new_child(ref, family, tick, p, float(plan_threshold[la[k]]),
                   float(special_threshold[la[k]]), initial, independent)


def _new_child(ref, family, tick: int, p, plan_threshold: float, special_threshold: float,
               initial: bool, independent_need: float) -> None:
    def u(stream: int) -> float:
        return ref.draw.uniform(stream, family.uid, tick)

    def z(stream: int) -> float:
        return ref.draw.normal(stream, family.uid, tick)

    resources = u(rng.INIT_RESOURCES)
    family.resources = resources
    family.quintile = min(4, int(resources * 5)) + 1
    # The need, as drawn (float64): the decisions below read it before it is stored.
    need = 0.0
    has_need = u(rng.INIT_NEED) < prevalence(family.year, p)
    if has_need:
        need = min(p.need_severity_median * math.exp(p.need_severity_sigma
                                                     * z(rng.INIT_SEVERITY)), NEED_CAP)
    family.need = need
    family.need_type = need_type_of(u(rng.INIT_NEED_TYPE)) if has_need else -1
    identified = has_need and u(rng.INIT_IDENTIFY) < identified_share(family.year, p)
    view = need * math.exp(p.la_observation_sd * z(rng.INIT_STATUS))
    early = family.year < 0
    # An arriving two-year-old has no plan yet; the 2014 population's plans are its stock.
    plan = identified and view >= plan_threshold and (initial or not early)
    family.sen = S.EHCP if plan else S.SEN_SUPPORT if identified else S.SEN_NONE
    threshold_units = p.notional_threshold_gbp / NEED_UNIT_GBP
    family.topup = (max(0.0, need - threshold_units - p.ordinarily_available_units)
                    * p.topup_rate if plan else 0.0)
    setting, stage = S.MAINSTREAM, S.IDLE
    specialist = plan and need >= special_threshold
    if early:
        # Before Reception a plan names the early-years setting.
        setting = S.EARLY_YEARS
        if plan:
            ref.hit("starts_early_years_plan")
    elif initial:
        setting = _starting_setting(ref, family, p, plan, specialist, need, u,
                                     independent_need)
    family.setting, family.stage = setting, stage
    waiting = stage == S.AWAITING_PLACE
    family.kind = S.KIND_PLACEMENT if waiting else S.KIND_NONE
    family.place_wait = S.PLACE_SPECIAL if waiting else 0
    family.stage_tick = tick if waiting else NEVER
    family.request_tick = NEVER
    family.last_request_tick = NEVER
    family.school = -1
    family.provider = -1
    family.trust_school = p.trust_initial
    family.trust_la = p.trust_initial
    family.provision = 0.0
    family.unmet = 0.0
    family.private = 0.0
    family.progress = 0.0
    # Wellbeing is tracked while a child has a need; without one it is 1.
    family.wellbeing = INITIAL_WELLBEING if need > 0 else 1.0
    family.events = 0


def _starting_setting(ref, family, p, plan: bool, specialist: bool, need: float, u,
                      independent_need: float) -> int:
    """Where a child of the 2014 population is educated."""
    setting = S.MAINSTREAM
    if specialist:
        setting = S.SPECIAL
    if plan and need >= independent_need:
        setting = S.INDEPENDENT
    if plan and setting == S.MAINSTREAM and family.year >= 12 and (
            u(rng.POST16_FE) < p.post16_fe_share):
        setting = S.FURTHER_EDUCATION
    name = {S.SPECIAL: "starts_special", S.INDEPENDENT: "starts_independent",
            S.FURTHER_EDUCATION: "starts_further_education"}.get(setting)
    if name:
        ref.hit(name)
    return setting
