"""Sweep specifications: validation and designs."""

import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sendabm.core.parameters import defaults
from sendabm.core.policies import LEVERS
from sendabm.experiments.evaluate import LEVER_INPUTS
from sendabm.experiments.sweep import SweepError, load_spec, make_design, parse_spec, plan

ROOT = Path(__file__).resolve().parents[1]


def spec_data(design="lhs", **sweep):
    levers = [{"name": "core_offer", "range": [0.0, 1.0]},
              {"name": "tribunal__mode", "choices": ["keep", "replace"]}]
    uncertainties = [{"name": "trust_learning_rate", "range": [0.04, 0.16]}]
    if design == "factorial":
        levers = [{"name": "core_offer", "levels": [0.0, 0.5, 1.0]},
                  {"name": "tribunal__mode", "choices": ["keep", "replace"]}]
        uncertainties = [{"name": "trust_learning_rate", "levels": [0.04, 0.16]}]
    head = {"name": "t", "design": design, "samples": 8, "replications": 2, "seed": 3,
            "scale": 0.001, "end": "2015-06", "policy_start": "2015-01", **sweep}
    return {"sweep": head, "levers": levers, "uncertainties": uncertainties}


def test_example_spec_is_valid():
    spec = load_spec(ROOT / "experiments" / "sweeps" / "lhs_example.toml")
    assert spec.design == "lhs"
    assert spec.samples * spec.replications >= 200
    assert len(spec.factors) >= 6


def test_example_uncertainties_bracket_the_calibrated_defaults():
    """The example's header promises its uncertainty ranges bracket the defaults; a
    recalibration that moves a default outside its range must move the range too."""
    data = tomllib.loads((ROOT / "experiments" / "sweeps" / "lhs_example.toml").read_text())
    values = defaults()
    for entry in data["uncertainties"]:
        low, high = entry["range"]
        assert low < values[entry["name"]] < high, entry["name"]


@pytest.mark.parametrize("change, words", [
    (lambda d: d["uncertainties"].append({"name": "need_onset", "range": [0, 0.1]}),
     ("need_onset", "need_onset_per_year")),
    (lambda d: d["levers"].append({"name": "abolish_tribunal", "range": [0, 1]}),
     ("abolish_tribunal", "lever")),
    (lambda d: d["uncertainties"].append({"name": "need_onset_per_year", "range": [0, 0.5]}),
     ("need_onset_per_year", "valid range [0.0, 0.2]")),
    (lambda d: d["levers"].append({"name": "workforce", "range": [0.0, 1.5]}),
     ("workforce", "[0.0, 1.0]")),
    (lambda d: d["levers"].append({"name": "tribunal__binding", "range": [0, 1]}),
     ("tribunal__binding", "choices")),
    (lambda d: d["levers"].append({"name": "workforce", "levels": [0, 1]}),
     ("workforce", "factorial")),
    (lambda d: d["levers"].append({"name": "core_offer", "range": [0, 1]}),
     ("core_offer", "twice")),
    (lambda d: d["levers"].append({"name": "tribunal", "range": [0, 1]}),
     ("'tribunal'", "on/off switch", "no strength", "choices")),
    (lambda d: d["levers"].append({"name": "tribunal", "choices": [0, 0.5]}),
     ("tribunal", "0.5", "no strength", "0 or 1")),
    (lambda d: d["levers"].append({"name": "tribunal__months_to_decision",
                                   "choices": [1, 2.5]}),
     ("months_to_decision", "2.5", "whole number")),
    (lambda d: d["levers"][1].update(choices=["keep", "abolish"]),
     ("tribunal__mode", "abolish", "keep, remove, replace")),
    (lambda d: d["sweep"].update(design="grid"), ("design", "lhs, factorial, sobol, morris")),
    (lambda d: d["sweep"].update(samples=0), ("samples",)),
    (lambda d: d["sweep"].update(scale=5.0), ("scale",)),
    (lambda d: d["sweep"].update(colour="red"), ("colour", "valid keys")),
    (lambda d: d.update(outcomes={"names": ["happiness"]}), ("happiness", "adversarial_index")),
    (lambda d: d.update(extra={}), ("extra", "valid sections")),
    (lambda d: d["sweep"].update(policy_start="2016-01"), ("policy_start", "outside the runs",
                                                             "2014-09 to 2015-06")),
])
def test_spec_errors_are_one_line(change, words):
    data = spec_data()
    change(data)
    with pytest.raises(SweepError) as error:
        parse_spec(data, "spec.toml")
    message = str(error.value)
    assert "\n" not in message and message.startswith("spec.toml: ")
    for word in words:
        assert word in message, message


def test_factorial_needs_levels():
    data = spec_data("factorial")
    data["levers"][0] = {"name": "core_offer", "range": [0.0, 1.0]}
    with pytest.raises(SweepError, match="levels"):
        parse_spec(data)


@pytest.mark.parametrize("design, points", [
    ("factorial", 3 * 2 * 2), ("lhs", 8), ("sobol", 8 * (3 + 2)), ("morris", 8 * (3 + 1))])
def test_design_sizes_and_values(design, points):
    spec = parse_spec(spec_data(design))
    matrix = make_design(spec).matrix
    assert matrix.shape == (points, 3)
    tasks = list(plan(spec, make_design(spec)))
    assert len(tasks) == points * 2
    assert [t.run_id for t in tasks] == list(range(points * 2))
    assert {t.inputs["tribunal__mode"] for t in tasks} <= {"keep", "replace"}
    assert all(0.0 <= t.inputs["core_offer"] <= 1.0 for t in tasks)
    assert all(0.04 <= t.inputs["trust_learning_rate"] <= 0.16 for t in tasks)
    if design == "factorial":
        assert {t.inputs["core_offer"] for t in tasks} == {0.0, 0.5, 1.0}


def test_designs_and_seeds_are_reproducible_and_from_one_tree():
    spec = parse_spec(spec_data())
    first, second = make_design(spec), make_design(spec)
    np.testing.assert_array_equal(first.matrix, second.matrix)
    tasks = list(plan(spec, first))
    seeds = [t.seed for t in tasks]
    assert len(set(seeds)) == len(seeds)
    children = np.random.SeedSequence(3).spawn(2)[1].spawn(len(tasks))
    assert seeds == [int(c.generate_state(1)[0]) for c in children]
    assert tasks[5].spawn_key == (1, 5)
    other = parse_spec(spec_data(seed=4))
    assert not np.array_equal(make_design(other).matrix, first.matrix)


def test_cli_rejects_a_bad_spec_with_one_line(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text('[sweep]\nname = "x"\nsamples = 2\n[[levers]]\nname = "tribunl"\n'
                    'range = [0, 1]\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sendabm.cli", "sweep", str(spec),
                           "--store", str(tmp_path / "store")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "tribunl" in lines[0] and "tribunal" in lines[0]
    assert not (tmp_path / "store").exists()


def test_lever_options_are_factors():
    data = spec_data()
    data["levers"] = [{"name": "core_offer__units", "range": [0.1, 0.3]},
                      {"name": "independent_sector__fee_cut_years", "range": [1, 5]},
                      {"name": "tribunal", "choices": [0, 1]}]
    spec = parse_spec(data)
    tasks = list(plan(spec, make_design(spec)))
    assert all(0.1 <= t.inputs["core_offer__units"] <= 0.3 for t in tasks)
    assert {type(t.inputs["independent_sector__fee_cut_years"]) for t in tasks} == {int}
    assert {t.inputs["tribunal"] for t in tasks} <= {0, 1}
    # Every option of every lever can be named.
    for name, lever in LEVERS.items():
        for key in lever.options:
            assert f"{name}__{key}" in LEVER_INPUTS
