"""sendabm.experiments.evaluate: one run as a plain function of keyword inputs."""

import math

import numpy as np
import pytest

import sendabm
from sendabm.core.parameters import PARAMETERS
from sendabm.core.policies import LEVERS
from sendabm.core.scenario import default_scenario
from sendabm.experiments import evaluate as ev

TINY = {"scale": 0.001, "end": "2015-06"}


def test_every_input_has_a_default():
    assert set(PARAMETERS) <= set(ev.INPUTS)
    assert set(LEVERS) <= set(ev.INPUTS)
    assert all(ev.INPUTS[name] == 0.0 for name in LEVERS)
    assert ev.INPUTS["tribunal__mode"] == "keep"
    assert {"seed": 1, "scale": 0.01, "end": "2030-08", "policy_start": "2026-09"}.items() \
        <= ev.INPUTS.items()


def test_evaluate_returns_scalar_outcomes_deterministically():
    first = sendabm.experiments.evaluate(**TINY)
    assert list(first) == list(ev.OUTCOME_NAMES)
    assert all(isinstance(v, float) and math.isfinite(v) for v in first.values())
    assert ev.evaluate(**TINY) == first
    assert sendabm.experiments.evaluate(**TINY, seed=2) != first


@pytest.mark.parametrize("inputs, words", [
    ({"need_onset_per_yer": 0.01}, ("unknown input", "need_onset_per_year")),
    ({"colour": "red"}, ("unknown input", "colour")),
    ({"need_onset_per_year": 5.0}, ("need_onset_per_year", "range")),
    ({"tribunal": 2.0}, ("tribunal", "[0, 1]")),
    ({"tribunal__mode": "abolish"}, ("mode", "keep")),
    ({"policy_start": "soon"}, ("policy_start",)),
])
def test_invalid_inputs_raise_one_line(inputs, words):
    with pytest.raises(ValueError) as error:
        ev.build_scenario(default_scenario(), inputs)
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_levers_become_dated_policies():
    scenario, start = ev.build_scenario(default_scenario(), {
        "tribunal": 0.5, "tribunal__mode": "replace", "workforce": 0.0,
        "policy_start": "2027-01", "need_onset_per_year": 0.02})
    assert start == "2027-01"
    assert [p["name"] for p in scenario.policies] == ["tribunal"]
    policy = scenario.policies[0]
    assert policy["start"] == "2027-01" and policy["strength"] == 0.5
    assert policy["mode"] == "replace"
    assert scenario.parameters["need_onset_per_year"] == 0.02


def test_outcomes_reduce_over_the_policy_window():
    months = 36
    national = {name: np.arange(months, dtype=float) for name in ev.OUTCOME_NAMES}
    values = ev.reduce_outcomes(national, "2014-09", "2016-09")
    assert values["appeals_registered"] == sum(range(24, 36))  # flow: summed over window
    assert values["ehc_plans"] == 35.0  # stock: last month
    assert values["adversarial_index"] == np.mean(range(24, 36))  # mean: last 12 months
    late = ev.reduce_outcomes(national, "2014-09", "2030-09")  # starts after the end
    assert late["appeals_registered"] == sum(range(36))
