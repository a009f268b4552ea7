"""Policy appraisal under uncertainty (sendabm appraise): the specification's checks, the
pairing of arms at each design point, scenario discovery, the cost per child helped, and
a tiny appraisal written end to end."""

from __future__ import annotations

import copy
import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sendabm.cli import main as sendabm
from sendabm.experiments.appraisal_folder import write_appraisal
from sendabm.experiments.appraise import (
    BASE,
    SPEND,
    UNMET,
    Appraisal,
    AppraisalError,
    appraise,
    costs,
    effects,
    parse_appraisal,
    tasks,
    wilson,
)
from sendabm.experiments.discovery import discover
from sendabm.presentation import appraisal_figures

SPEC = {
    "appraisal": {"name": "tiny", "samples": 3, "seed": 7, "scale": 0.002, "end": "2027-08",
                  "policy_start": "2026-09"},
    "policies": [{"name": "replace", "inputs": {"tribunal__mode": "replace"}},
                 {"name": "rft", "inputs": {"right_first_time": 1.0,
                                            "right_first_time__ramp_years": 0}}],
    "options": [{"name": "tribunal__capacity_factor", "range": [1.0, 2.0]}],
    "uncertainties": [{"name": "appeal_cost_weight", "range": [0.5, 2.0]}],
    "outcomes": {"names": ["adversarial_index", "appeals_registered"]},
}


def _spec(**changes):
    data = copy.deepcopy(SPEC)
    for path, value in changes.items():
        section, _, key = path.partition(".")
        if key:
            data[section][key] = value
        elif value is None:
            data.pop(section)
        else:
            data[section] = value
    return parse_appraisal(data)


@pytest.mark.parametrize("changes, words", [
    ({"extra": {}}, "unknown section 'extra'"),
    ({"appraisal.runs": 3}, "unknown [appraisal] key 'runs'"),
    ({"appraisal.samples": 1}, "samples = 1 must be a whole number >= 2"),
    ({"policies": None}, "no policies"),
    ({"policies": [{"name": "x", "inputs": {"not_a_lever": 1}}]}, "'not_a_lever' is not a lever"),
    ({"policies": [{"name": "x", "inputs": {"inclusion_incentives": 0.0}}]}, "switches no lever"),
    ({"policies": [{"name": "base", "inputs": {"core_offer": 1.0}}]}, "not 'base'"),
    ({"options": [{"name": "core_offer__units", "range": [0.1, 0.2]}]}, "which no policy"),
    ({"options": [{"name": "tribunal__capacity_factor", "range": [1.0, 2.0],
                   "policies": ["rft"]}]}, "which policy 'rft'"),
    ({"options": [{"name": "tribunal__capacity_factor", "range": [1.0, 99.0]}]},
     "outside the valid range"),
    ({"uncertainties": None}, "no uncertainties"),
    ({"uncertainties": [{"name": "appeal_cost_weight", "range": [0.5, 2.0]},
                        {"name": "appeal_cost_weight", "range": [0.5, 1.0]}]}, "listed twice"),
    ({"outcomes": {"names": ["happiness"]}}, "unknown outcome 'happiness'"),
    ({"appraisal.policy_start": "2031-01"}, "policy_start = '2031-01'"),
])
def test_a_bad_specification_is_one_line_naming_the_problem(changes, words):
    with pytest.raises(AppraisalError) as error:
        _spec(**changes)
    message = str(error.value)
    assert words in message and "\n" not in message


def test_every_arm_of_a_point_shares_its_seed_and_assumptions():
    spec = _spec()
    points = list(tasks(spec))
    assert len(points) == 3 and len({p.seed for p in points}) == 3
    for point in points:
        base, replace, rft = point.arms
        assert base["seed"] == replace["seed"] == rft["seed"] == point.seed
        assert base["appeal_cost_weight"] == replace["appeal_cost_weight"] \
            == rft["appeal_cost_weight"] == point.varied["appeal_cost_weight"]
        # the base switches no lever on; an option reaches only the arms of its lever
        assert not any(k.startswith(("tribunal", "right_first_time")) for k in base)
        assert replace["tribunal__capacity_factor"] == point.varied["tribunal__capacity_factor"]
        assert "tribunal__capacity_factor" not in rft and rft["right_first_time"] == 1.0
    # the outcomes a cost per child helped needs are always computed
    assert {UNMET, SPEND} <= set(spec.outcomes)


def test_discovery_finds_a_planted_rule_and_says_when_there_is_none():
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(60, 3))
    found = discover(x, ["a", "b", "c"], x[:, 1] > 0.6)
    assert found.deciding == "b" and found.accuracy == 1.0
    assert found.rule.startswith("b <= 0.") and found.lift > 0.3
    same = discover(x, ["a", "b", "c"], np.ones(60, bool))
    assert same.deciding == "" and same.rule == "none: every point improves"
    choice = discover(np.array([[0], [1], [0], [1]] * 5, float), ["mode"],
                      np.array([True, False, True, False] * 5), [["keep", "replace"]])
    assert choice.rule.startswith("mode in {keep}: 10 of 10 improve; {replace}: 0 of 10")


def test_wilson_interval_matches_the_formula():
    low, high = wilson(0, 6)
    assert low == 0.0 and high == pytest.approx(0.390, abs=0.001)
    low, high = wilson(30, 60)
    assert low == pytest.approx(0.3773, abs=1e-4) and high == pytest.approx(0.6227, abs=1e-4)


def _synthetic(spend_diff, unmet_diff):
    spec = _spec()
    n = len(spend_diff)
    base = {o: np.full(n, 100.0) for o in spec.outcomes}
    values = {BASE: base}
    for arm in spec.arms:
        values[arm.name] = {o: v.copy() for o, v in base.items()}
        values[arm.name][SPEND] = base[SPEND] + np.asarray(spend_diff, float)
        values[arm.name][UNMET] = base[UNMET] + np.asarray(unmet_diff, float)
    inputs = [{f.name: f.low for f in spec.factors} for _ in range(n)]
    return Appraisal(spec, inputs, list(range(n)), values)


def test_cost_per_child_helped_is_extra_spend_a_year_over_children_helped():
    # a 12-month window (2026-09 to 2027-08): £1.2m more, 40 fewer children with unmet need
    rows = costs(_synthetic([1.2e6, 1.2e6], [-40.0, -40.0]))
    assert rows[0]["extra_spend_gbp_per_year"] == pytest.approx(1.2e6)
    assert rows[0]["children_helped"] == pytest.approx(40.0)
    assert rows[0]["cost_per_child_helped_gbp"] == pytest.approx(30_000.0)
    hurt = costs(_synthetic([1.0e6, 1.0e6], [5.0, 5.0]))
    assert math.isnan(hurt[0]["cost_per_child_helped_gbp"])


def test_probability_of_improvement_follows_the_outcomes_direction():
    appraisal = _synthetic([1.0, 1.0], [-1.0, -1.0])
    appraisal.values["replace"]["adversarial_index"] = np.array([90.0, 110.0])
    rows = {(r["policy"], r["outcome"]): r for r in effects(appraisal)}
    assert rows["replace", "adversarial_index"]["p_improves"] == 0.5  # lower is better
    assert rows["replace", UNMET]["p_improves"] == 1.0
    assert rows["replace", SPEND]["p_improves"] == 0.0
    # appeals have no agreed better direction (fewer may mean right decisions or deterred
    # families): not scored
    assert math.isnan(rows["replace", "appeals_registered"]["p_improves"])


def test_a_tiny_appraisal_writes_its_folder(tmp_path):
    spec = _spec()
    result = appraise(spec, workers=1)
    out = write_appraisal(result, tmp_path / "tiny", figures=appraisal_figures.draw)
    manifest = json.loads((out / "appraisal.json").read_text())
    assert sorted(manifest["files"]) == sorted(p.name for p in out.iterdir())
    with (out / "runs.csv").open() as fh:
        runs = list(csv.DictReader(fh))
    assert len(runs) == 3 * 3 and {r["arm"] for r in runs} == {"base", "replace", "rft"}
    with (out / "effects.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 2 * len(spec.outcomes)
    text = (out / "appraisal.md").read_text()
    assert "## replace" in text and "**Cost:**" in text
    # the base and the arms differ: the policies act
    appeals = {r["arm"]: float(r["appeals_registered"]) for r in runs if r["point"] == "0"}
    assert appeals["rft"] != appeals["base"]


def test_the_command_refuses_a_bad_spec_and_a_foreign_folder(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[appraisal]\nname = "x"\nsamplez = 3\n')
    assert sendabm(["appraise", str(bad)]) == 2
    assert "unknown [appraisal] key 'samplez'" in capsys.readouterr().err
    good = tmp_path / "good.toml"
    good.write_text('[appraisal]\nname = "x"\nsamples = 2\nscale = 0.002\nend = "2027-08"\n'
                    '[[policies]]\nname = "a"\ninputs = { core_offer = 1.0 }\n'
                    '[[uncertainties]]\nname = "appeal_cost_weight"\nrange = [0.5, 2.0]\n')
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert sendabm(["appraise", str(good), "--out", str(foreign)]) == 2
    assert "not a sendabm appraisal folder" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_results_do_not_depend_on_the_number_of_workers():
    spec = _spec()
    one, two = appraise(spec, workers=1), appraise(spec, workers=2)
    for arm in one.arm_names:
        for outcome in spec.outcomes:
            assert np.array_equal(one.values[arm][outcome], two.values[arm][outcome])


APPRAISALS = sorted((Path(__file__).resolve().parents[1] / "experiments" / "appraisals")
                    .glob("*.toml"))


@pytest.mark.parametrize("path", APPRAISALS, ids=lambda p: p.stem)
def test_each_appraisal_loads_and_brackets_the_defaults(path):
    """The specifications' headers promise their ranges bracket the defaults (calibrated
    parameters, lever options): a recalibration that moves a default outside its range
    must move the range too."""
    from sendabm.core.policies import LEVERS
    from sendabm.core.scenario import load_scenario
    from sendabm.experiments.appraise import load_appraisal

    spec = load_appraisal(path)
    parameters = load_scenario(path.parent / "../scenarios/baseline.toml").parameters
    for factor in spec.uncertainties:
        assert factor.low < parameters[factor.name] < factor.high, factor.name
    for option in spec.options:
        f = option.factor
        lever, key = f.name.split("__", 1)
        default = LEVERS[lever].options[key].default
        if f.choices is not None:
            assert default in f.choices, f.name
        else:
            assert f.low <= default <= f.high, f.name
