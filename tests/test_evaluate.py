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
    assert all(ev.INPUTS[name] == (0.0 if lever.has_strength else False)
               for name, lever in LEVERS.items())
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
    ({"core_offer": 2.0}, ("core_offer", "[0, 1]")),
    ({"tribunal": 0.5}, ("tribunal", "no strength", "switch", "0 or 1")),
    ({"core_offer__units": 0.1, "core_offer": True}, ("core_offer", "[0, 1]")),
    ({"tribunal__months_to_decision": 2.5}, ("months_to_decision", "whole number")),
    ({"tribunal__binding": 1}, ("binding", "true or false")),
    ({"core_offer": 0.5, "policy_start": "2041-01"}, ("start", "calendar")),
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
        "tribunal": 1, "tribunal__mode": "replace", "workforce": 0.0, "core_offer": 0.5,
        "policy_start": "2027-01", "need_onset_per_year": 0.02})
    assert start == "2027-01"
    assert scenario.policies == (  # in the order of LEVERS
        {"name": "core_offer", "start": "2027-01", "strength": 0.5},
        {"name": "tribunal", "start": "2027-01", "mode": "replace"})
    assert scenario.parameters["need_onset_per_year"] == 0.02


def test_options_switch_a_lever_on_unless_its_own_input_says_off():
    def names(inputs):
        return [p["name"] for p in ev.build_scenario(default_scenario(), inputs)[0].policies]

    assert names({"tribunal__mode": "replace", "core_offer__units": 0.3}) == [
        "core_offer", "tribunal"]
    assert names({"tribunal__mode": "replace", "tribunal": False,
                  "core_offer__units": 0.3, "core_offer": 0.0}) == []
    policy = ev.build_scenario(default_scenario(), {"core_offer__units": 0.3})[0].policies[0]
    assert policy == {"name": "core_offer", "start": "2026-09", "strength": 1.0, "units": 0.3}


def test_a_lever_the_base_already_sets_is_an_error():
    base = default_scenario().with_overrides(run={"end": "2030-08"}).with_policies(
        [{"name": "core_offer", "start": "2026-09"}])
    with pytest.raises(ValueError, match="'core_offer' is already set by scenario 'baseline'"):
        ev.build_scenario(base, {"core_offer": 0.5})


def test_outcomes_reduce_over_the_policy_window():
    months = 36
    national = {name: np.arange(months, dtype=float) for name in ev.OUTCOME_NAMES}
    values = ev.reduce_outcomes(national, "2014-09", "2016-09")
    assert values["appeals_registered"] == sum(range(24, 36))  # flow: summed over window
    assert values["ehc_plans"] == 35.0  # stock: last month
    assert values["adversarial_index"] == np.mean(range(24, 36))  # mean: last 12 months
    late = ev.reduce_outcomes(national, "2014-09", "2030-09")  # starts after the end
    assert late["appeals_registered"] == sum(range(36))
