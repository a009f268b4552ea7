"""Institutions' decisions on open cases: LA decisions, disputes and placements.

ODD §3 steps 5-7 for the families with an open case (a small subset of rows,
listed in ``cases``). Loops are serial and visit cases in row order, so shared
resources (assessment slots, hearings, school places) are rationed the same way on
any thread count. Rationing where demand exceeds capacity is a lottery: each eligible
case is served with probability capacity / demand, using the case's own draw.

Readable twins: :mod:`sendabm.core.reference.decisions`, :mod:`~sendabm.core.reference.disputes`,
:mod:`~sendabm.core.reference.redress` and :mod:`~sendabm.core.reference.placing`.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.actors import local_authority as LA
from sendabm.core.actors.family import WITHDRAW_BELOW_MERIT
from sendabm.core.actors.local_authority import (
    ASSESSED_VIEW_NOISE,
    MIN_ASSESSMENT_MONTHS,
    WITHIN_20_WEEKS,
)
from sendabm.core.actors.tribunal import LOGISTIC_PROBIT
from sendabm.core.kernels.family_month import appeal_logit, legal_bar, sigmoid
from sendabm.core.param import NEED_UNIT_GBP

CaseWorld = namedtuple(
    "CaseWorld",
    [
        "key", "tick",
        "assess_threshold",     # float64[n_la]: perceived need to agree an assessment
        "plan_threshold",       # float64[n_la]: perceived need to issue a plan
        "special_threshold",    # float64[n_la]: need to name a special setting
        "la_loss_belief",       # float64[n_kind, n_la]: share of hearings of each type lost
        "assess_capacity",      # float64[n_la]: assessments the LA can complete this month
        "special_places",       # int64[n_special]
        "special_roll",         # int64[n_special] (updated as children are placed)
        "la_special_ptr",       # int64[n_la+1]: CSR of each LA's special schools
        "la_special_idx",       # int64[...]
        "provider_places",      # int64[n_provider]
        "provider_roll",        # int64[n_provider] (updated)
        "provider_over",        # int64[n_provider]: children placed over capacity (updated)
        "provider_referrals",   # int64[n_provider]: unplaced referrals this year (updated)
        "la_provider_ptr",      # int64[n_la+1]: CSR of providers in order of distance
        "la_provider_idx",      # int64[...]
        "hearing_capacity",     # float: hearings the tribunal can hold this month
        "appeals_open",         # float: 1.0 if a tribunal hears appeals
        "mediation_open",       # float: 1.0 if mediation is available
        "wait_before_independent",  # int64[n_la]: months each LA waits for a state place
        "binding",              # float: 1.0 if appeal decisions bind the LA
        "compliance",           # float: share of advisory decisions the LA follows
        "independent_orders",   # float: chance an order for a place may name an independent
        "school_roll",          # float64[n_school]: mainstream rolls (updated on placement)
        "la_expected_success",  # float64[n_la]: appeal success parents in each LA expect
        "la_appeal_shift",      # float64[n_la]: each LA's appeal offset, log-odds
    ],
)


@njit(cache=True, inline="always")
def tribunal_bar(fam, i, cw, p):
    """Need the tribunal requires to find for the family, by what the case is about
    (:func:`sendabm.core.actors.tribunal.legal_bar`)."""
    return legal_bar(fam.kind[i], p)


@njit(cache=True, inline="always")
def finds_for_family(fam, i, cw, p, sd, stream):
    """Whether a body that decides (the tribunal, the ombudsman, the court) finds for the
    family: the need as it judges it, the true need plus noise of ``sd`` drawn from
    ``stream`` this month, is at least the legal bar for what was refused."""
    judged = np.float64(fam.need[i]) + sd * rng.normal(cw.key, stream, fam.uid[i], cw.tick)
    return judged >= tribunal_bar(fam, i, cw, p)


@njit(cache=True, inline="always")
def reading(fam, i, cw, p, stream):
    """A professional's reading of the child's need in a dispute, need units: the need
    seen with the noise of an assessed case, drawn from ``stream`` once per dispute (keyed
    by the month it reached its stage), never the true need."""
    # np.int64: the stage month is int16, and the draws are compiled for an int64 tick.
    z = rng.normal(cw.key, stream, fam.uid[i], np.int64(fam.stage_tick[i]))
    return np.float64(fam.need[i]) * math.exp(ASSESSED_VIEW_NOISE * p.la_observation_sd * z)


@njit(cache=True, inline="always")
def merit_of(view, fam, i, cw, p):
    """Chance the tribunal would find for the family, foreseen from the reading ``view``."""
    z = (view - tribunal_bar(fam, i, cw, p)) / p.tribunal_decision_sd
    return 1.0 / (1.0 + math.exp(-LOGISTIC_PROBIT * z))


@njit(cache=True, inline="always")
def merit_seen(fam, i, cw, p, stream):
    """Chance the tribunal would find for the family, as a professional foresees it from
    their own reading of the case (:func:`reading` from ``stream``)."""
    return merit_of(reading(fam, i, cw, p, stream), fam, i, cw, p)


@njit(cache=True, inline="always")
def withdraws(fam, i, cw, p):
    """Whether the family, advised on its registered appeal, withdraws it: advice comes
    after registering (from the next month), more often to better-resourced families, and
    advises withdrawing a case the adviser reads as more likely lost than won. Drawn once
    per appeal, so a family advised to go on is not advised again."""
    if cw.tick - fam.stage_tick[i] < 1:
        return False
    advised = min(1.0, p.appeal_advice_share * (0.5 + np.float64(fam.resources[i])))
    if rng.uniform(cw.key, rng.ADVICE, fam.uid[i], np.int64(fam.stage_tick[i])) >= advised:
        return False
    return merit_seen(fam, i, cw, p, rng.ADVICE_VIEW) < WITHDRAW_BELOW_MERIT


@njit(cache=True, inline="always")
def _close(fam, i):
    fam.stage[i] = S.IDLE
    fam.kind[i] = S.KIND_NONE
    fam.place_wait[i] = 0


@njit(cache=True, inline="always")
def _await_place(fam, i, cw, how):
    fam.stage[i] = S.AWAITING_PLACE
    fam.stage_tick[i] = cw.tick
    fam.kind[i] = S.KIND_PLACEMENT
    fam.place_wait[i] = how


@njit(cache=True, inline="always")
def plan_topup(need, p):
    """Yearly mainstream top-up a plan funds for ``need``, need units (2014 prices)."""
    threshold_units = p.notional_threshold_gbp / NEED_UNIT_GBP
    return max(0.0, need - threshold_units - p.ordinarily_available_units) * p.topup_rate


@njit(cache=True, inline="always")
def issue_plan(fam, i, cw, p):
    """The LA issues a plan: it names mainstream with a top-up, or a special setting."""
    need = np.float64(fam.need[i])
    fam.sen[i] = S.EHCP
    fam.topup[i] = plan_topup(need, p)
    fam.events[i] |= S.EV_PLAN_ISSUED
    if cw.tick - fam.request_tick[i] <= WITHIN_20_WEEKS:
        fam.events[i] |= S.EV_WITHIN_20_WEEKS
    trust = np.float64(fam.trust_la[i])
    fam.trust_la[i] = trust + p.trust_gain_on_plan * (1.0 - trust)
    if need >= cw.special_threshold[fam.la[i]] and fam.setting[i] == S.MAINSTREAM:
        _await_place(fam, i, cw, S.PLACE_SPECIAL)
    else:
        _close(fam, i)


@njit(cache=True, inline="always")
def _refuse(fam, i, cw, p, kind, event):
    fam.stage[i] = S.REFUSED
    fam.kind[i] = kind
    fam.stage_tick[i] = cw.tick
    fam.events[i] |= event
    fam.trust_la[i] = np.float64(fam.trust_la[i]) * p.trust_kept_on_refusal


@njit(cache=True, inline="always")
def _first_vacant(la, ptr, idx, roll, places, cursor):
    """First place in ``la``'s list with a vacancy, or -1, starting from ``cursor[la]``.

    Within a phase rolls only grow, so a school or provider found full stays full:
    each LA's search resumes where its last one stopped (the same answer as searching
    from the start, without re-reading the full ones for every child). Start each
    phase with ``cursor = ptr[:-1].copy()``.
    """
    k = cursor[la]
    end = ptr[la + 1]
    while k < end and roll[idx[k]] >= places[idx[k]]:
        k += 1
    cursor[la] = k
    return idx[k] if k < end else -1


@njit(cache=True)
def la_decides_requests(fam, cases, cw, p):
    """Phase 5a: agree or refuse to assess; agree or refuse a change of setting."""
    special_next = cw.la_special_ptr[:-1].copy()
    for i in cases:
        if fam.stage[i] != S.REQUESTED:
            continue
        la = fam.la[i]
        need = np.float64(fam.need[i])
        if fam.kind[i] == S.KIND_ASSESS:
            view = need * math.exp(p.la_observation_sd * rng.normal(cw.key, rng.LA_ASSESS_VIEW,
                                                                     fam.uid[i], cw.tick))
            if view >= cw.assess_threshold[la]:
                fam.stage[i] = S.ASSESSING
                fam.stage_tick[i] = cw.tick
            else:
                _refuse(fam, i, cw, p, S.KIND_ASSESS, S.EV_REFUSED_ASSESS)
        else:
            if need >= cw.special_threshold[la] and _first_vacant(
                    la, cw.la_special_ptr, cw.la_special_idx, cw.special_roll,
                    cw.special_places, special_next) >= 0:
                _await_place(fam, i, cw, S.PLACE_SPECIAL)
            else:
                _refuse(fam, i, cw, p, S.KIND_PLACEMENT, S.EV_REFUSED_PLACEMENT)


@njit(cache=True)
def la_assesses(fam, cases, cw, p):
    """Phase 5b: complete assessments within capacity; issue or refuse a plan."""
    n_la = cw.assess_threshold.shape[0]
    eligible = np.zeros(n_la, dtype=np.int64)
    for i in cases:
        if fam.stage[i] == S.ASSESSING and cw.tick - fam.request_tick[i] >= MIN_ASSESSMENT_MONTHS:
            eligible[fam.la[i]] += 1
    for i in cases:
        if fam.stage[i] != S.ASSESSING or cw.tick - fam.request_tick[i] < MIN_ASSESSMENT_MONTHS:
            continue
        la = fam.la[i]
        served = min(1.0, cw.assess_capacity[la] / eligible[la])
        if rng.uniform(cw.key, rng.ASSESSMENT_QUEUE, fam.uid[i], cw.tick) >= served:
            continue
        fam.events[i] |= S.EV_ASSESSMENT_DONE
        z = rng.normal(cw.key, rng.LA_PLAN_VIEW, fam.uid[i], cw.tick)
        view = np.float64(fam.need[i]) * math.exp(ASSESSED_VIEW_NOISE * p.la_observation_sd * z)
        if view >= cw.plan_threshold[la]:
            issue_plan(fam, i, cw, p)
        else:
            _refuse(fam, i, cw, p, S.KIND_PLAN, S.EV_REFUSED_PLAN)


@njit(cache=True, inline="always")
def remedy(fam, i, cw, p, ordered):
    """Give the family what the dispute was about (after agreement, concession or win)."""
    kind = fam.kind[i]
    fam.events[i] |= S.EV_REVERSED | (np.int64(kind) << S.KIND_SHIFT)
    if kind == S.KIND_ASSESS:
        fam.stage[i] = S.ASSESSING
        fam.stage_tick[i] = cw.tick
    elif kind == S.KIND_PLAN:
        issue_plan(fam, i, cw, p)
    else:
        if ordered and cw.independent_orders < 1.0:
            ordered = rng.uniform(cw.key, rng.ORDER_SETTING, fam.uid[i], cw.tick) < \
                cw.independent_orders
        _await_place(fam, i, cw, S.PLACE_INDEPENDENT_ORDERED if ordered else S.PLACE_SPECIAL)


provision_at_stake_gbp = njit(cache=True, inline="always")(LA.provision_at_stake_gbp)
committed_months = njit(cache=True, inline="always")(LA.committed_months)
plan_chance = njit(cache=True, inline="always")(LA.plan_chance)
setting_yearly_gbp = njit(cache=True, inline="always")(LA.setting_yearly_gbp)
"""The LA's one definition of the money at stake and its parts
(:func:`sendabm.core.actors.local_authority.provision_at_stake_gbp`), compiled."""


@njit(cache=True, inline="always")
def provision_at_stake(fam, i, cw, p, view, months_deferred):
    """What granting the remedy of case ``i`` costs its LA, GBP in 2014 prices, from
    ``months_deferred`` months on, as it reads the case (need ``view``): the child's own
    top-up (a plan's, at ``view``; the one it holds, for a placement), for its years left
    in school up to ``plan_horizon_years``; an assessment leads to such a plan with the
    LA's :func:`plan_chance`."""
    kind = fam.kind[i]
    if kind == S.KIND_PLACEMENT:
        plan_yearly = np.float64(fam.topup[i]) * NEED_UNIT_GBP
    else:
        plan_yearly = plan_topup(view, p) * NEED_UNIT_GBP
    chance = 0.0
    if kind == S.KIND_ASSESS:
        chance = plan_chance(view, cw.plan_threshold[fam.la[i]], p.la_observation_sd)
    setting = setting_yearly_gbp(p)
    months = committed_months(np.float64(S.SCHOOL_YEARS - fam.year[i]), p.plan_horizon_years)
    return provision_at_stake_gbp(kind, plan_yearly, setting, chance, months, months_deferred)


@njit(cache=True, inline="always")
def settlement_chance(stake, stake_after_hearing, loss, hearing, defence, spread):
    """Chance an LA settles a dispute (agrees in mediation, concedes an appeal): a
    logistic in how much more going on is expected to cost it than agreeing.

    Going on costs ``hearing`` x (``loss`` x ``stake_after_hearing`` + ``defence``);
    agreeing costs ``stake``. The logistic's scale is ``spread`` times the stake (the
    LA's costing of the provision is uncertain in proportion to it), so the rule reads
    the same for an assessment and a placement. With nothing at stake, conceding is
    free: the LA agrees if going on would cost it anything, and is indifferent (1/2) if
    not. With no tribunal (``hearing`` 0) every case agrees with chance
    1 / (1 + e^(1/spread)): the costing noise alone.

    Args:
        stake: The provision at stake, GBP: what agreeing costs.
        stake_after_hearing: What losing a hearing would cost, GBP (the provision from
            the hearing on).
        loss: The LA's expected chance that a hearing costs it the provision
            (:func:`expected_loss`), 0-1.
        hearing: The LA's expected chance of a hearing if it does not settle, 0-1 (0
            with no tribunal).
        defence: What defending an appeal costs it, GBP.
        spread: ``mediation_spread``, > 0.

    Returns:
        The chance, in [0, 1].
    """
    going_on = hearing * (loss * stake_after_hearing + defence)
    if stake <= 0.0:
        return 1.0 if going_on > 0.0 else 0.5
    # As a ratio to the stake, so that a tiny stake cannot underflow the scale.
    return 1.0 / (1.0 + math.exp((1.0 - going_on / stake) / spread))


@njit(cache=True, inline="always")
def expected_loss(view, fam, i, cw, p):
    """The LA's expected chance that a hearing of case ``i`` costs it the provision: its
    lawyers' reading of the case (:func:`merit_of` at ``view``) weighed with the share of
    hearings of the case's type it has learned it loses (``case_reading_weight``), times
    its compliance if the decision would only advise it."""
    w = p.case_reading_weight
    loss = w * merit_of(view, fam, i, cw, p) + (1.0 - w) * cw.la_loss_belief[
        fam.kind[i] - 1, fam.la[i]]
    if cw.binding <= 0.0:
        # An advisory decision it would not follow costs it nothing but trust.
        loss *= cw.compliance
    return loss


@njit(cache=True, inline="always")
def settles(fam, i, cw, p, hearing):
    """Chance the LA settles case ``i`` (:func:`settlement_chance`) from its lawyers'
    reading of it, given its expected chance of a hearing if it does not."""
    view = reading(fam, i, cw, p, rng.LA_MERIT_VIEW)
    return settlement_chance(provision_at_stake(fam, i, cw, p, view, 0.0),
                             provision_at_stake(fam, i, cw, p, view,
                                                np.float64(p.months_to_hearing_min)),
                             expected_loss(view, fam, i, cw, p), hearing, p.tribunal_cost_gbp,
                             p.mediation_spread)


@njit(cache=True, inline="always")
def hearing_chance(fam, i, cw, p):
    """The LA's expected chance that case ``i`` goes to appeal if mediation fails: 0 with
    no tribunal, else the family's own chance of appealing (the family kernel's rule,
    driven by the success it expects), which the LA reads at the mediation table."""
    if cw.appeals_open <= 0.0:
        return 0.0
    la = fam.la[i]
    return sigmoid(appeal_logit(cw.la_expected_success[la], cw.la_appeal_shift[la],
                                np.float64(fam.resources[i]), np.float64(fam.trust_la[i]),
                                np.float64(fam.need[i]), fam.kind[i], p))


@njit(cache=True, inline="always")
def mediation_chance(fam, i, cw, p):
    """Chance the LA agrees to the remedy in the mediation of case ``i`` (:func:`settles`,
    expecting the family to appeal with its :func:`hearing_chance`)."""
    return settles(fam, i, cw, p, hearing_chance(fam, i, cw, p))


@njit(cache=True)
def mediate(fam, cases, cw, p):
    """Phase 6a: in mediation the LA agrees when conceding costs it less than it expects
    going on to cost (:func:`mediation_chance`); the family accepts a granted remedy.
    Otherwise the family may still appeal next month."""
    for i in cases:
        if fam.stage[i] != S.MEDIATION:
            continue
        chance = mediation_chance(fam, i, cw, p)
        if rng.uniform(cw.key, rng.MEDIATION_OUTCOME, fam.uid[i], cw.tick) < chance:
            fam.events[i] |= S.EV_MEDIATION_AGREED
            remedy(fam, i, cw, p, False)
        else:
            fam.stage[i] = S.MEDIATED
            fam.stage_tick[i] = cw.tick


@njit(cache=True)
def appeals(fam, cases, cw, p):
    """Phase 6b: the LA concedes an appeal when it expects defending to cost it more
    (:func:`settles`); the tribunal hears the rest in turn."""
    waiting = 0
    for i in cases:
        if fam.stage[i] == S.APPEALING and cw.tick - fam.stage_tick[i] >= p.months_to_hearing_min:
            waiting += 1
    heard_share = min(1.0, cw.hearing_capacity / waiting) if waiting > 0 else 0.0
    for i in cases:
        if fam.stage[i] != S.APPEALING:
            continue
        uid = fam.uid[i]
        # Its lawyers decide once, on registration (one draw per appeal), and think again
        # only when its beliefs change in March.
        if rng.uniform(cw.key, rng.CONCEDE, uid, np.int64(fam.stage_tick[i])) < settles(
                fam, i, cw, p, 1.0 if cw.appeals_open > 0.0 else 0.0):
            fam.events[i] |= S.EV_CONCEDED
            remedy(fam, i, cw, p, True)
            continue
        if withdraws(fam, i, cw, p):
            _close(fam, i)
            fam.events[i] |= S.EV_WITHDRAWN
            continue
        if cw.appeals_open <= 0.0:
            # The tribunal has gone: appeals still waiting for a hearing lapse.
            _close(fam, i)
            fam.events[i] |= S.EV_GAVE_UP
            continue
        if cw.tick - fam.stage_tick[i] < p.months_to_hearing_min:
            continue
        if rng.uniform(cw.key, rng.HEARING_QUEUE, uid, cw.tick) >= heard_share:
            continue
        # The kind and the wait as they are at the hearing (a remedy may change the kind).
        fam.events[i] |= S.EV_HEARING | (np.int64(fam.kind[i]) << S.KIND_SHIFT) | (
            min(cw.tick - np.int64(fam.stage_tick[i]), S.WAIT_MASK) << S.WAIT_SHIFT)
        if finds_for_family(fam, i, cw, p, p.tribunal_decision_sd, rng.TRIBUNAL_VIEW):
            fam.events[i] |= S.EV_WON
            complies = cw.binding > 0.0 or rng.uniform(
                cw.key, rng.COMPLIANCE, uid, cw.tick) < cw.compliance
            if complies:
                remedy(fam, i, cw, p, True)
            else:
                # An advisory decision the LA does not follow: the family is left where
                # it was, and knows it.
                _close(fam, i)
                fam.events[i] |= S.EV_DECISION_NOT_FOLLOWED
                fam.trust_la[i] = np.float64(fam.trust_la[i]) * p.trust_kept_on_loss
        else:
            _close(fam, i)
            fam.trust_la[i] = np.float64(fam.trust_la[i]) * p.trust_kept_on_loss


@njit(cache=True, inline="always")
def _enter(fam, i, setting, provider, cw):
    if fam.setting[i] == S.MAINSTREAM and fam.year[i] < S.SCHOOL_YEARS and fam.school[i] >= 0:
        cw.school_roll[fam.school[i]] -= 1.0
    fam.setting[i] = setting
    fam.provider[i] = provider
    _close(fam, i)


@njit(cache=True)
def redress(fam, cases, cw, p):
    """Phase 6c: routes beyond the tribunal. The ombudsman decides complaints that have
    waited ``ombudsman_months`` and the court claims for judicial review that have waited
    ``judicial_review_months``, each by its own noisy view of the need against the legal
    bar for what was refused; the ombudsman's remedy is followed with the share
    ``ombudsman_compliance``, the court's binds. A child whose family has decided to home
    educate leaves school. (Actor: :mod:`sendabm.core.actors.redress`.)"""
    for i in cases:
        stage = fam.stage[i]
        if stage == S.LEAVING_SCHOOL:
            _enter(fam, i, S.HOME_EDUCATION, -1, cw)
            continue
        waited = cw.tick - fam.stage_tick[i]
        if stage == S.COMPLAINT and waited >= p.ombudsman_months:
            upheld = finds_for_family(fam, i, cw, p, p.ombudsman_decision_sd, rng.OMBUDSMAN_VIEW)
            follows = upheld and rng.uniform(cw.key, rng.OMBUDSMAN_COMPLIANCE, fam.uid[i],
                                             cw.tick) < p.ombudsman_compliance
        elif stage == S.JUDICIAL_REVIEW and waited >= p.judicial_review_months:
            upheld = follows = finds_for_family(fam, i, cw, p, p.court_decision_sd,
                                                rng.COURT_VIEW)
        else:
            continue
        if upheld:
            fam.events[i] |= S.EV_REDRESS_UPHELD
        if follows:
            remedy(fam, i, cw, p, False)
            continue
        _close(fam, i)
        if upheld:
            # A recommendation the LA does not follow: the family is left where it was.
            fam.events[i] |= S.EV_DECISION_NOT_FOLLOWED
        fam.trust_la[i] = np.float64(fam.trust_la[i]) * p.trust_kept_on_loss


@njit(cache=True)
def place(fam, cases, cw, p):
    """Phase 7: children awaiting a place enter a state special school if one has room;
    otherwise, when ordered or after waiting, an independent provider (over capacity
    if a tribunal ordered it and none has room)."""
    special_next = cw.la_special_ptr[:-1].copy()
    provider_next = cw.la_provider_ptr[:-1].copy()
    for i in cases:
        if fam.stage[i] != S.AWAITING_PLACE:
            continue
        la = fam.la[i]
        s = _first_vacant(la, cw.la_special_ptr, cw.la_special_idx, cw.special_roll,
                          cw.special_places, special_next)
        if s >= 0:
            cw.special_roll[s] += 1
            _enter(fam, i, S.SPECIAL, s, cw)
            fam.events[i] |= S.EV_PLACED_SPECIAL
            continue
        ordered = fam.place_wait[i] == S.PLACE_INDEPENDENT_ORDERED
        if not ordered and cw.tick - fam.stage_tick[i] < cw.wait_before_independent[la]:
            continue
        v = _first_vacant(la, cw.la_provider_ptr, cw.la_provider_idx, cw.provider_roll,
                          cw.provider_places, provider_next)
        if v < 0:
            nearest = cw.la_provider_idx[cw.la_provider_ptr[la]]
            # A referral counts once: when the child is ordered, or first becomes eligible.
            if ordered or cw.tick - fam.stage_tick[i] == cw.wait_before_independent[la]:
                cw.provider_referrals[nearest] += 1
            if not ordered:
                continue
            v = nearest
            cw.provider_over[v] += 1
        cw.provider_roll[v] += 1
        _enter(fam, i, S.INDEPENDENT, v, cw)
        fam.events[i] |= S.EV_PLACED_INDEPENDENT
