"""Routes beyond the tribunal (ODD §3 step 6), case by case: the ombudsman's and the
court's decisions, and children leaving school for home education.

The readable reference for :func:`sendabm.core.kernels.cases.redress`. A complaint
waits ``ombudsman_months`` and a claim for judicial review ``judicial_review_months``;
then the ombudsman (or the court) judges the need with its own noise against the legal
bar for what was refused. An upheld complaint's remedy is followed with the chance
``ombudsman_compliance``; the court's decision binds. Constants come from the actor
modules (:mod:`sendabm.core.actors.redress`).
"""

from __future__ import annotations

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.reference.decisions import close
from sendabm.core.reference.disputes import finds_for_family, remedy
from sendabm.core.reference.placing import enter

BRANCHES = (
    "left_for_home_education", "complaint_waiting", "complaint_upheld_followed",
    "complaint_upheld_not_followed", "complaint_not_upheld", "review_waiting", "review_won",
    "review_lost",
)
"""Branches of the routes beyond the tribunal, counted by
:class:`~sendabm.core.reference.branches.Branches`."""


def redress(ref, cases, cw, p) -> None:
    """Phase 6c: decide the complaints and claims that have waited long enough; children
    whose families decided to home educate leave school."""
    for row in cases:
        family = ref.family(row)
        if family.stage == S.LEAVING_SCHOOL:
            ref.hit("left_for_home_education")
            enter(family, S.HOME_EDUCATION, -1, cw)
        elif family.stage == S.COMPLAINT:
            _complaint(ref, family, cw, p)
        elif family.stage == S.JUDICIAL_REVIEW:
            _review(ref, family, cw, p)


def _complaint(ref, family, cw, p) -> None:
    """The ombudsman investigates; its recommendation does not bind the LA."""
    if cw.tick - family.stage_tick < p.ombudsman_months:
        ref.hit("complaint_waiting")
        return
    if not finds_for_family(ref, family, cw, p, p.ombudsman_decision_sd, rng.OMBUDSMAN_VIEW):
        ref.hit("complaint_not_upheld")
        _lost(family, p)
        return
    family.events |= S.EV_REDRESS_UPHELD
    if ref.draw.uniform(rng.OMBUDSMAN_COMPLIANCE, family.uid, cw.tick) < p.ombudsman_compliance:
        ref.hit("complaint_upheld_followed")
        remedy(ref, family, cw, p, ordered=False)
        return
    ref.hit("complaint_upheld_not_followed")
    family.events |= S.EV_DECISION_NOT_FOLLOWED
    _lost(family, p)


def _review(ref, family, cw, p) -> None:
    """The court decides the claim; its decision binds the LA."""
    if cw.tick - family.stage_tick < p.judicial_review_months:
        ref.hit("review_waiting")
        return
    if not finds_for_family(ref, family, cw, p, p.court_decision_sd, rng.COURT_VIEW):
        ref.hit("review_lost")
        _lost(family, p)
        return
    ref.hit("review_won")
    family.events |= S.EV_REDRESS_UPHELD
    remedy(ref, family, cw, p, ordered=False)


def _lost(family, p) -> None:
    """The case ends without the remedy, and the family trusts the LA less."""
    close(family)
    family.trust_la = family.trust_la * p.trust_kept_on_loss
