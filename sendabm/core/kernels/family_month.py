"""Families' month: needs change, schools identify and provide, families appraise.

This is the numba kernel for ODD §3 steps 2-4, run over every row in parallel.
Its readable twin is :meth:`sendabm.core.actors.family.Family.month`; the two must agree exactly
(``tests/test_kernel_equivalence.py``). Each row reads only its own columns and
institution-level arrays that are fixed during the month, and every random draw is
keyed by the child's ``uid``, so the result does not depend on the thread count.

All arithmetic is done in float64 on values loaded from the float32 columns, then
stored back, so that the Python twin (which also computes in float64) rounds the
same way.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.actors import tribunal as TR
from sendabm.core.actors.family import (
    MILD_NEED,
    NEED_CAP,
    ONSET_HORIZON,
    PLACEMENT_GAP,
    REQUEST_GAP,
    SPECIAL_PREFERENCE_NEED_WEIGHT,
)
from sendabm.core.kernels import parameter_record
from sendabm.core.kernels.threads import chunk_size, over_row_chunks, row_chunks
from sendabm.core.param import NEED_UNIT_GBP
from sendabm.core.population import NEVER

legal_bar = njit(cache=True, inline="always")(TR.legal_bar)
"""The legal bar by what was refused (:func:`sendabm.core.actors.tribunal.legal_bar`),
compiled."""

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
def onset_chance(year, onset_multiplier, p):
    """Monthly chance a child without SEN develops a need (before Reception, at the
    early-years hazard: :func:`sendabm.core.actors.family.early_years_onset_per_year`)."""
    if year < 0:
        at_two = p.early_years_need_share * p.need_at_entry
        yearly = math.log((1.0 - at_two) / (1.0 - p.need_at_entry)) / S.EARLY_YEARS_GROUPS
    else:
        yearly = p.need_onset_per_year * (1.0 + p.need_onset_age_slope * year)
    return yearly * onset_multiplier / 12.0


@njit(cache=True)
def next_onset(key, uid, now, year_now, first, multipliers, p):
    """Month in which a need emerges for a child without one, or NEVER.

    The child draws, from month ``first`` on, exactly the monthly onset draws the
    per-family step makes (same stream, same chance), until one succeeds or the child
    leaves the school years; the year group rises each September after ``now``. So
    scheduling the onset in advance gives the same month as drawing every month,
    without visiting the child monthly.
    """
    year = np.int64(year_now)
    for t in range(first, min(first + ONSET_HORIZON, multipliers.shape[0])):
        if t > now and t % 12 == 0:  # tick 0 is September
            year += 1
        if year >= S.SCHOOL_YEARS:
            return NEVER
        if rng.uniform(key, rng.ONSET, uid, t) < onset_chance(year, multipliers[t], p):
            return t
    return NEVER


@njit(cache=True, inline="always")
def drifted(need, unmet, z, p):
    """Severity after a month of random drift and escalation while unmet."""
    return min(NEED_CAP, need * math.exp(p.need_drift_sd * z + p.unmet_escalation * unmet / need))


@njit(cache=True, inline="always")
def mainstream_provision(need, sen, topup, inclusiveness, support_ratio, core_offer, p):
    """Support a mainstream school gives: ordinarily available provision, SEN support
    within its notional budget and, with a plan, the LA's top-up (need units)."""
    support = p.ordinarily_available_units * inclusiveness + core_offer
    if sen != S.SEN_NONE:
        support += min(need, p.notional_threshold_gbp / NEED_UNIT_GBP) * support_ratio
    if sen == S.EHCP:
        support += topup
    return min(need, support)


@njit(cache=True, inline="always")
def request_logit(unmet_share, distrust, resources, need, base_logit, p):
    """Log-odds that a family requests an EHC needs assessment this month.

    ``base_logit`` is ``logit(p.request_base_per_month)`` (times the month's request factor)
    plus the family's LA's request offset, which the caller works out once per month
    rather than once per family.
    """
    return (base_logit + p.request_unmet_weight * unmet_share
            + p.request_distrust_weight * distrust
            + p.request_resources_weight * (resources - 0.5)
            + p.request_severity_weight * need)


@njit(cache=True, inline="always")
def special_preference_logit(unmet_share, distrust, need, p):
    """Log-odds that a family with a plan asks for a special setting this month."""
    return (p.special_preference_base_logit
            + p.special_preference_weight * (unmet_share + distrust)
            + SPECIAL_PREFERENCE_NEED_WEIGHT * need)


@njit(cache=True, inline="always")
def appeal_logit(expected_success, area_shift, resources, trust_la, need, kind, p):
    """Log-odds that a family appeals a refusal of ``kind`` this month (``area_shift``:
    its LA's appeal offset, log-odds): the child's need is weighed against the legal bar
    for what was refused (:func:`legal_bar`), low for an assessment."""
    return (p.appeal_base_logit + area_shift + p.appeal_success_weight * expected_success
            + p.request_resources_weight * (resources - 0.5) - p.appeal_cost_weight
            + p.appeal_distrust_weight * (1.0 - trust_la)
            + p.appeal_severity_weight * (need - legal_bar(kind, p)))


@njit(cache=True, inline="always")
def redress_route(u, kind, need, unmet, resources, trust_la, setting, year, contests, p):
    """The route beyond the tribunal a family takes at the end of a dispute (``states.
    ROUTE_*``) for the uniform draw ``u``: a multinomial logit over the routes open to
    it and none (log-odds 0). Twin: :func:`sendabm.core.actors.family.redress_probabilities`.

    A complaint is open to every family; judicial review only against a refusal to
    assess or to issue a plan where the need is ``judicial_review_clear_margin`` times
    the legal bar; paying privately only with unmet need; home education only for a
    child of school age at school. A family that wanted a closed route (``contests``)
    adds ``redress_contest_shift`` to every route.
    """
    shift = p.redress_contest_shift if contests else 0.0
    distrust = 1.0 - trust_la
    unmet_share = unmet / need if need > 0.0 else 0.0
    complaint = math.exp(p.complaint_base_logit + shift + p.complaint_distrust_weight * distrust)
    review = private = home = 0.0
    bar = legal_bar(kind, p)
    if (kind == S.KIND_ASSESS or kind == S.KIND_PLAN) and need >= (
            p.judicial_review_clear_margin * bar):
        review = math.exp(p.judicial_review_base_logit + shift
                          + p.judicial_review_resources_weight * (resources - 0.5))
    if unmet > 0.0:
        private = math.exp(p.private_base_logit + shift
                           + p.private_resources_weight * (resources - 0.5)
                           + p.private_unmet_weight * unmet_share)
    if year < S.SCHOOL_YEARS and (setting == S.MAINSTREAM or setting == S.SPECIAL
                                  or setting == S.INDEPENDENT):
        home = math.exp(p.home_education_base_logit + shift
                        + p.home_education_unmet_weight * unmet_share
                        + p.home_education_distrust_weight * distrust)
    total = 1.0 + complaint + review + private + home
    acc = complaint / total
    if u < acc:
        return S.ROUTE_COMPLAINT
    acc += review / total
    if review > 0.0 and u < acc:
        return S.ROUTE_JUDICIAL_REVIEW
    acc += private / total
    if private > 0.0 and u < acc:
        return S.ROUTE_PRIVATE
    acc += home / total
    if home > 0.0 and u < acc:
        return S.ROUTE_HOME_EDUCATION
    return S.ROUTE_NONE


def family_month(fam, w, p, last_busy: np.ndarray,
                 onsets: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phases 2-4 (and the family side of 6) for every family that can change.

    A child without a need and without an open case can only develop a need, in the
    month scheduled in ``onset_tick`` (:func:`next_onset`). So the kernel visits last
    month's busy rows and this month's onsets, not all rows. Rows are processed in
    fixed chunks, one serial :func:`family_rows` call each, so numba's parallel pass
    only dispatches chunks: it does not have to understand (and has been seen to
    mis-handle) the branches of the loop body.

    Args:
        fam: The family columns.
        w: The month's :class:`~sendabm.core.actors.family.FamilyWorld`.
        p: The month's parameters.
        last_busy: Last month's busy rows: the only rows that can hold events, which
            are cleared as the kernel visits them (every row's events start the month
            at zero).
        onsets: This month's onset rows, ascending (from
            :class:`~sendabm.core.kernels.onset_schedule.OnsetSchedule`); found by
            reading the ``onset_tick`` column if None.

    Returns:
        (busy, cases, rescheduled). *busy*: the rows, ascending, with a need, an open
        case or an event this month. Every other active row is a child without a need
        whose state did not change, so later phases need only visit the busy rows.
        *cases*: the busy rows with an open case, ascending int64 (what the LA,
        tribunal and placement phases visit). *rescheduled*: rows whose need resolved
        this month and whose next onset month was drawn (for the schedule).
    """
    if onsets is None:
        onsets = np.flatnonzero(fam.onset_tick == w.tick).astype(np.int32)
    rows = merge_sorted(last_busy.astype(np.int32), onsets)
    busy = np.empty(rows.shape[0], dtype=np.int32)
    cases = np.empty(rows.shape[0], dtype=np.int64)
    moved = np.empty(rows.shape[0], dtype=np.int32)
    n_chunks = row_chunks()
    found = np.zeros((n_chunks, 3), dtype=np.int64)
    params = parameter_record(p)

    def chunk(c: int, start: int, stop: int) -> None:
        found[c, 0], found[c, 1], found[c, 2] = family_rows(
            fam, w, params, rows, start, stop, busy, cases, moved)

    over_row_chunks(rows.shape[0], n_chunks, chunk)
    size = chunk_size(rows.shape[0], n_chunks)
    return tuple(np.concatenate([out[c * size:c * size + found[c, k]] for c in range(n_chunks)])
                 for k, out in enumerate((busy, cases, moved)))


@njit(cache=True, inline="always")
def _copy_run(a, lo, hi, out, at):
    """``out[at:at + hi - lo] = a[lo:hi]``, written as a loop (which compiles to a block
    copy): numba's slice assignment from an array also compiles the formatting of its
    shape-mismatch error, about a second of the first run's compiling."""
    for t in range(hi - lo):
        out[at + t] = a[lo + t]


@njit(cache=True)
def merge_sorted(a, b):
    """Union of two ascending int32 arrays without repeats, ascending.

    Made for a long ``a`` (last month's busy rows) and a short ``b`` (onsets, an
    intake): the runs of ``a`` between ``b``'s entries are block copies.
    """
    out = np.empty(a.shape[0] + b.shape[0], dtype=np.int32)
    n = j = 0
    for v in b:
        stop = j + np.searchsorted(a[j:], v)
        _copy_run(a, j, stop, out, n)
        n += stop - j
        j = stop
        if j < a.shape[0] and a[j] == v:
            j += 1
        out[n] = v
        n += 1
    _copy_run(a, j, a.shape[0], out, n)
    return out[:n + a.shape[0] - j]


def busy_rows(fam) -> np.ndarray:
    """Rows with a need, an open case or an event (what :func:`family_month` returns)."""
    return np.flatnonzero((fam.active == 1) & ((fam.need > 0) | (fam.stage != S.IDLE)
                                               | (fam.events != 0))).astype(np.int32)


DRIFT_BLOCK = 256
"""Rows whose drifted need is worked out ahead of the main loop, at a time."""


@njit(cache=True, inline="always")
def _drift_block(rows, lo, hi, active, year, need_col, unmet_col, uid, key, tick, p, drift):
    """Drifted need (:func:`drifted`) of each child in ``rows[lo:hi]`` whose need drifts
    this month (in school years, with a need), into ``drift[k - lo]``.

    The same draws and arithmetic as in the main loop, done first in a short loop of
    their own: there the normal quantile and ``exp`` of consecutive children overlap
    in the processor instead of waiting on each other (the family kernel ran about
    10% faster). Each child's need and unmet need are read before the main loop
    changes them, as the main loop would read them, so the values are the same.
    """
    for k in range(lo, hi):
        i = rows[k]
        need = np.float64(need_col[i])
        if active[i] != 0 and year[i] < S.SCHOOL_YEARS and need > 0.0:
            drift[k - lo] = drifted(need, np.float64(unmet_col[i]),
                                    rng.normal(key, rng.DRIFT, uid[i], tick), p)


@njit(cache=True, nogil=True)
def family_rows(fam, w, params, rows, start, stop, busy, cases, moved):
    """One month for ``rows[start:stop]``; returns how many rows it wrote to ``busy``,
    to ``cases`` (busy rows with an open case) and to ``moved`` (rows given a new
    onset month), from index ``start`` in each. ``params`` is the month's
    :func:`~sendabm.core.kernels.parameter_record`.

    The columns are unpacked once so the loop body works on plain arrays and
    scalars: passing the column tuple to a helper per row costs more than the
    work itself (every array's reference count is touched on each call).
    """
    p = params[0]
    active, uid, la, school, provider = fam.active, fam.uid, fam.la, fam.school, fam.provider
    year, need_type, need_col, sen_col = fam.year, fam.need_type, fam.need, fam.sen
    setting_col, stage_col, kind_col = fam.setting, fam.stage, fam.kind
    stage_tick, request_tick, last_request = fam.stage_tick, fam.request_tick, fam.last_request_tick
    resources_col, trust_school_col, trust_la_col = fam.resources, fam.trust_school, fam.trust_la
    provision_col, unmet_col = fam.provision, fam.unmet
    topup_col, events_col, private_col = fam.topup, fam.events, fam.private
    key, tick = w.key, w.tick
    private_fade = math.exp(-1.0 / p.private_months)
    threshold_units = p.notional_threshold_gbp / NEED_UNIT_GBP
    request_base_logit = logit(p.request_base_per_month * w.request_factor)
    school_request_chance = p.school_request_per_month * w.request_factor
    early_request_chance = p.early_years_request_per_month * w.request_factor
    # Indexed by year group - FIRST_YEAR (the early years first).
    onset_by_year = np.empty(S.SCHOOL_YEARS - S.FIRST_YEAR)
    for y in range(S.FIRST_YEAR, S.SCHOOL_YEARS):
        onset_by_year[y - S.FIRST_YEAR] = onset_chance(y, w.onset_multiplier, p)
    onset_tick = fam.onset_tick
    found = 0
    n_cases = 0
    n_moved = 0
    drift = np.empty(DRIFT_BLOCK)
    for k in range(start, stop):
        if (k - start) % DRIFT_BLOCK == 0:
            _drift_block(rows, k, min(stop, k + DRIFT_BLOCK), active, year, need_col, unmet_col,
                         uid, key, tick, p, drift)
        i = rows[k]
        if active[i] == 0:
            events_col[i] = 0
            continue
        me = uid[i]
        y = year[i]
        need = np.float64(need_col[i])
        new_need = False
        if need <= 0.0 and stage_col[i] == S.IDLE:
            # A child with no need and no open case can only develop a need, in its
            # scheduled month. Its provision and unmet need are already zero and its
            # wellbeing 1 (last month's events, if any, are overwritten below).
            if onset_tick[i] != tick:
                events_col[i] = 0  # last month's (this row was busy then)
                continue
            new_need = True
        events = 0
        sen = sen_col[i]
        setting = setting_col[i]
        unmet = np.float64(unmet_col[i])
        # Phase 2: needs emerge, drift, worsen when unmet, or resolve.
        if y < S.SCHOOL_YEARS:
            if new_need or (need <= 0.0 and rng.uniform(key, rng.ONSET, me, tick)
                            < onset_by_year[y - S.FIRST_YEAR]):
                z = rng.normal(key, rng.SEVERITY, me, tick)
                severity = p.need_severity_median * math.exp(p.need_severity_sigma * z)
                need = min(NEED_CAP, severity)
                need_type[i] = need_type_of(rng.uniform(key, rng.NEED_TYPE, me, tick))
            elif need > 0.0:
                need = drift[(k - start) % DRIFT_BLOCK]
                if need < MILD_NEED and unmet <= 0.0 and sen != S.EHCP:
                    if rng.uniform(key, rng.RESOLVE, me, tick) < p.need_resolve_per_year / 12.0:
                        need = 0.0
                        need_type[i] = -1
                        sen = S.SEN_NONE
                        fam.wellbeing[i] = 1.0
                        private_col[i] = 0.0
                        onset_tick[i] = next_onset(key, me, tick, y, tick + 1,
                                                   w.onset_multipliers, p)
                        moved[start + n_moved] = i
                        n_moved += 1
            if need != need_col[i]:
                need_col[i] = need
        need = np.float64(need_col[i])
        # Phase 3: the school (or early-years setting) identifies SEN support; provision
        # and unmet need.
        in_school = setting == S.MAINSTREAM and y < S.SCHOOL_YEARS
        early = setting == S.EARLY_YEARS
        if need > 0.0 and sen == S.SEN_NONE and (in_school or early):
            rate = p.identification_per_month if in_school else (
                p.early_years_identification_per_month)
            if rng.uniform(key, rng.IDENTIFY, me, tick) < rate:
                sen = S.SEN_SUPPORT
        if sen != sen_col[i]:
            sen_col[i] = sen
        provision = 0.0
        if need > 0.0:
            if setting == S.MAINSTREAM:
                s = school[i]
                provision = mainstream_provision(need, sen, np.float64(topup_col[i]),
                                                 w.school_inclusiveness[s],
                                                 w.school_support_ratio[s], w.core_offer_units, p)
            elif setting == S.SPECIAL:
                provision = need * w.special_quality[provider[i]]
            elif setting == S.INDEPENDENT:
                provision = need
            elif setting == S.FURTHER_EDUCATION:
                provision = min(need, p.ordinarily_available_units + np.float64(topup_col[i])
                                + w.fe_support_units)
            elif setting == S.EARLY_YEARS:
                provision = p.early_years_support_units
                if sen == S.EHCP:
                    provision += p.early_years_plan_cost_gbp / NEED_UNIT_GBP
                provision = min(need, provision)
            private = np.float64(private_col[i])
            if private > 0.0:
                # Support the family pays for comes on top of the setting's, and fades.
                provision = min(need, provision + private)
                private_col[i] = private * private_fade
        provision_col[i] = provision
        unmet_col[i] = max(0.0, need - provision)
        unmet = np.float64(unmet_col[i])
        # Phase 4: trust moves towards experience and towards peers.
        if need > 0.0 and setting == S.MAINSTREAM:
            trust = np.float64(trust_school_col[i])
            trust = trust + p.trust_learning_rate * ((1.0 - unmet / need) - trust)
            trust_school_col[i] = ((1.0 - p.peer_weight) * trust
                                   + p.peer_weight * w.school_mean_trust[school[i]])
        elif need > 0.0 and early:
            trust = np.float64(trust_school_col[i])
            trust_school_col[i] = trust + p.trust_learning_rate * ((1.0 - unmet / need) - trust)
        if need > 0.0:
            trust_la = np.float64(trust_la_col[i])
            trust_la_col[i] = trust_la + p.trust_learning_rate * p.peer_weight * (
                w.la_mean_trust[la[i]] - trust_la)
        # Phase 6 (family side): after a refusal, mediate or appeal; without either, take a
        # route beyond the tribunal (complain, claim judicial review, pay privately, leave
        # school) or give up. A refused family's choices are drawn even when their route
        # is closed, so that its decision to contest is counted whichever route is open (a
        # closed one sends it to a route beyond the tribunal or leaves it unheard); the
        # draws are keyed by the child and month, so no other draw moves.
        stage = stage_col[i]
        if (stage == S.REFUSED or stage == S.MEDIATED) and stage_tick[i] < tick:
            refused = stage == S.REFUSED
            contests = refused and rng.uniform(
                key, rng.MEDIATION_CHOICE, me, tick) < p.mediation_uptake
            stage = S.IDLE
            if contests and w.mediation_open > 0.0:
                stage = S.MEDIATION
                events |= S.EV_MEDIATION
            elif (w.appeals_open > 0.0 or refused) and rng.uniform(
                    key, rng.APPEAL_CHOICE, me, tick) < sigmoid(
                    appeal_logit(w.la_expected_success[la[i]], w.la_appeal_shift[la[i]],
                                 np.float64(resources_col[i]),
                                 np.float64(trust_la_col[i]), need, kind_col[i], p)):
                if w.appeals_open > 0.0:
                    stage = S.APPEALING
                    events |= S.EV_APPEAL | (np.int64(kind_col[i]) << S.KIND_SHIFT)
                    if refused:
                        events |= S.EV_DISPUTE_TO_APPEAL
                else:
                    contests = True
            if stage == S.IDLE:
                # No tribunal route: a route beyond it, or none.
                route = redress_route(rng.uniform(key, rng.REDRESS_CHOICE, me, tick),
                                      kind_col[i], need, unmet, np.float64(resources_col[i]),
                                      np.float64(trust_la_col[i]), setting, y, contests, p)
                if route == S.ROUTE_NONE:
                    kind_col[i] = S.KIND_NONE
                    events |= S.EV_GAVE_UP
                    if contests:
                        events |= S.EV_DISPUTE_UNHEARD
                else:
                    if refused:
                        events |= S.EV_DISPUTE_TO_REDRESS
                    if route == S.ROUTE_COMPLAINT:
                        stage = S.COMPLAINT
                        events |= S.EV_COMPLAINT
                    elif route == S.ROUTE_JUDICIAL_REVIEW:
                        stage = S.JUDICIAL_REVIEW
                        events |= S.EV_JUDICIAL_REVIEW
                    elif route == S.ROUTE_HOME_EDUCATION:
                        stage = S.LEAVING_SCHOOL
                        events |= S.EV_HOME_EDUCATION
                    else:
                        private_col[i] = np.float64(private_col[i]) + (
                            p.private_cover_share * unmet)
                        kind_col[i] = S.KIND_NONE
                        events |= S.EV_PRIVATE_PROVISION
            if stage != S.IDLE:
                stage_tick[i] = tick
            stage_col[i] = stage
        # Phase 4: the family (or school) asks for an assessment or a special place.
        if stage == S.IDLE and (in_school or early) and need > 0.0 and (
                tick - last_request[i] >= REQUEST_GAP):
            unmet_share = unmet / need
            distrust = 1.0 - np.float64(trust_school_col[i])
            kind = S.KIND_NONE
            if sen == S.EHCP:
                if not early and tick - last_request[i] >= PLACEMENT_GAP and rng.uniform(
                        key, rng.SPECIAL_PREFERENCE, me, tick) < sigmoid(
                        special_preference_logit(unmet_share, distrust, need, p)):
                    kind = S.KIND_PLACEMENT
            elif rng.uniform(key, rng.REQUEST, me, tick) < sigmoid(request_logit(
                    unmet_share, distrust, np.float64(resources_col[i]), need,
                    request_base_logit + w.la_request_shift[la[i]], p)):
                kind = S.KIND_ASSESS
                events |= S.EV_REQUEST
            elif sen == S.SEN_SUPPORT and need > threshold_units and rng.uniform(
                    key, rng.SCHOOL_REQUEST, me, tick) < (
                    early_request_chance if early else school_request_chance
                    * (1.0 + (1.0 - w.school_support_ratio[school[i]]))):
                kind = S.KIND_ASSESS
                events |= S.EV_REQUEST | S.EV_SCHOOL_REQUEST
            if kind != S.KIND_NONE:
                if kind == S.KIND_ASSESS and last_request[i] != NEVER:
                    events |= S.EV_REPEAT_REQUEST
                stage_col[i] = S.REQUESTED
                kind_col[i] = kind
                stage_tick[i] = tick
                last_request[i] = tick
                if kind == S.KIND_ASSESS:
                    request_tick[i] = tick
        events_col[i] = events
        if need > 0.0 or stage_col[i] != S.IDLE or events != 0:
            busy[start + found] = i
            found += 1
            if stage_col[i] != S.IDLE:
                cases[start + n_cases] = i
                n_cases += 1
    return found, n_cases, n_moved
