"""Routes beyond the tribunal (docs/ODD.md §7.7, §7.8a): families at the end of a dispute
complain to the ombudsman, claim judicial review, pay privately or leave school, each by
its own propensity. The choice function is tested directly (kernel and twin, and how its
chances move with resources), then in small runs with the tribunal kept and removed."""

from __future__ import annotations

import numpy as np
import pytest

from sendabm.core import calendar
from sendabm.core import measures as reg
from sendabm.core import states as S
from sendabm.core.actors import family as family_actor
from sendabm.core.kernels import parameter_record
from sendabm.core.kernels.family_month import redress_route
from sendabm.core.model import SendModel
from sendabm.core.parameters import as_vector, defaults
from sendabm.core.scenario import default_scenario

P = as_vector(defaults())
CASE = dict(kind=S.KIND_ASSESS, need=1.0, unmet=0.6, trust_la=0.5, setting=S.MAINSTREAM,
            year=5)
"""A refused family whose child's need is plainly over the legal bar, at school."""


def _chances(resources: float, contests: bool = True, **case) -> dict[str, float]:
    chances = family_actor.redress_probabilities(**{**CASE, **case}, resources=resources,
                                                 contests=contests, p=P)
    return dict(zip(S.ROUTE_NAMES, chances, strict=True))


# --------------------------------------------------------------------------- the choice


def test_the_chances_add_up_and_closed_routes_have_none():
    assert sum(_chances(0.5).values()) == pytest.approx(1.0)
    placement = _chances(0.9, kind=S.KIND_PLACEMENT)
    assert placement["judicial_review"] == 0.0  # no clear point of law on a setting
    assert _chances(0.9, need=0.25)["judicial_review"] == 0.0  # not plainly over the bar
    assert _chances(0.9, unmet=0.0)["private"] == 0.0  # nothing to buy
    after_school = _chances(0.5, setting=S.FURTHER_EDUCATION)
    assert after_school["home_education"] == 0.0
    assert _chances(0.5, year=S.SCHOOL_YEARS)["home_education"] == 0.0


def test_a_family_whose_route_closed_looks_harder_for_another():
    wanted, not_wanted = _chances(0.5, contests=True), _chances(0.5, contests=False)
    for route in S.ROUTE_NAMES[1:]:
        assert wanted[route] > not_wanted[route], route
    # With the tribunal open, few families who gave up take another route.
    assert not_wanted["none"] > 0.9


def test_costly_routes_rise_with_resources_and_the_rest_fall():
    by_resources = [_chances(r) for r in (0.05, 0.3, 0.5, 0.7, 0.95)]
    for route, rises in (("judicial_review", True), ("private", True),
                         ("complaint", False), ("home_education", False), ("none", False)):
        series = [c[route] for c in by_resources]
        assert series == sorted(series, reverse=not rises), route
    poorest, richest = by_resources[0], by_resources[-1]
    assert richest["private"] > 10 * poorest["private"]
    assert richest["judicial_review"] > 10 * poorest["judicial_review"]
    # Home education has no resources term: it falls only because the rich buy instead.
    assert poorest["home_education"] > richest["home_education"]


def test_home_education_rises_with_unmet_need_and_distrust():
    base = _chances(0.5)["home_education"]
    assert _chances(0.5, unmet=0.9)["home_education"] > base
    assert _chances(0.5, trust_la=0.1)["home_education"] > base


@pytest.mark.parametrize("resources", [0.05, 0.5, 0.95])
@pytest.mark.parametrize("kind", [S.KIND_ASSESS, S.KIND_PLAN, S.KIND_PLACEMENT])
def test_the_kernel_picks_the_routes_with_the_twins_chances(resources, kind):
    record = parameter_record(P)[0]
    draws = (np.arange(4000) + 0.5) / 4000
    case = {**CASE, "kind": kind}
    picked = np.array([redress_route(u, case["kind"], case["need"], case["unmet"], resources,
                                     case["trust_la"], case["setting"], case["year"], True,
                                     record) for u in draws])
    chances = family_actor.redress_probabilities(**case, resources=resources, contests=True,
                                                 p=P)
    shares = np.bincount(picked, minlength=len(S.ROUTE_NAMES)) / draws.size
    np.testing.assert_allclose(shares, chances, atol=1 / draws.size + 1e-12)


# --------------------------------------------------------------------------- in the model

REMOVAL = "2015-09"
END = "2017-08"
ROUTE_COUNTS = ("complaints", "judicial_reviews", "private_provision", "home_education_exits")


@pytest.fixture(scope="module")
def runs() -> tuple[SendModel, SendModel]:
    """The baseline and the tribunal removed from September 2015, same seed, a 1% sample
    to August 2017; families appeal, and claim judicial review, more readily than the
    defaults so that a sample this small has disputes to move and claims to count."""
    scenario = default_scenario().with_overrides(run={"end": END}, parameters={
        "appeal_base_logit": -2.0, "judicial_review_base_logit": -4.0})
    removed = scenario.with_policies([{"name": "tribunal", "start": REMOVAL, "mode": "remove"}])
    models = tuple(SendModel(s, seed=4, scale=0.01, end=END) for s in (scenario, removed))
    for model in models:
        model.run()
    return models


def _after(model: SendModel, name: str, quintile: int = 0) -> float:
    t = calendar.tick_of(REMOVAL)
    return float(sum(cells[:, quintile].sum() for cells in model.panel[name][t:]))


def test_removing_the_tribunal_sends_disputes_to_the_other_routes(runs):
    base, removed = runs
    assert _after(base, "complaints") > 0  # the routes exist with the tribunal open
    for route in (*ROUTE_COUNTS, "disputes_to_redress"):
        assert _after(removed, route) > _after(base, route), route
    assert _after(removed, "redress_upheld") > _after(base, "redress_upheld")
    assert _after(removed, "home_educated") > _after(base, "home_educated")


def test_who_takes_which_route_follows_resources(runs):
    _, removed = runs

    def share(parts, whole, quintiles):
        return (sum(_after(removed, n, q) for q in quintiles for n in parts)
                / sum(_after(removed, n, q) for q in quintiles for n in whole))

    poorer, richer = (1, 2), (4, 5)
    # Of the families who took a route beyond the tribunal, the richer paid (privately or
    # for a claim), the poorer more often left school...
    costly = ("judicial_reviews", "private_provision")
    assert share(costly, ROUTE_COUNTS, richer) > 2 * share(costly, ROUTE_COUNTS, poorer)
    left = ("home_education_exits",)
    assert share(left, ROUTE_COUNTS, poorer) > share(left, ROUTE_COUNTS, richer)
    # ...and of the disputes the tribunal no longer heard, the poorer's more often found no
    # route at all.
    unheard, moved = ("disputes_unheard",), ("disputes_unheard", "disputes_to_redress")
    assert share(unheard, moved, poorer) > share(unheard, moved, richer)


def test_the_dispute_rate_counts_every_route(runs):
    _, removed = runs
    last = slice(-12, None)
    parts = sum(np.asarray(removed.national[f"dispute_rate_{r}"])[last]
                for r in ("mediation", "appeal", "redress", "unheard"))
    np.testing.assert_allclose(np.asarray(removed.national["dispute_rate"])[last], parts,
                               rtol=1e-12)
    assert np.all(np.asarray(removed.national["dispute_rate_redress"])[last] > 0)
    assert "disputes_to_redress" in reg.MEASURES["disputes_raised"].formula.parts
