"""Disputes (ODD §3 step 6), case by case: mediation, concessions and hearings.

The readable reference for :func:`sendabm.core.kernels.cases.mediate` and
:func:`~sendabm.core.kernels.cases.appeals`. In mediation the LA agrees when conceding
costs it less than it expects going on to cost; on appeal
it concedes by the same reckoning, and the tribunal (or the mechanism replacing it) hears the
rest within its capacity, decides on the merits, and its decision binds the LA or
advises it. Constants come from the actor modules.
"""

from __future__ import annotations

import math

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.actors import local_authority as LA
from sendabm.core.actors.family import WITHDRAW_BELOW_MERIT
from sendabm.core.actors.local_authority import ASSESSED_VIEW_NOISE
from sendabm.core.actors.tribunal import LOGISTIC_PROBIT, legal_bar
from sendabm.core.param import NEED_UNIT_GBP
from sendabm.core.reference.decisions import await_place, close, issue_plan, plan_topup

BRANCHES = (
    "mediation_agreed", "mediation_failed", "appeal_conceded", "appeal_withdrawn",
    "appeal_lapsed",
    "appeal_too_early", "appeal_not_heard", "hearing_won", "hearing_lost",
    "decision_binding", "decision_followed", "decision_not_followed",
    "bar_assessment", "bar_plan", "bar_placement",
    "remedy_assessment", "remedy_plan", "remedy_state_place", "order_may_name_independent",
    "order_drawn_independent", "order_drawn_state",
)
"""Branches of the disputes, counted by :class:`~sendabm.core.reference.branches.Branches`."""


def tribunal_bar(ref, family, cw, p) -> float:
    """Need the tribunal requires to find for the family, by what the case is about
    (:func:`sendabm.core.actors.tribunal.legal_bar`)."""
    ref.hit({S.KIND_PLAN: "bar_plan", S.KIND_PLACEMENT: "bar_placement"}.get(
        family.kind, "bar_assessment"))
    return legal_bar(family.kind, p)


def finds_for_family(ref, family, cw, p, sd: float, stream: int) -> bool:
    """Whether a body that decides (the tribunal, the ombudsman, the court) finds for the
    family: the true need plus noise of ``sd`` (stream ``stream``, this month) is at least
    the legal bar for what was refused."""
    noise = sd * ref.draw.normal(stream, family.uid, cw.tick)
    return family.need + noise >= tribunal_bar(ref, family, cw, p)


def reading(ref, family, p, stream: int) -> float:
    """A professional's noisy reading of the child's need in a dispute (drawn from
    ``stream`` once per dispute, at its stage's month), need units."""
    z = ref.draw.normal(stream, family.uid, family.stage_tick)
    return family.need * math.exp(ASSESSED_VIEW_NOISE * p.la_observation_sd * z)


def merit_of(ref, view: float, family, cw, p) -> float:
    """Chance the tribunal would find for the family, foreseen from the reading ``view``."""
    z = (view - tribunal_bar(ref, family, cw, p)) / p.tribunal_decision_sd
    return 1.0 / (1.0 + math.exp(-LOGISTIC_PROBIT * z))


def merit(ref, family, cw, p, stream: int = rng.LA_MERIT_VIEW) -> float:
    """Chance the tribunal would find for the family, as a professional (by default the
    LA's lawyers) foresees it from their own noisy reading of the case."""
    return merit_of(ref, reading(ref, family, p, stream), family, cw, p)


def remedy(ref, family, cw, p, ordered: bool) -> None:
    """Give the family what the dispute was about (after agreement, concession or a
    decision for it); an ``ordered`` place may be independent. The reversal is counted
    by the case's kind."""
    family.events |= S.EV_REVERSED | (family.kind << S.KIND_SHIFT)
    if family.kind == S.KIND_ASSESS:
        ref.hit("remedy_assessment")
        family.stage = S.ASSESSING
        family.stage_tick = cw.tick
        return
    if family.kind == S.KIND_PLAN:
        ref.hit("remedy_plan")
        issue_plan(ref, family, cw, p)
        return
    if not ordered:
        ref.hit("remedy_state_place")
    elif cw.independent_orders >= 1.0:
        ref.hit("order_may_name_independent")
    elif ref.draw.uniform(rng.ORDER_SETTING, family.uid, cw.tick) < cw.independent_orders:
        ref.hit("order_drawn_independent")
    else:
        # Limits on parental choice: this order names a state place only.
        ref.hit("order_drawn_state")
        ordered = False
    await_place(family, cw, S.PLACE_INDEPENDENT_ORDERED if ordered else S.PLACE_SPECIAL)


def provision_at_stake(family, cw, p, view: float, months_deferred: float) -> float:
    """What granting the family's remedy costs its LA, GBP in 2014 prices, from
    ``months_deferred`` months on, as it reads the case (need ``view``): the LA's one
    definition (:func:`~sendabm.core.actors.local_authority.provision_at_stake_gbp`) for
    the child's own top-up over its years left, up to the LA's horizon."""
    if family.kind == S.KIND_PLACEMENT:
        plan_yearly = family.topup * NEED_UNIT_GBP
    else:
        plan_yearly = plan_topup(view, p) * NEED_UNIT_GBP
    chance = 0.0
    if family.kind == S.KIND_ASSESS:
        chance = LA.plan_chance(view, cw.plan_threshold[family.la], p.la_observation_sd)
    setting = LA.setting_yearly_gbp(p)
    months = LA.committed_months(float(S.SCHOOL_YEARS - family.year), p.plan_horizon_years)
    return LA.provision_at_stake_gbp(family.kind, plan_yearly, setting, chance, months,
                                     months_deferred)


def settlement_chance(stake: float, stake_after_hearing: float, loss: float,
                      hearing: float, defence: float, spread: float) -> float:
    """Chance an LA settles (agrees in mediation, concedes an appeal): a logistic in its
    expected cost of going on, ``hearing`` x (``loss`` x ``stake_after_hearing`` +
    ``defence``), minus the cost of agreeing, ``stake``, on the scale ``spread`` x
    ``stake``; with nothing at stake it agrees if going on costs anything (else 1/2)."""
    going_on = hearing * (loss * stake_after_hearing + defence)
    if stake <= 0.0:
        return 1.0 if going_on > 0.0 else 0.5
    # As a ratio to the stake, so that a tiny stake cannot underflow the scale.
    return 1.0 / (1.0 + math.exp((1.0 - going_on / stake) / spread))


def expected_loss(ref, view: float, family, cw, p) -> float:
    """The LA's expected chance that a hearing costs it the provision: its lawyers'
    reading weighed with the share of hearings of the type it believes it loses, and
    costing it only if it would follow an advisory decision."""
    w = p.case_reading_weight
    loss = (w * merit_of(ref, view, family, cw, p)
            + (1.0 - w) * cw.la_loss_belief[family.kind - 1, family.la])
    if cw.binding <= 0.0:
        loss *= cw.compliance
    return loss


def settles(ref, family, cw, p, hearing: float) -> float:
    """Chance the LA settles this dispute, from its lawyers' reading of it, given its
    expected chance of a hearing if it does not."""
    view = reading(ref, family, p, rng.LA_MERIT_VIEW)
    return settlement_chance(provision_at_stake(family, cw, p, view, 0.0),
                             provision_at_stake(family, cw, p, view,
                                                float(p.months_to_hearing_min)),
                             expected_loss(ref, view, family, cw, p), hearing,
                             p.tribunal_cost_gbp, p.mediation_spread)


def mediation_chance(ref, family, cw, p) -> float:
    """Chance the LA agrees to the remedy in this mediation, expecting a hearing with
    none with no tribunal, else the family's own chance of appealing."""
    hearing = family.appeal_probability(cw, p) if cw.appeals_open > 0.0 else 0.0
    return settles(ref, family, cw, p, hearing)


def mediate(ref, cases, cw, p) -> None:
    """Phase 6a: in mediation the LA agrees when conceding costs it less than it expects
    going on to cost (:func:`mediation_chance`), and the family accepts the remedy;
    otherwise the family may still appeal next month."""
    for row in cases:
        family = ref.family(row)
        if family.stage != S.MEDIATION:
            continue
        chance = mediation_chance(ref, family, cw, p)
        if ref.draw.uniform(rng.MEDIATION_OUTCOME, family.uid, cw.tick) < chance:
            ref.hit("mediation_agreed")
            family.events |= S.EV_MEDIATION_AGREED
            remedy(ref, family, cw, p, ordered=False)
        else:
            ref.hit("mediation_failed")
            family.stage = S.MEDIATED
            family.stage_tick = cw.tick


def appeals(ref, cases, cw, p) -> None:
    """Phase 6b: the LA concedes when it expects defending to cost it more; the tribunal
    hears the appeals that have waited long enough, each with chance capacity / waiting,
    and decides on the merits."""
    waiting = sum(1 for row in cases if _hearing_due(ref.family(row), cw, p))
    heard_share = min(1.0, cw.hearing_capacity / waiting) if waiting > 0 else 0.0
    for row in cases:
        family = ref.family(row)
        if family.stage != S.APPEALING:
            continue
        # Decided once, on registration, and again only when its beliefs change.
        hearing = 1.0 if cw.appeals_open > 0.0 else 0.0
        if ref.draw.uniform(rng.CONCEDE, family.uid, family.stage_tick) < settles(
                ref, family, cw, p, hearing):
            ref.hit("appeal_conceded")
            family.events |= S.EV_CONCEDED
            remedy(ref, family, cw, p, ordered=True)
        elif _withdraws(ref, family, cw, p):
            ref.hit("appeal_withdrawn")
            close(family)
            family.events |= S.EV_WITHDRAWN
        elif cw.appeals_open <= 0.0:
            # The tribunal has gone: appeals still waiting for a hearing lapse.
            ref.hit("appeal_lapsed")
            close(family)
            family.events |= S.EV_GAVE_UP
        elif not _hearing_due(family, cw, p):
            ref.hit("appeal_too_early")
        elif ref.draw.uniform(rng.HEARING_QUEUE, family.uid, cw.tick) >= heard_share:
            ref.hit("appeal_not_heard")
        else:
            _hear(ref, family, cw, p)


def _withdraws(ref, family, cw, p) -> bool:
    """Advised after registering (from the next month; more often the better resourced),
    the family withdraws a case its adviser reads as more likely lost than won."""
    if cw.tick - family.stage_tick < 1:
        return False
    advised = min(1.0, p.appeal_advice_share * (0.5 + family.resources))
    if ref.draw.uniform(rng.ADVICE, family.uid, family.stage_tick) >= advised:
        return False
    return merit(ref, family, cw, p, rng.ADVICE_VIEW) < WITHDRAW_BELOW_MERIT


def _hearing_due(family, cw, p) -> bool:
    return (family.stage == S.APPEALING
            and cw.tick - family.stage_tick >= p.months_to_hearing_min)


def _hear(ref, family, cw, p) -> None:
    """A hearing: the tribunal judges the need with noise against its bar. The event
    records the case's kind and its months since registration as they are now (the
    remedy may change the kind)."""
    wait = min(cw.tick - family.stage_tick, S.WAIT_MASK)
    family.events |= (S.EV_HEARING | family.kind << S.KIND_SHIFT | wait << S.WAIT_SHIFT)
    if not finds_for_family(ref, family, cw, p, p.tribunal_decision_sd, rng.TRIBUNAL_VIEW):
        ref.hit("hearing_lost")
        close(family)
        family.trust_la = family.trust_la * p.trust_kept_on_loss
        return
    ref.hit("hearing_won")
    family.events |= S.EV_WON
    if cw.binding > 0.0:
        ref.hit("decision_binding")
        remedy(ref, family, cw, p, ordered=True)
    elif ref.draw.uniform(rng.COMPLIANCE, family.uid, cw.tick) < cw.compliance:
        ref.hit("decision_followed")
        remedy(ref, family, cw, p, ordered=True)
    else:
        # An advisory decision the LA does not follow: the family is left where it was,
        # and knows it.
        ref.hit("decision_not_followed")
        close(family)
        family.events |= S.EV_DECISION_NOT_FOLLOWED
        family.trust_la = family.trust_la * p.trust_kept_on_loss
