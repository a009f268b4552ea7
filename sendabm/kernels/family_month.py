"""Families' month: needs change, schools identify and provide, families appraise.

This is the numba kernel for DESIGN §2 phases 2-4, run over every row in parallel.
Its readable twin is :meth:`sendabm.family.Family.month`; the two must agree exactly
(``tests/test_kernel_equivalence.py``). Each row reads only its own columns and
institution-level arrays that are fixed during the month, and every random draw is
keyed by the child's ``uid``, so the result does not depend on the thread count.

All arithmetic is done in float64 on values loaded from the float32 columns, then
stored back, so that the Python twin (which also computes in float64) rounds the
same way.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit, prange

from sendabm import rng
from sendabm import states as S

FamilyWorld = namedtuple(
    "FamilyWorld",
    [
        "key",                    # uint64 run key
        "tick",                   # int64 current tick
        "onset_multiplier",       # float: identification trend factor this year
        "school_support_ratio",   # float64[n_school]: share of SEN support a school can fund
        "school_inclusiveness",   # float64[n_school] in [0, 1]
        "school_mean_trust",      # float64[n_school]: families' mean trust last month
        "special_quality",        # float64[n_special]: share of need met (falls when crowded)
        "la_mean_trust",          # float64[n_la]: families' mean trust in the LA last month
        "la_expected_success",    # float64[n_la]: appeal success parents expect
        "appeals_open",           # float 1.0 if families can appeal to a tribunal
        "mediation_open",         # float 1.0 if mediation is available
        "core_offer_units",       # float need units of support available without a plan
    ],
)

NEED_CAP = 10.0
"""Largest need severity, need units."""
MILD_NEED = 0.2
"""Needs below this may resolve on their own, need units."""
REQUEST_GAP = 6
"""Months a family waits after a request before asking again."""
PLACEMENT_GAP = 12
"""Months between requests for a change of setting."""


@njit(cache=True, inline="always")
def sigmoid(x):
    """Logistic function."""
    return 1.0 / (1.0 + math.exp(-x))


@njit(cache=True, inline="always")
def logit(p):
    """Inverse of :func:`sigmoid` for p in (0, 1)."""
    return math.log(p / (1.0 - p))


@njit(cache=True, inline="always")
def need_type_of(u):
    """Primary need area for a uniform draw, by the national shares."""
    acc = 0.0
    for k in range(len(S.NEED_SHARES)):
        acc += S.NEED_SHARES[k]
        if u < acc:
            return k
    return len(S.NEED_SHARES) - 1


@njit(cache=True, inline="always")
def _needs(fam, i, w, p):
    """Phase 2: a need emerges, drifts, escalates when unmet, or resolves."""
    uid = fam.uid[i]
    need = np.float64(fam.need[i])
    if fam.year[i] > S.SCHOOL_YEARS - 1:
        return
    if need <= 0.0:
        hazard = p.need_onset_per_year * (1.0 + p.need_onset_age_slope * fam.year[i])
        hazard = hazard * w.onset_multiplier / 12.0
        if rng.uniform(w.key, rng.ONSET, uid, w.tick) < hazard:
            z = rng.normal(w.key, rng.SEVERITY, uid, w.tick)
            fam.need[i] = min(NEED_CAP, p.need_severity_median * math.exp(p.need_severity_sigma * z))
            fam.need_type[i] = need_type_of(rng.uniform(w.key, rng.NEED_TYPE, uid, w.tick))
        return
    unmet = np.float64(fam.unmet[i])
    z = rng.normal(w.key, rng.DRIFT, uid, w.tick)
    need = need * math.exp(p.need_drift_sd * z + p.unmet_escalation * unmet / need)
    need = min(NEED_CAP, need)
    if need < MILD_NEED and unmet <= 0.0 and fam.sen[i] != S.EHCP:
        if rng.uniform(w.key, rng.RESOLVE, uid, w.tick) < p.need_resolve_per_year / 12.0:
            need = 0.0
            fam.need_type[i] = -1
            fam.sen[i] = S.SEN_NONE
    fam.need[i] = need


@njit(cache=True, inline="always")
def provision_for(fam, i, w, p):
    """Phase 3: support the child receives this month in its setting, need units."""
    need = np.float64(fam.need[i])
    setting = fam.setting[i]
    if need <= 0.0:
        return 0.0
    if setting == S.MAINSTREAM:
        s = fam.school[i]
        inclusiveness = w.school_inclusiveness[s]
        support = p.ordinarily_available_units * inclusiveness + w.core_offer_units
        threshold_units = p.notional_threshold_gbp / 10000.0
        if fam.sen[i] != S.SEN_NONE:
            support += min(need, threshold_units) * w.school_support_ratio[s]
        if fam.sen[i] == S.EHCP:
            support += np.float64(fam.topup[i])
        return min(need, support)
    if setting == S.SPECIAL:
        return need * w.special_quality[fam.provider[i]]
    if setting == S.INDEPENDENT:
        return need
    if setting == S.FURTHER_EDUCATION:
        return min(need, p.ordinarily_available_units + np.float64(fam.topup[i]))
    return 0.0


@njit(cache=True, inline="always")
def _identify_and_provide(fam, i, w, p):
    """Phase 3: the school records SEN support, then provision and unmet need."""
    if (fam.need[i] > 0.0 and fam.sen[i] == S.SEN_NONE and fam.setting[i] == S.MAINSTREAM
            and fam.year[i] < S.SCHOOL_YEARS):
        if rng.uniform(w.key, rng.IDENTIFY, fam.uid[i], w.tick) < p.identification_per_month:
            fam.sen[i] = S.SEN_SUPPORT
    provision = provision_for(fam, i, w, p)
    fam.provision[i] = provision
    fam.unmet[i] = max(0.0, np.float64(fam.need[i]) - provision)


@njit(cache=True, inline="always")
def _update_trust(fam, i, w, p):
    """Phase 4: trust moves towards experience and towards peers' trust."""
    need = np.float64(fam.need[i])
    if need <= 0.0:
        return
    rate = p.trust_learning_rate
    if fam.setting[i] == S.MAINSTREAM:
        met_share = 1.0 - np.float64(fam.unmet[i]) / need
        trust = np.float64(fam.trust_school[i])
        trust = trust + rate * (met_share - trust)
        trust = (1.0 - p.peer_weight) * trust + p.peer_weight * w.school_mean_trust[fam.school[i]]
        fam.trust_school[i] = trust
    trust_la = np.float64(fam.trust_la[i])
    trust_la = trust_la + rate * p.peer_weight * (w.la_mean_trust[fam.la[i]] - trust_la)
    fam.trust_la[i] = trust_la


@njit(cache=True, inline="always")
def _open_case(fam, i, w, kind):
    fam.stage[i] = S.REQUESTED
    fam.kind[i] = kind
    fam.stage_tick[i] = w.tick
    fam.last_request_tick[i] = w.tick
    if kind == S.KIND_ASSESS:
        fam.request_tick[i] = w.tick


@njit(cache=True, inline="always")
def _request(fam, i, w, p):
    """Phase 4: the family (or school) asks for an assessment or a special place."""
    if fam.stage[i] != S.IDLE or fam.setting[i] != S.MAINSTREAM or fam.year[i] >= S.SCHOOL_YEARS:
        return
    need = np.float64(fam.need[i])
    if need <= 0.0 or w.tick - fam.last_request_tick[i] < REQUEST_GAP:
        return
    uid = fam.uid[i]
    unmet_share = np.float64(fam.unmet[i]) / need
    distrust = 1.0 - np.float64(fam.trust_school[i])
    if fam.sen[i] == S.EHCP:
        if w.tick - fam.last_request_tick[i] < PLACEMENT_GAP:
            return
        x = p.special_preference_base_logit + p.special_preference_weight * (
            unmet_share + distrust) + 0.5 * need
        if rng.uniform(w.key, rng.SPECIAL_PREFERENCE, uid, w.tick) < sigmoid(x):
            _open_case(fam, i, w, S.KIND_PLACEMENT)
        return
    x = (logit(p.request_base_per_month) + p.request_unmet_weight * unmet_share
         + p.request_distrust_weight * distrust
         + p.request_resources_weight * (np.float64(fam.resources[i]) - 0.5)
         + p.request_severity_weight * need)
    if rng.uniform(w.key, rng.REQUEST, uid, w.tick) < sigmoid(x):
        _open_case(fam, i, w, S.KIND_ASSESS)
        fam.events[i] |= S.EV_REQUEST
        return
    threshold_units = p.notional_threshold_gbp / 10000.0
    if fam.sen[i] == S.SEN_SUPPORT and need > threshold_units:
        pressure = 1.0 - w.school_support_ratio[fam.school[i]]
        if rng.uniform(w.key, rng.SCHOOL_REQUEST, uid, w.tick) < p.school_request_per_month * (
                1.0 + pressure):
            _open_case(fam, i, w, S.KIND_ASSESS)
            fam.events[i] |= S.EV_REQUEST | S.EV_SCHOOL_REQUEST


@njit(cache=True, inline="always")
def appeal_propensity(fam, i, w, p):
    """Probability the family appeals a refusal this month."""
    x = (p.appeal_base_logit + p.appeal_success_weight * w.la_expected_success[fam.la[i]]
         + p.request_resources_weight * (np.float64(fam.resources[i]) - 0.5)
         - p.appeal_cost_weight + 2.0 * (1.0 - np.float64(fam.trust_la[i]))
         + 0.5 * np.float64(fam.need[i]))
    return sigmoid(x)


@njit(cache=True, inline="always")
def _dispute_choice(fam, i, w, p):
    """Phase 6 (family side): after a refusal, mediate, appeal or give up."""
    stage = fam.stage[i]
    if (stage != S.REFUSED and stage != S.MEDIATED) or fam.stage_tick[i] >= w.tick:
        return
    uid = fam.uid[i]
    if stage == S.REFUSED and w.mediation_open > 0.0:
        if rng.uniform(w.key, rng.MEDIATION_CHOICE, uid, w.tick) < p.mediation_uptake:
            fam.stage[i] = S.MEDIATION
            fam.stage_tick[i] = w.tick
            fam.events[i] |= S.EV_MEDIATION
            return
    if w.appeals_open > 0.0:
        if rng.uniform(w.key, rng.APPEAL_CHOICE, uid, w.tick) < appeal_propensity(fam, i, w, p):
            fam.stage[i] = S.APPEALING
            fam.stage_tick[i] = w.tick
            fam.events[i] |= S.EV_APPEAL
            return
    fam.stage[i] = S.IDLE
    fam.kind[i] = S.KIND_NONE
    fam.events[i] |= S.EV_GAVE_UP


@njit(cache=True, inline="always")
def family_row(fam, i, w, p):
    """One family's month (phases 2-4 and the family side of 6)."""
    fam.events[i] = 0
    _needs(fam, i, w, p)
    _identify_and_provide(fam, i, w, p)
    _update_trust(fam, i, w, p)
    _dispute_choice(fam, i, w, p)
    _request(fam, i, w, p)


@njit(cache=True, parallel=True)
def family_month(fam, w, p):
    """Run :func:`family_row` for every active row, in parallel."""
    for i in prange(fam.active.shape[0]):
        if fam.active[i]:
            family_row(fam, i, w, p)
