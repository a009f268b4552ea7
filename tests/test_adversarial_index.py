"""The adversarial index counts conflict at the family's decision to contest a refusal,
whichever route then takes it, so closing a route cannot lower it by construction
(docs/ODD.md §4.11, §7.7); its reference levels come from the LA record; comparisons do
not score outcomes whose better direction is contested."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sendabm.core import calendar, la_record
from sendabm.core import measures as reg
from sendabm.core.actors.family import PARAMS
from sendabm.core.model import SendModel
from sendabm.core.scenario import default_scenario
from sendabm.experiments.compare_folder import better_text
from sendabm.experiments.outcomes import NATIONAL_OUTCOMES, Outcome
from sendabm.experiments.paired import paired_row
from sendabm.presentation import measuredoc

ROUTES = ("mediations", "disputes_to_appeal", "disputes_to_redress", "disputes_unheard")
"""The counted first routes of a dispute."""


def _derive(**counts: float) -> dict[str, float]:
    """The measures of one cell whose counted totals, this month and over the last 12
    months alike, are ``counts`` (every other total 0)."""
    totals = np.zeros((len(reg.SLOTS), 1))
    for name, value in counts.items():
        totals[reg.SLOT[name], 0] = value
    return {name: float(v[0]) for name, v in reg.derive(totals, totals, 1.0).items()}


CELL = {"ehc_plans": 900.0, "assessment_requests": 400.0, "assessments_refused": 80.0,
        "plans_refused": 20.0, "with_need": 5000.0, "trust_la_sum": 3500.0}
"""A cell's counts besides its disputes: 1,000 appealable decisions."""


# --------------------------------------------------------------------------- the index


@pytest.mark.parametrize("route", ["disputes_to_appeal", "mediations"])
def test_closing_a_route_moves_its_disputes_to_unheard_and_leaves_the_index(route):
    heard = _derive(**CELL, mediations=30.0, disputes_to_appeal=20.0, appeals_registered=25.0)
    closed = {**CELL, "mediations": 30.0, "disputes_to_appeal": 20.0, "appeals_registered": 25.0}
    moved = closed.pop(route)
    if route == "disputes_to_appeal":
        closed["appeals_registered"] = 0.0
    closed_cell = _derive(**closed, disputes_unheard=moved)
    assert closed_cell["dispute_rate"] == heard["dispute_rate"] == pytest.approx(50 / 1000)
    assert closed_cell["disputes_raised"] == heard["disputes_raised"] == 50
    assert closed_cell["adversarial_index"] == heard["adversarial_index"]
    # ...where the route's own measures fall by construction (an index of them would too).
    fallen = "appeal_rate" if route == "disputes_to_appeal" else "dispute_rate_mediation"
    assert closed_cell[fallen] < heard[fallen]


def test_every_route_is_a_part_of_the_conflict():
    none = _derive(**CELL)
    assert none["dispute_rate"] == 0
    for route in ROUTES:
        one = _derive(**CELL, **{route: 10.0})
        assert one["dispute_rate"] == pytest.approx(10 / 1000), route
        assert one["adversarial_index"] > none["adversarial_index"], route
    rates = _derive(**CELL, mediations=3.0, disputes_to_appeal=5.0, disputes_to_redress=2.0,
                    disputes_unheard=7.0)
    assert rates["dispute_rate"] == pytest.approx(sum(
        rates[f"dispute_rate_{r}"] for r in ("mediation", "appeal", "redress", "unheard")))
    assert rates["dispute_rate"] == pytest.approx(17 / 1000)
    assert reg.MEASURES["disputes_raised"].formula.parts == ROUTES


def test_the_index_is_100_at_the_reference_levels():
    ref = reg.reference_levels()
    assert reg.adversarial_index(np.array(ref.dispute_rate), np.array(ref.refusal_share),
                                 np.array(1.0 - ref.distrust)) == pytest.approx(100.0)
    cell = _derive(**CELL, mediations=12.0)
    expected = 100 / 3 * (cell["dispute_rate"] / ref.dispute_rate
                          + cell["refusal_share"] / ref.refusal_share
                          + (1 - cell["mean_trust_in_la"]) / ref.distrust)
    assert cell["adversarial_index"] == pytest.approx(expected)


def test_reference_levels_come_from_the_record():
    ref = reg.reference_levels()
    year = str(reg.DISPUTE_REFERENCE_YEAR)
    records = [la_record.record(code) for code in la_record.codes()]
    appeals = sum(r["appeals_registered"][year] for r in records)
    decisions = sum(r["appealable_decisions"][year] for r in records)
    assert ref.dispute_rate == pytest.approx(appeals / decisions, rel=1e-12)
    assert round(ref.dispute_rate, 3) == 0.012  # the 2014/15 rate Isos 2024 quotes
    england = la_record.record("England")
    years = [str(y) for y in reg.REFUSAL_REFERENCE_YEARS]
    assert ref.refusal_share == pytest.approx(
        sum(england["requests_refused"][y] for y in years)
        / sum(england["requests_received"][y] for y in years), rel=1e-12)
    assert round(ref.refusal_share, 2) == 0.22  # SEN2 2019-2022, about 22%
    trust_initial = next(p for p in PARAMS if p.name == "trust_initial").default
    assert ref.distrust == pytest.approx(1.0 - trust_initial)
    assert measuredoc.reference_text() in measuredoc.render()


def test_england_total_never_returns_a_partial_sum(monkeypatch):
    assert la_record.england_total("requests_refused", "2019") == la_record.value(
        la_record.ENGLAND, "requests_refused", "2019")
    # From 2019 Bournemouth, Poole and Dorset are one unit, counted once.
    group = la_record.DORSET_GROUP
    members = group.split("+")
    others = [c for c in la_record.codes() if c not in members]
    assert la_record.england_total("appeals_registered", "2020") == sum(
        la_record.value(c, "appeals_registered", "2020") for c in [*others, group])
    assert la_record.england_total("appeals_registered", "2013") is None
    one, real = la_record.codes()[0], la_record.value
    monkeypatch.setattr(la_record, "value",
                        lambda code, m, p: None if code == one else real(code, m, p))
    assert la_record.england_total("appeals_registered", "2015") is None


# --------------------------------------------------------------------------- contested


def test_contested_outcomes_are_reported_without_a_score():
    contested = {o.name for o in NATIONAL_OUTCOMES if o.direction == reg.CONTESTED}
    assert {"appeals_registered", "hearings", "hearings_won_by_family", "appeals_conceded",
            "mediations", "appeal_rate", "dispute_rate_mediation",
            "dispute_rate_appeal"} <= contested
    assert reg.MEASURES["share_hearings_won_by_family"].direction == reg.CONTESTED
    scored = {o.name: o.direction for o in NATIONAL_OUTCOMES}
    assert scored["dispute_rate"] == scored["adversarial_index"] == reg.LOWER
    assert scored["dispute_rate_unheard"] == reg.LOWER
    outcome = Outcome("x", "x", "headline", reg.CONTESTED, "count", "sum")
    row = paired_row("p", outcome, np.array([4.0, 5.0]), np.array([1.0, 2.0]))
    assert math.isnan(row["share_better"]) and row["diff_mean"] == -3.0
    assert better_text(row) == "not scored"
    assert better_text({**row, "direction": reg.LOWER, "share_better": 1.0}) == "100%"
    assert measuredoc._kind(reg.MEASURES["hearings"]) == "flow, better direction contested"


# --------------------------------------------------------------------------- in the model

REMOVAL = "2026-09"
END = "2028-08"


@pytest.fixture(scope="module")
def runs() -> tuple[SendModel, SendModel]:
    """The baseline and the tribunal removed from September 2026, same seed (common
    random numbers), a 0.1% sample to August 2028."""
    scenario = default_scenario().with_overrides(run={"end": END})
    removed = scenario.with_policies([{"name": "tribunal", "start": REMOVAL, "mode": "remove"}])
    models = tuple(SendModel(s, seed=1, scale=0.001, end=END) for s in (scenario, removed))
    for model in models:
        model.run()
    return models


def _series(model: SendModel, name: str) -> np.ndarray:
    return np.asarray(model.national[name])


def _refusals(model: SendModel) -> np.ndarray:
    return sum(_series(model, n) for n in ("assessments_refused", "plans_refused",
                                           "placements_refused"))


def test_removing_the_tribunal_sends_appeals_to_unheard_disputes(runs):
    base, removed = runs
    t = calendar.tick_of(REMOVAL)
    assert _series(base, "disputes_to_appeal")[t:].sum() > 0
    assert _series(removed, "disputes_to_appeal")[t:].sum() == 0
    assert _series(removed, "appeals_registered")[t:].sum() == 0
    assert _series(base, "disputes_unheard").sum() == 0  # every route open: none unheard
    assert _series(removed, "disputes_unheard")[t:].sum() > 0
    assert np.all(_series(removed, "appeal_rate")[-12:] == 0)
    # The unheard disputes count in the 12-month dispute rate from the month of the first
    # one (in a 0.1% sample that can be months after the removal) to a year on.
    unheard = _series(removed, "disputes_unheard")
    first = t + int(np.flatnonzero(unheard[t:])[0])
    rate = _series(removed, "dispute_rate_unheard")
    assert np.all(rate[t:first] == 0) and np.all(rate[first:first + 12] > 0)


def test_the_first_month_without_a_tribunal_has_the_same_disputes(runs):
    # The month the tribunal goes, families decide on last month's refusals, which are
    # the same in both runs, with the same draws: only the routes differ.
    base, removed = runs
    t = calendar.tick_of(REMOVAL)
    np.testing.assert_array_equal(_series(base, "disputes_raised")[:t + 1],
                                  _series(removed, "disputes_raised")[:t + 1])
    for route in ROUTES + ("disputes_raised",):
        assert np.array_equal(base.panel[route][t - 1], removed.panel[route][t - 1]), route
    np.testing.assert_array_equal(base.panel["disputes_raised"][t],
                                  removed.panel["disputes_raised"][t])
    assert _series(base, "disputes_to_appeal")[t] > 0 or _series(base, "appeals_registered")[
        t] > 0, "no appeal in the first month: the test has no teeth"
    # Those who would have appealed straight away take a route beyond the tribunal or
    # none (unheard disputes), cell by cell.
    np.testing.assert_array_equal(
        removed.panel["disputes_unheard"][t] + removed.panel["disputes_to_redress"][t],
        base.panel["disputes_to_appeal"][t] + base.panel["disputes_to_redress"][t])
    np.testing.assert_array_equal(removed.panel["mediations"][t], base.panel["mediations"][t])


def test_the_index_follows_the_families_decisions_to_contest(runs):
    # Until the LAs first adapt to the removal (their March learning), the share of
    # refusals families contest (disputes raised in a month over the refusals of the
    # month before) stays what their decisions make it: close to the baseline's.
    # Counting only the disputes a route hears would drop it by the appeals' share, by
    # construction. After that March the LAs refuse more, to other families, so the
    # share moves by behaviour, not by counting. (Counting only the disputes mediation and
    # appeals hear would drop it; the routes beyond the tribunal and the unheard are in it.)
    base, removed = runs
    t = calendar.tick_of(REMOVAL)
    march = next(k for k in range(t, t + 12) if calendar.month_of(k) == 3)

    def contested(model, routes):
        disputes = sum(_series(model, r) for r in routes)
        return disputes[t:march + 1].sum() / _refusals(model)[t - 1:march].sum()

    base_share = contested(base, ROUTES)
    removed_share = contested(removed, ROUTES)
    heard_share = contested(removed, ("mediations", "disputes_to_appeal"))
    assert abs(removed_share - base_share) < 0.03
    assert heard_share < base_share - 0.06
    # The index's conflict part is the disputes raised, by any route or none, per
    # appealable decision: the unheard ones are in it.
    last = slice(-12, None)
    parts = sum(_series(removed, f"dispute_rate_{r}")[last]
                for r in ("mediation", "appeal", "redress", "unheard"))
    np.testing.assert_allclose(_series(removed, "dispute_rate")[last], parts, rtol=1e-12)
