"""The numba kernels and the Python reference give the same results, month by month.

Pairs of models with the same scenario and seed are stepped side by side, one on the
kernels (``engine="numba"``) and one on the plain-Python reference
(``engine="python"``, :mod:`sendabm.core.reference`), which runs every phase family by
family and case by case. After every month, every family column, the institutions'
arrays, the counted totals and the measures (national and per LA x quintile) must be
identical, floats included: the reference adds floats in the kernels' order.

The runs are chosen so that every branch of the reference's decisions is taken at
least once (and so compared): the baseline, the tribunal replaced by a mechanism
whose decisions only advise, the Isos package, and a run built to reach the rest
(appeals lapsing when the tribunal goes, mediation closed, independent providers full)
and a run in which families who cannot appeal take the routes beyond the tribunal.
Policies start a year into the runs, so each run compares months before and after.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from sendabm.core import calendar, policies
from sendabm.core.model import SendModel
from sendabm.core.population import COLUMNS
from sendabm.core.reference.engine import BRANCHES
from sendabm.core.scenario import Scenario, default_scenario, load_scenario
from sendabm.experiments.pool import available_cores

SCALE = 0.001  # about 8,400 families
END = "2017-08"  # 36 months from September 2014
MONTHS = 36
POLICY_START = "2015-09"
SCENARIOS = Path(__file__).resolve().parents[1] / "experiments" / "scenarios"


def _scenario(name: str | None, start: str = POLICY_START, options: dict | None = None,
              parameters: dict | None = None, added: tuple[dict, ...] = ()) -> Scenario:
    """A scenario file (None: the baseline) with the ``added`` policies, every policy
    moved to ``start``, and the given lever options and parameters changed."""
    base = default_scenario() if name is None else load_scenario(SCENARIOS / f"{name}.toml")
    moved = tuple({"strength": 1.0, **policy, "start": start,
                   **(options or {}).get(policy["name"], {})}
                  for policy in (*base.policies, *added))
    return dataclasses.replace(base, policies=moved).with_overrides(parameters=parameters)


RUNS = {
    "baseline": (lambda: _scenario(None), (7, 8), None),
    # The calibrated LAs concede most appeals, so a sample this small would see almost
    # no hearing; LAs that expect to lose few hearings concede less and send cases to the
    # advisory mechanism's decisions.
    "tribunal_advisory": (lambda: _scenario("tribunal_replace",
                                            options={"tribunal": {"binding": False}},
                                            parameters={"la_hearing_loss_initial": 0.3,
                                                        "case_reading_weight": 0.0,
                                                        "appeal_advice_share": 1.0}),
                          (7, 8), None),
    # Young people past 19 leave their plans more readily than the calibrated rate, so
    # the small sample sees plans cease at 19-25.
    "isos_package": (lambda: _scenario("isos_package",
                                       parameters={"post19_cease_per_year": 0.5}),
                     (7, 8), None),
    # The tribunal goes after 28 months (pending appeals lapse) and mediation three
    # months later. Special schools start full and add no places, and the few
    # independent places (none filled in 2014, none added) are soon full, while
    # families ask for special settings and appeal more, and LAs concede more: ordered
    # placements go over capacity, and with limits on choice some orders name a state
    # place (LAs that expect to lose every hearing concede more).
    "closures_and_full_providers": (
        lambda: _scenario("tribunal_remove", start="2017-01", added=(
            {"name": "choice_limits", "strength": 0.5},),
            options={"choice_limits": {"start": POLICY_START}}, parameters={
            "independent_initial_need": 10.0, "independent_expansion_per_year": 0.0,
            "special_vacancy_initial": 0.0, "commissioning_share": 0.0,
            "special_preference_base_logit": -4.0, "appeal_base_logit": -1.0,
            "wait_before_independent": 2, "la_hearing_loss_initial": 1.0,
            "case_reading_weight": 0.0}),
        (7,), "2017-04"),
    # The tribunal goes after 24 months, LAs concede few appeals (expecting to lose few
    # hearings, so binding hearings are held before), and families who cannot appeal take
    # the routes beyond the tribunal readily: judicial reviews are claimed, won and lost,
    # and LAs ignore some of the ombudsman's recommendations. Before, every appellant is
    # advised on the merits and, with a placement bar at the LA's own, some placement
    # appeals are weak: some withdraw. Early-years settings identify quickly and ask for
    # assessments readily, so the sample's few children before Reception make requests of
    # the settings' own.
    "redress_routes": (
        lambda: _scenario("tribunal_remove", start="2016-09", parameters={
            "appeal_base_logit": -1.0, "la_hearing_loss_initial": 0.3,
            "case_reading_weight": 0.0, "appeal_advice_share": 1.0,
            "tribunal_placement_bar_factor": 1.0,
            "judicial_review_base_logit": 0.0, "ombudsman_months": 2,
            "ombudsman_compliance": 0.3, "early_years_identification_per_month": 0.3,
            "early_years_request_per_month": 0.3}),
        (7, 8), None),
}
"""Run name -> (scenario, seeds, month mediation closes or None)."""


@contextlib.contextmanager
def _mediation_closed_from(month: str | None):
    """Close mediation from ``month`` in every model made inside (no lever closes it)."""
    if month is None:
        yield
        return
    closes = calendar.tick_of(month)
    effects = policies.effects

    def closing(entries, tick, parameters):
        out = effects(entries, tick, parameters)
        if tick >= closes:
            out.mediation_open = 0.0
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(policies, "effects", closing)
        yield


def _differences(fast: SendModel, slow: SendModel) -> list[str]:
    """What differs between the two models' state and this month's measures."""
    out = []
    for name in COLUMNS:
        a, b = getattr(fast.families, name), getattr(slow.families, name)
        if a.shape != b.shape or not np.array_equal(a, b):
            rows = np.flatnonzero(a != b)[:5] if a.shape == b.shape else "shape"
            out.append(f"family column {name} (rows {rows})")
    arrays = {
        "special": ("roll", "places"),
        "providers": ("roll", "places", "over", "referrals", "fee"),
        "las": ("assess_threshold", "plan_threshold", "loss_belief", "expected_success",
                "mean_trust", "ep_fte", "deficit_gbp"),
        "schools": ("roll", "sen", "sen_demand", "support_ratio", "mean_trust",
                    "inclusiveness"),
    }
    for owner, names in arrays.items():
        for name in names:
            if not np.array_equal(getattr(getattr(fast, owner), name),
                                  getattr(getattr(slow, owner), name)):
                out.append(f"{owner}.{name}")
    for name in ("backlog", "hearings_per_month", "committed"):
        if getattr(fast.tribunal, name) != getattr(slow.tribunal, name):
            out.append(f"tribunal.{name}")
    # The counted totals themselves (every measure slot, LA and quintile; every school).
    if fast._year_totals and not np.array_equal(fast._year_totals[-1], slow._year_totals[-1]):
        out.append("counted LA totals")
    if not np.array_equal(fast._last_school_totals, slow._last_school_totals):
        out.append("counted school totals")
    for name, value in fast.current.items():
        if not np.array_equal(value, slow.current[name], equal_nan=True):
            out.append(f"national {name}")
    for name, cells in fast.panel.items():
        if not np.array_equal(cells[-1], slow.panel[name][-1], equal_nan=True):
            out.append(f"panel {name}")
    return out


def _compare_run(name: str, seed: int) -> tuple[str | None, dict, Counter]:
    """One run on both engines: its first month of difference (None if none), its
    national series and the reference's branch counts."""
    make, _, mediation_closes = RUNS[name]
    with _mediation_closed_from(mediation_closes):
        pair = [SendModel(make(), seed=seed, scale=SCALE, end=END, engine=engine)
                for engine in ("numba", "python")]
        found = _step_and_compare(*pair)
    return found, pair[0].national, Counter(pair[1].backend.branches.counts)


@pytest.fixture(scope="module")
def runs():
    """Each run's first month of difference (None if none), national series and the
    reference's branch counts summed over all runs. The runs are independent, so they
    share the cores (each in a spawned process: the reference is plain Python)."""
    found, national, branches = {}, {}, Counter()
    keys = [(name, seed) for name, (_, seeds, _) in RUNS.items() for seed in seeds]
    with ProcessPoolExecutor(max_workers=min(2, available_cores()),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        compared = pool.map(_compare_run, [name for name, _ in keys], [seed for _, seed in keys])
        for key, (first, series, counts) in zip(keys, compared, strict=True):
            found[key], national[key] = first, series
            branches.update(counts)
    return found, national, branches


def _step_and_compare(fast: SendModel, slow: SendModel) -> str | None:
    differences = _differences(fast, slow)
    if differences:
        return f"at set-up: {', '.join(differences[:6])}"
    for _ in range(MONTHS):
        label = calendar.label(fast.tick)
        fast.step()
        slow.step()
        differences = _differences(fast, slow)
        if differences:
            return f"in {label}: {', '.join(differences[:6])}"
    return None


@pytest.mark.parametrize("run", [(name, seed) for name, (_, seeds, _) in RUNS.items()
                                 for seed in seeds], ids=lambda run: f"{run[0]}-{run[1]}")
@pytest.mark.slow
def test_kernels_match_the_reference_every_month(runs, run):
    found, _, _ = runs
    assert found[run] is None, f"{run[0]} seed {run[1]}: engines differ {found[run]}"


def test_every_branch_of_the_reference_is_taken(runs):
    _, _, branches = runs
    missed = [name for name in BRANCHES if branches[name] == 0]
    assert not missed, f"branches never taken in the equivalence runs: {missed}"


def test_the_runs_exercise_cases_and_policies(runs):
    _, national, _ = runs
    start = calendar.tick_of(POLICY_START)
    base = national["baseline", 7]
    # Each event must happen in the baseline's runs taken together: a tiny population
    # can go without an appeal in one seed.
    baselines = [national["baseline", seed] for seed in RUNS["baseline"][1]]
    for name in ("assessment_requests", "plans_issued", "appeals_registered",
                 "placed_special", "placed_independent", "leavers"):
        assert sum(sum(run[name]) for run in baselines) > 0, name
    advisory = [national["tribunal_advisory", seed] for seed in RUNS["tribunal_advisory"][1]]
    assert sum(sum(run["hearings"]) for run in advisory) > 0
    # The policies changed what happened after they started, and nothing before.
    isos = national["isos_package", 7]
    assert isos["mean_unmet_need"][:start] == base["mean_unmet_need"][:start]
    assert isos["mean_unmet_need"][start:] != base["mean_unmet_need"][start:]
    assert sum(sum(run["decisions_not_followed"][start:]) for run in advisory) > 0
